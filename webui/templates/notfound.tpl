% rebase('layout.tpl', title=t('not_found'))
<section class="card narrow">
  <h1>{{t('not_found')}}</h1>
  <p><a href="/messages">{{t('back')}}</a></p>
</section>
