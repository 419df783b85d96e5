% rebase('layout.tpl', title=t('login'))
<section class="card narrow">
  <h1>{{t('login')}}</h1>
  % if notice:
  <p class="notice">{{notice}}</p>
  % end
  % if error:
  <p class="error" role="alert">{{error}}</p>
  % end
  <form method="post" action="/login" class="stack">
    <input type="hidden" name="csrf_token" value="{{csrf}}">
    <input type="hidden" name="next" value="{{next}}">
    <label>{{t('user')}}
      <input name="user" value="{{name}}" autocomplete="username" required autofocus maxlength="64">
    </label>
    <label>{{t('password')}}
      <input name="password" type="password" autocomplete="current-password" required>
    </label>
    <button type="submit" class="primary">{{t('login')}}</button>
  </form>
  <p class="hint">{{t('login_hint')}}</p>
</section>
