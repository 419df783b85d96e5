"""Sessions, CSRF tokens, the login throttle and the secret they are signed with.

A session is a signed cookie (itsdangerous): `{"sid": random, "uid": user id or None,
"user": name, "lang": "de"|"en"}`. Anonymous visitors get one too (with uid None), so the login
form and the language switch carry a CSRF token like every other form. The signature's
timestamp is renewed on every page, which makes `max_age` an idle timeout. Logging out
revokes the session id in memory until it would have expired anyway.
"""

from __future__ import annotations

import hmac
import os
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from itsdangerous import BadSignature, URLSafeTimedSerializer

SESSION_COOKIE = "modemd_session"
IDLE_SECONDS = 12 * 3600
SECRET_FILE = "webui.secret"


def load_or_create_secret(data_dir: Path) -> bytes:
    """The signing secret in `data_dir/webui.secret`, made once with mode 0600.

    Kept out of the repository and the database dump: whoever reads it can forge sessions.
    """
    path = data_dir / SECRET_FILE
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        secret = path.read_bytes().strip()
        if len(secret) < 32:
            raise ValueError(f"{path} is too short to be a signing secret; delete it to make "
                             "a new one (everybody has to log in again)") from None
        if path.stat().st_mode & 0o077:
            path.chmod(0o600)
        return secret
    secret = secrets.token_hex(32).encode()
    with os.fdopen(fd, "wb") as f:
        f.write(secret + b"\n")
    return secret


@dataclass(frozen=True)
class Session:
    sid: str
    uid: int | None = None
    user: str | None = None
    lang: str = "de"
    stamp: str | None = None  # UserStore.stamp at login: a new password ends the session

    @property
    def logged_in(self) -> bool:
        return self.uid is not None


class Sessions:
    """Make, read and revoke session cookies; make and check CSRF tokens."""

    def __init__(self, secret: bytes, *, idle_seconds: int = IDLE_SECONDS,
                 now: Callable[[], float] = time.time):
        self._cookies = URLSafeTimedSerializer(secret, salt="modemd-session")
        self._csrf = URLSafeTimedSerializer(secret, salt="modemd-csrf")
        self.idle_seconds = idle_seconds
        self._now = now
        self._revoked: dict[str, float] = {}   # sid -> when it may be forgotten
        self._lock = threading.Lock()

    def new(self, lang: str = "de") -> Session:
        """A fresh anonymous session."""
        return Session(secrets.token_urlsafe(18), lang=lang)

    def login(self, old: Session, uid: int, user: str, stamp: str | None = None) -> Session:
        """A new session id for the user (no fixation: the anonymous id is dropped)."""
        self.revoke(old)
        return Session(secrets.token_urlsafe(18), uid, user, old.lang, stamp)

    def with_lang(self, s: Session, lang: str) -> Session:
        return replace(s, lang=lang)

    def dump(self, s: Session) -> str:
        """The cookie value (signed, timestamped now)."""
        return self._cookies.dumps({"sid": s.sid, "uid": s.uid, "user": s.user,
                                    "lang": s.lang, "stamp": s.stamp})

    def load(self, value: str | None) -> Session | None:
        """The session in a cookie, or None if missing, forged, idle too long or revoked."""
        if not value or len(value) > 1024:
            return None
        try:
            data = self._cookies.loads(value, max_age=self.idle_seconds)
        except BadSignature:
            return None
        if not isinstance(data, dict):
            return None
        sid, uid, user, lang = (data.get("sid"), data.get("uid"), data.get("user"),
                                data.get("lang"))
        if not isinstance(sid, str) or lang not in ("de", "en"):
            return None
        if uid is not None and (not isinstance(uid, int) or not isinstance(user, str)):
            return None
        stamp = data.get("stamp")
        if stamp is not None and not isinstance(stamp, str):
            return None
        with self._lock:
            if sid in self._revoked:
                return None
        return Session(sid, uid, user, lang, stamp)

    def revoke(self, s: Session) -> None:
        """Refuse this session id from now on (logout)."""
        now = self._now()
        with self._lock:
            self._revoked = {k: t for k, t in self._revoked.items() if t > now}
            self._revoked[s.sid] = now + self.idle_seconds + 60

    def csrf_token(self, s: Session) -> str:
        """The token forms of this session carry."""
        return self._csrf.dumps(s.sid)

    def check_csrf(self, s: Session | None, token: str | None) -> bool:
        """True only if `token` was made for this very session."""
        if s is None or not token or len(token) > 512:
            return False
        try:
            sid = self._csrf.loads(token, max_age=self.idle_seconds)
        except BadSignature:
            return False
        return isinstance(sid, str) and hmac.compare_digest(sid, s.sid)


class LoginThrottle:
    """Failed logins per client address and per user name: `limit` failures within
    `window` seconds lock that address or name for `lockout` seconds."""

    def __init__(self, *, limit: int = 5, window: float = 300.0, lockout: float = 60.0,
                 now: Callable[[], float] = time.monotonic):
        self.limit, self.window, self.lockout = limit, window, lockout
        self._now = now
        self._failures: dict[str, list[float]] = {}
        self._locked: dict[str, float] = {}
        self._lock = threading.Lock()

    @staticmethod
    def _keys(ip: str, user: str) -> tuple[str, str]:
        return f"ip:{ip}", f"user:{user.casefold()}"

    def locked_for(self, ip: str, user: str) -> float:
        """Seconds until this address and name may try again (0: now)."""
        now = self._now()
        with self._lock:
            waits = [self._locked.get(k, 0.0) - now for k in self._keys(ip, user)]
        return max(0.0, *waits)

    def failed(self, ip: str, user: str) -> None:
        """Count a failure; the limit-th within the window locks."""
        now = self._now()
        with self._lock:
            for key in self._keys(ip, user):
                recent = [t for t in self._failures.get(key, []) if t > now - self.window]
                recent.append(now)
                if len(recent) >= self.limit:
                    self._locked[key] = now + self.lockout
                    recent = []
                self._failures[key] = recent
            if len(self._failures) > 10_000:   # a flood of names must not grow memory
                self._failures = {k: v for k, v in self._failures.items()
                                  if v and v[-1] > now - self.window}
                self._locked = {k: t for k, t in self._locked.items() if t > now}

    def succeeded(self, ip: str, user: str) -> None:
        """A correct login clears the failures of its address and name."""
        with self._lock:
            for key in self._keys(ip, user):
                self._failures.pop(key, None)
