<!doctype html>
<html lang="{{lang}}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{title}} · modemd</title>
<link rel="stylesheet" href="/static/style.css">
<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">
% for src in get('scripts', []):
<script src="{{src}}" defer></script>
% end
</head>
<body>
<header class="top">
  <div class="brand">modemd <span>{{t('app')}}</span></div>
  % if user:
  <nav class="main">
    % for key, href in (('messages', '/messages'), ('scheduled', '/scheduled'), ('send', '/send'), ('replies', '/replies'), ('stats', '/stats'), ('modems', '/modems')):
    <a href="{{href}}" class="{{'active' if active == key else ''}}">{{t('nav_' + key)}}</a>
    % end
  </nav>
  % end
  <div class="session">
    <form method="post" action="/lang" class="inline lang">
      <input type="hidden" name="csrf_token" value="{{csrf}}">
      <input type="hidden" name="back" value="{{path}}">
      % if lang == 'de':
      <button type="submit" name="lang" value="en" class="link" title="{{t('language')}}">English</button>
      % else:
      <button type="submit" name="lang" value="de" class="link" title="{{t('language')}}">Deutsch</button>
      % end
    </form>
    % if user:
    <span class="who">{{user}}</span>
    <form method="post" action="/logout" class="inline">
      <input type="hidden" name="csrf_token" value="{{csrf}}">
      <button type="submit" class="link" id="logout">{{t('logout')}}</button>
    </form>
    % end
  </div>
</header>
<main>
{{!base}}
</main>
</body>
</html>
