% rebase('layout.tpl', title=t('forbidden_title'))
<section class="card narrow">
  <h1>{{t('forbidden_title')}}</h1>
  <p class="error" role="alert">{{t('forbidden_csrf')}}</p>
  <p><a href="/messages">{{t('back')}}</a></p>
</section>
