% rebase('layout.tpl', title=t('nav_modems'))
<h1>{{t('nav_modems')}}</h1>
% if not modems:
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
