% rebase('layout.tpl', title=t('nav_send'), scripts=['/static/counter.js'])
<h1>{{t('nav_send')}}</h1>
% if error:
<p class="error" role="alert" id="send-error">{{error}}</p>
% end
<section class="card form">
<form method="post" action="/send" class="stack" id="send-form">
  <input type="hidden" name="csrf_token" value="{{csrf}}">
  <label>{{t('to')}}
    <input name="to" id="to" value="{{values['to']}}" inputmode="tel" required maxlength="40" placeholder="{{t('to_hint')}}">
  </label>
  <label>{{t('text')}}
    <textarea name="text" id="text" rows="6" required>{{values['text']}}</textarea>
  </label>
  <p class="counter" id="counter" aria-live="polite"
     data-characters="{{t('characters')}}" data-ucs2="{{t('counter_ucs2')}}"
     data-too-long="{{t('counter_too_long')}}" data-costly="{{t('costly')}}">{{t('counter_idle')}}</p>
  <label>{{t('send_later')}}
    <input type="datetime-local" name="send_at" id="send_at" value="{{values['send_at']}}">
    <span class="hint">{{t('send_later_hint', tz=tz)}}</span>
  </label>
  <div><button type="submit" class="primary" id="send">{{t('send')}}</button></div>
  <p class="hint">{{t('webui_key_hint')}}</p>
</form>
</section>
