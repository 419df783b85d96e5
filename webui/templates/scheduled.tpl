% rebase('layout.tpl', title=t('nav_scheduled'), scripts=['/static/select.js'])
<h1>{{t('nav_scheduled')}}</h1>
% for n in notices:
<p class="notice" role="status">{{n}}</p>
% end
% for w in warnings:
<p class="warning" role="status">{{w}}</p>
% end
% if items:
<form method="post" action="/scheduled/remove" id="scheduled-form">
  <input type="hidden" name="csrf_token" value="{{csrf}}">
  <div class="toolbar">
    <button type="submit" class="danger" id="remove-selection">{{t('remove_selection')}}</button>
  </div>
  <table class="list" id="scheduled">
    <thead><tr>
      <th class="check"><input type="checkbox" id="select-all" title="{{t('select_all')}}" aria-label="{{t('select_all')}}"></th>
      <th>{{t('due_at')}}</th><th>{{t('to')}}</th><th>{{t('text')}}</th>
      <th>{{t('appointment')}}</th><th class="num">{{t('sms_count')}}</th><th>{{t('key')}}</th>
    </tr></thead>
    <tbody>
    % for item in items:
      % m = item.message
      <tr data-id="{{m.id}}">
        <td class="check"><input type="checkbox" name="id" value="{{m.id}}" aria-label="{{m.id}}"></td>
        <td class="nowrap">{{fmt(m.due_at)}}</td>
        <td class="nowrap">{{m.to}}</td>
        <td class="text"><a href="/messages/{{m.id}}">{{m.text}}</a></td>
        <td class="nowrap">{{fmt(item.reminder.appointment_at) if item.reminder else ''}}</td>
        <td class="num">{{m.segments}}</td>
        <td>{{keys.get(m.key_id, '#' + str(m.key_id))}}</td>
      </tr>
    % end
    </tbody>
  </table>
</form>
% else:
<p class="empty">{{t('no_scheduled')}}</p>
% end
% if more:
<p class="pager"><a href="{{more}}">{{t('next_page')}} »</a></p>
% end
