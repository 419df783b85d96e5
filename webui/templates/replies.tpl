% rebase('layout.tpl', title=t('nav_replies'))
<h1>{{t('nav_replies')}}</h1>
% if items:
<table class="list" id="replies">
  <thead><tr><th>{{t('received_at')}}</th><th>{{t('sender')}}</th><th>{{t('text')}}</th><th>{{t('in_reply_to')}}</th><th>{{t('modem')}}</th></tr></thead>
  <tbody>
  % for i in items:
    <tr data-id="{{i.id}}">
      <td class="nowrap">{{fmt(i.received_at)}}</td>
      <td class="nowrap">{{i.sender or ''}}</td>
      <td class="text">{{i.text}}
        % if not i.complete:
        <span class="badge s-buffered">{{t('incomplete')}}</span>
        % end
        % if i.opt_out:
        <span class="badge s-rejected">{{t('opt_out')}}</span>
        % end
        % if i.error:
        <span class="badge s-failed">{{t('malformed')}}</span>
        % end
      </td>
      <td class="text">
        % a = answered.get(i.in_reply_to) if i.in_reply_to is not None else None
        % if a is not None:
        <a href="/messages/{{a.id}}">{{fmt(a.created_at)}}</a>: {{a.text}}
        % end
      </td>
      <td>{{i.modem}}</td>
    </tr>
  % end
  </tbody>
</table>
% else:
<p class="empty">{{t('no_replies')}}</p>
% end
% if more:
<p class="pager"><a href="{{more}}">{{t('next_page')}} »</a></p>
% end
