% rebase('layout.tpl', title=t('nav_modems'))
<h1>{{t('nav_modems')}}</h1>
% if not modems and not upstream:
<p class="empty">{{t('no_modems')}}</p>
% end
<div class="cards">
% for d in modems:
<section class="card modem" data-name="{{d.get('name')}}">
  <h2>{{d.get('name')}} <span class="badge m-{{d.get('state')}}">{{t('mstate_' + str(d.get('state')))}}</span></h2>
  <dl class="facts">
    <dt>{{t('port')}}</dt><dd>{{d.get('port') or ''}}</dd>
    % if d.get('reason'):
    <dt>{{t('reason')}}</dt><dd>{{d.get('reason')}}</dd>
    % end
    % if d.get('step'):
    <dt>{{t('step')}}</dt><dd>{{d.get('step')}}{{(' · ' + t('waiting_for') + ' ' + str(d.get('waiting_for'))) if d.get('waiting_for') else ''}}</dd>
    % end
    % sig = d.get('signal') or {}
    <dt>{{t('signal')}}</dt><dd>{{'' if sig.get('dbm') is None else str(sig.get('dbm')) + ' dBm'}}{{'' if sig.get('rssi') is None else ' (rssi ' + str(sig.get('rssi')) + ')'}}</dd>
    <dt>{{t('operator')}}</dt><dd>{{d.get('operator') or ''}}</dd>
    <dt>{{t('registration')}}</dt><dd>{{d.get('registration') or ''}}</dd>
    <dt>{{t('family')}}</dt><dd>{{d.get('family') or ''}} {{' '.join(x for x in (d.get('maker'), d.get('model')) if x)}}</dd>
    % c = d.get('counters') or {}
    % for name in ('parts_sent', 'parts_failed', 'received', 'status_reports', 'connects'):
    <dt>{{t(name)}}</dt><dd class="num-left">{{c.get(name, 0)}}</dd>
    % end
  </dl>
</section>
% end
</div>
% for d in upstream:
<h2>{{t('smpp_title')}}</h2>
<div class="cards">
<section class="card modem" data-name="smpp">
  <h2>{{d.get('name')}} <span class="badge m-{{'ready' if d.get('ready') else d.get('state')}}">{{t('mstate_' + str(d.get('state')))}}</span></h2>
  <dl class="facts">
    <dt>{{t('smpp_mode')}}</dt><dd>{{t('smpp_mode_' + str(d.get('mode')))}}</dd>
    <dt>{{t('smpp_server')}}</dt><dd>{{d.get('host') or ''}}:{{d.get('port') or ''}}</dd>
    <dt>{{t('smpp_sender')}}</dt><dd>{{d.get('source_addr') or ''}}</dd>
    % if d.get('bound_since'):
    <dt>{{t('smpp_bound_since')}}</dt><dd>{{d.get('bound_since')}}</dd>
    % end
    <dt>{{t('smpp_in_flight')}}</dt><dd class="num-left">{{d.get('in_flight', 0)}}</dd>
    % if d.get('error'):
    <dt>{{t('smpp_error')}}</dt><dd>{{d.get('error')}}</dd>
    % end
    % c = d.get('counters') or {}
    % for name in sorted(c):
    <dt>{{t(name)}}</dt><dd class="num-left">{{c[name]}}</dd>
    % end
  </dl>
</section>
</div>
% end
