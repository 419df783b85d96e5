% rebase('layout.tpl', title=t('message') + ' ' + str(m.id))
<p><a href="/messages">« {{t('nav_messages')}}</a></p>
<h1>{{t('message')}} {{m.id}} <span class="badge s-{{m.status}}">{{label(m.status)}}</span></h1>
% if notice:
<p class="notice" role="status">{{notice}}</p>
% end
<section class="card">
  <pre class="sms" id="sms-text">{{m.text}}</pre>
  <dl class="facts">
    <dt>{{t('to')}}</dt><dd>{{m.to}}</dd>
    <dt>{{t('sms_count')}}</dt><dd>{{count}} · {{m.encoding}}</dd>
    <dt>{{t('key')}}</dt><dd>{{keys.get(m.key_id, '#' + str(m.key_id))}}</dd>
    % if m.reference:
    <dt>{{t('reference')}}</dt><dd>{{m.reference}}</dd>
    % end
    <dt>{{t('created')}}</dt><dd>{{fmt(m.created_at)}}</dd>
    % if m.send_at:
    <dt>{{t('send_at')}}</dt><dd>{{fmt(m.send_at)}}</dd>
    % end
    % if m.sent_at:
    <dt>{{t('sent_at')}}</dt><dd>{{fmt(m.sent_at)}}</dd>
    % end
    % if m.delivered_at:
    <dt>{{t('delivered_at')}}</dt><dd>{{fmt(m.delivered_at)}}</dd>
    % end
    % if m.channel:
    <dt>{{t('channel')}}</dt><dd>{{m.channel}}</dd>
    % end
    % if m.error_code:
    <dt>{{t('error')}}</dt><dd>{{m.error_code}}: {{m.error_text or ''}}</dd>
    % end
  </dl>
  % if cancellable:
  <form method="post" action="/messages/{{m.id}}/cancel">
    <input type="hidden" name="csrf_token" value="{{csrf}}">
    <button type="submit" class="danger">{{t('cancel_message')}}</button>
  </form>
  % end
</section>
% if m.parts:
<h2>{{t('parts')}}</h2>
<table class="list">
  <thead><tr><th>{{t('part')}}</th><th>{{t('status')}}</th><th>{{t('channel')}}</th><th>{{t('message_ref')}}</th><th>{{t('sent_at')}}</th></tr></thead>
  <tbody>
  % for p in m.parts:
    <tr><td>{{p.seq}}</td><td>{{p.status}}</td><td>{{p.channel or ''}}</td><td>{{'' if p.message_ref is None else p.message_ref}}</td><td>{{fmt(p.sent_at)}}</td></tr>
  % end
  </tbody>
</table>
% end
<h2>{{t('history')}}</h2>
<table class="list">
  <thead><tr><th>{{t('time')}}</th><th>{{t('status')}}</th><th>{{t('detail')}}</th></tr></thead>
  <tbody>
  % for h in m.history:
    <tr><td class="nowrap">{{fmt(h.at)}}</td><td><span class="badge s-{{h.status}}">{{label(h.status)}}</span></td><td>{{h.detail or ''}}</td></tr>
  % end
  </tbody>
</table>
