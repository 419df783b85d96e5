% rebase('layout.tpl', title=t('nav_stats'))
<h1>{{t('nav_stats')}}</h1>
% if error:
<p class="error" role="alert">{{error}}</p>
% end
<form method="get" action="/stats" class="filters">
  <label>{{t('month')}}
    <select name="month" id="month">
      % for mo in months:
      <option value="{{mo}}" {{'selected' if mo == month else ''}}>{{mo}}</option>
      % end
      % if month not in months:
      <option value="{{month}}" selected>{{month}}</option>
      % end
    </select>
  </label>
  <button type="submit">{{t('show')}}</button>
</form>
% b = data['billing']
<p class="hint">
% if b['model'] == 'package':
{{t('billing_package', size=b['package_size'], price=money(b['package_price']), currency=b['currency'], packages=b['packages'])}}
% else:
{{t('billing_per_sms', price=money(b['price_per_sms']), currency=b['currency'])}}
% end
</p>
<div class="table-wrap">
<table class="list stats" id="stats">
  <thead><tr>
    <th>{{t('key')}}</th><th class="num">{{t('messages')}}</th><th class="num">{{t('segments')}}</th>
    <th class="num">{{t('delivered')}}</th><th class="num">{{t('sent')}}</th><th class="num">{{t('undelivered')}}</th>
    <th class="num">{{t('failed')}}</th><th class="num">{{t('rejected')}}</th><th class="num">{{t('cancelled')}}</th>
    <th class="num">{{t('queued')}}</th><th class="num">{{t('cost')}}</th><th class="num">{{t('limit')}}</th>
  </tr></thead>
  <tbody>
  % rows = [(r['key'], r, False) for r in data['keys']] + [(t('total'), data['total'], True)]
  % for name, r, is_total in rows:
    <tr class="{{'total' if is_total else ''}}" data-key="{{'' if is_total else name}}">
      <td>{{name}}</td><td class="num">{{r['messages']}}</td><td class="num">{{r['segments']}}</td>
      <td class="num">{{r['delivered']}}</td><td class="num">{{r['sent']}}</td><td class="num">{{r['undelivered']}}</td>
      <td class="num">{{r['failed']}}</td><td class="num">{{r['rejected']}}</td><td class="num">{{r['cancelled']}}</td>
      <td class="num">{{r['queued']}}</td><td class="num nowrap">{{money(r['cost'])}} {{b['currency']}}</td>
      % lim = r['limit']
      <td class="num nowrap">{{t('no_limit') if lim['monthly_limit'] is None else '%s / %s (%s %s)' % (lim['used'], lim['monthly_limit'], lim['remaining'], t('remaining'))}}</td>
    </tr>
  % end
  </tbody>
</table>
</div>
