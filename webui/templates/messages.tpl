% rebase('layout.tpl', title=t('nav_messages'))
<h1>{{t('nav_messages')}}</h1>
<form method="get" action="/messages" class="filters">
  <label>{{t('status')}}
    <select name="status">
      <option value="">{{t('all')}}</option>
      % for s in statuses:
      <option value="{{s}}" {{'selected' if values['status'] == s else ''}}>{{label(s)}}</option>
      % end
    </select>
  </label>
  <label>{{t('number')}}
    <input name="to" value="{{values['to']}}" inputmode="tel" size="16">
  </label>
  <label>{{t('from_date')}}
    <input name="from" type="date" value="{{values['from']}}">
  </label>
  <label>{{t('until_date')}}
    <input name="until" type="date" value="{{values['until']}}">
  </label>
  <button type="submit">{{t('filter')}}</button>
  <a href="/messages" class="button-link">{{t('reset')}}</a>
</form>
% for p in problems:
<p class="error" role="alert">{{p}}</p>
% end
% if items:
<table class="list" id="messages">
  <thead><tr>
    <th>{{t('created')}}</th><th>{{t('to')}}</th><th>{{t('text')}}</th>
    <th>{{t('status')}}</th><th class="num">{{t('sms_count')}}</th><th>{{t('key')}}</th><th></th>
  </tr></thead>
  <tbody>
  % for m in items:
    <tr data-id="{{m.id}}">
      <td class="nowrap">{{fmt(m.created_at)}}</td>
      <td class="nowrap">{{m.to}}</td>
      <td class="text">{{preview(m.text)}}</td>
      <td><span class="badge s-{{m.status}}">{{label(m.status)}}</span></td>
      <td class="num">{{m.segments}}</td>
      <td>{{keys.get(m.key_id, '#' + str(m.key_id))}}</td>
      <td><a href="/messages/{{m.id}}">{{t('details')}}</a></td>
    </tr>
  % end
  </tbody>
</table>
% elif not problems:
<p class="empty">{{t('no_messages')}}</p>
% end
<p class="pager">
  % if first:
  <a href="/messages">« {{t('first_page')}}</a>
  % end
  % if more:
  <a href="{{more}}" id="older">{{t('next_page')}} »</a>
  % end
</p>
