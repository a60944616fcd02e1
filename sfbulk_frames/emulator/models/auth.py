"""Users, connected-app credentials and sessions of the emulated org, and the rules of its
login flows (protocol §7): the ``password``, ``client_credentials``, ``refresh_token`` and JWT
bearer (RS256) grants and the SOAP ``login`` call. Refusals raise :class:`OAuthError` with
Salesforce's wire values; the HTTP side is :mod:`..api.oauth` and :mod:`..api.soap`. Tokens look
like Salesforce's (``00D…!AQ…``), come from a seedable RNG, can expire after a lifetime or on
demand, and are never logged or shown in a repr.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import random
import string
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import jwt

from sfbulk_frames._exceptions import ConfigurationError
from sfbulk_frames.emulator.models.ids import BASE62, to_18
from sfbulk_frames.emulator.models.objects.builtin import DEFAULT_USERNAME

__all__ = [
    "DEFAULT_PASSWORD",
    "DEFAULT_USERNAME",
    "JWT_BEARER_GRANT",
    "JWT_LOGIN_AUDIENCES",
    "AuthService",
    "OAuthError",
    "SoapSession",
    "UserAccount",
]

DEFAULT_PASSWORD = "password"  # the emulator's documented default login
JWT_BEARER_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"
JWT_LOGIN_AUDIENCES = ("https://login.salesforce.com", "https://test.salesforce.com")
DEFAULT_SESSION_SECONDS = 7200
JWT_CLOCK_SKEW = 300  # seconds of tolerance on ``exp``

_TOKEN_ALPHABET = string.ascii_letters + string.digits + "._"


class OAuthError(Exception):
    """A token request is refused; ``error``/``description`` are Salesforce's wire values."""

    def __init__(self, error: str, description: str, status: int = 400) -> None:
        super().__init__(f"{error}: {description}")
        self.error = error
        self.description = description
        self.status = status


@dataclass
class _Session:
    username: str
    expires_at: float | None  # clock() value after which the token is invalid


@dataclass(frozen=True)
class _User:
    username: str
    password: str
    user_id: str
    security_token: str = ""

    def accepts(self, password: str) -> bool:
        """Password alone (loopback counts as a trusted IP) or password + security token."""
        candidates = {self.password, self.password + self.security_token}
        return any(hmac.compare_digest(password, c) for c in candidates)

    @property
    def full_name(self) -> str:
        local = self.username.split("@", 1)[0]
        return "Admin User" if local == "admin" else local.replace(".", " ").title()


@dataclass(frozen=True)
class UserAccount:
    """Who a user of the org is (no password): what identity and userinfo report."""

    username: str
    user_id: str
    full_name: str


@dataclass(frozen=True)
class SoapSession:
    """What a successful SOAP ``login`` returns (the session id is a secret: no repr)."""

    session_id: str = field(repr=False)
    user_id: str
    org_id: str
    organization_name: str
    session_seconds: int
    username: str
    full_name: str


class AuthService:
    """Users, connected-app credentials and the live sessions of one emulated org.

    ``users`` maps usernames to passwords (default ``admin@example.com``/``password``; the first
    user is the default one). ``client_id``/``client_secret`` restrict the connected app (any
    value is accepted when unset). ``jwt_public_key`` is the PEM public key or X.509 certificate
    that verifies JWT bearer assertions. ``token_lifetime`` (seconds) makes tokens expire.
    """

    def __init__(
        self,
        *,
        users: dict[str, str] | None = None,
        client_id: str | None = None,
        client_secret: str | None = None,
        jwt_public_key: str | None = None,
        fixed_token: str | None = None,
        token_lifetime: float | None = None,
        rng: random.Random | None = None,
        user_id: str,
        org_id: str,
        security_tokens: dict[str, str] | None = None,
        organization_name: str = "sfbulk_frames Emulator",
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.org_id = org_id
        self.organization_name = organization_name
        self.client_id = client_id
        self._client_secret = client_secret
        self._jwt_key = _load_jwt_key(jwt_public_key) if jwt_public_key else None
        self._fixed_token = fixed_token
        self.token_lifetime = token_lifetime
        self._rng = rng or random.Random()
        self._clock = clock
        self._lock = threading.Lock()
        self._sessions: dict[str, _Session] = {}
        self._refresh_tokens: dict[str, str] = {}  # refresh token -> username
        tokens = security_tokens or {}
        passwords = users if users is not None else {DEFAULT_USERNAME: DEFAULT_PASSWORD}
        if not passwords:
            raise ConfigurationError("AuthService needs at least one user (username -> password)")
        self._users: dict[str, _User] = {}
        for index, (name, password) in enumerate(passwords.items()):
            uid = user_id if index == 0 else _derived_user_id(user_id, index)
            self._users[name.lower()] = _User(name, password, uid, tokens.get(name, ""))
        self.default_username = next(iter(passwords))

    def __repr__(self) -> str:
        return (f"<AuthService org={self.org_id} users={len(self._users)} "
                f"sessions={len(self._sessions)}>")

    # ----------------------------------------------------------------- sessions
    def issue_token(self, username: str | None = None) -> str:
        """A valid access token for ``username`` (default user); ``fixed_token`` if configured."""
        user = self._user(username or self.default_username)
        if user is None:
            raise KeyError(f"unknown emulator user {username!r}; add it with users={{...}}")
        if self._fixed_token is not None and username in (None, self.default_username):
            with self._lock:
                self._sessions[self._fixed_token] = _Session(user.username, self._expiry())
            return self._fixed_token
        return self._new_session(user)

    def issue_refresh_token(self, username: str | None = None) -> str:
        """A refresh token for ``username`` (what a web-server OAuth flow would have granted)."""
        user = self._user(username or self.default_username)
        if user is None:
            raise KeyError(f"unknown emulator user {username!r}; add it with users={{...}}")
        with self._lock:
            token = "5Aep" + self._random_chars(83)
            self._refresh_tokens[token] = user.username
        return token

    def check(self, authorization: str | None) -> bool:
        """Whether an ``Authorization`` header (``Bearer x`` or ``OAuth x``) carries a valid,
        unexpired access token."""
        token = _bearer_token(authorization)
        if token is None:
            return False
        with self._lock:
            session = self._sessions.get(token)
            if session is None:
                return False
            if session.expires_at is not None and self._clock() >= session.expires_at:
                del self._sessions[token]
                return False
            return True

    def session_account(self, authorization: str | None) -> UserAccount | None:
        """The user whose valid access token an ``Authorization`` header carries, else None."""
        if not self.check(authorization):
            return None
        token = _bearer_token(authorization)
        with self._lock:
            session = self._sessions.get(token or "")
        user = self._user(session.username) if session is not None else None
        return None if user is None else UserAccount(user.username, user.user_id, user.full_name)

    def accounts(self) -> list[UserAccount]:
        """Every user of the org, the default one first."""
        return [UserAccount(u.username, u.user_id, u.full_name) for u in self._users.values()]

    def expire_all(self) -> None:
        """Invalidate every access token now (refresh tokens keep working)."""
        with self._lock:
            self._sessions.clear()

    def expire_refresh_tokens(self) -> None:
        """Revoke every refresh token (the next refresh gets ``invalid_grant``)."""
        with self._lock:
            self._refresh_tokens.clear()

    def revoke(self, token: str) -> bool:
        """Revoke one access or refresh token; ``False`` if it was not known."""
        with self._lock:
            found = self._sessions.pop(token, None) or self._refresh_tokens.pop(token, None)
        return found is not None

    def user_id(self, username: str | None = None) -> str | None:
        user = self._user(username or self.default_username)
        return user.user_id if user else None

    def _user(self, username: str) -> _User | None:
        return self._users.get(username.lower())

    def _expiry(self) -> float | None:
        return None if self.token_lifetime is None else self._clock() + self.token_lifetime

    def _random_chars(self, count: int) -> str:
        return "".join(self._rng.choice(_TOKEN_ALPHABET) for _ in range(count))

    def _new_session(self, user: _User) -> str:
        with self._lock:
            token = f"{self.org_id[:15]}!AQ{self._random_chars(96)}"
            self._sessions[token] = _Session(user.username, self._expiry())
        return token

    # ----------------------------------------------------------------- grants
    def grant(self, form: dict[str, str], base_url: str,
              basic: tuple[str, str] | None = None) -> dict[str, Any]:
        """The token body of an OAuth token request (``form`` holds its parameters, ``basic``
        the client id and secret of an ``Authorization: Basic`` header); raises
        :class:`OAuthError` when refused."""
        grant = form.get("grant_type", "")
        if grant == "password":
            return self._password_grant(form, base_url)
        if grant == "client_credentials":
            return self._client_credentials_grant(form, base_url, basic)
        if grant == "refresh_token":
            return self._refresh_grant(form, base_url)
        if grant == JWT_BEARER_GRANT:
            return self._jwt_grant(form, base_url)
        raise OAuthError("unsupported_grant_type", "grant type not supported")

    def _check_client(self, client_id: str | None, secret: str | None, *,
                      secret_required: bool) -> None:
        if not client_id or (self.client_id is not None and client_id != self.client_id):
            raise OAuthError("invalid_client_id", "client identifier invalid")
        if secret_required and not secret:
            raise OAuthError("invalid_client", "invalid client credentials")
        if (secret and self._client_secret is not None
                and not hmac.compare_digest(secret, self._client_secret)):
            raise OAuthError("invalid_client", "invalid client credentials")

    def _password_grant(self, form: dict[str, str], base_url: str) -> dict[str, Any]:
        self._check_client(form.get("client_id"), form.get("client_secret"),
                           secret_required=True)
        user = self._user(form.get("username", ""))
        if user is None or not user.accepts(form.get("password", "")):
            raise OAuthError("invalid_grant", "authentication failure")
        return self._token_body(user, base_url, form.get("client_secret"))

    def _client_credentials_grant(self, form: dict[str, str], base_url: str,
                                  basic: tuple[str, str] | None) -> dict[str, Any]:
        client_id, secret = form.get("client_id"), form.get("client_secret")
        if basic is not None:
            client_id, secret = basic
        self._check_client(client_id, secret, secret_required=True)
        user = self._users[self.default_username.lower()]
        return self._token_body(user, base_url, secret, scope="api")

    def _refresh_grant(self, form: dict[str, str], base_url: str) -> dict[str, Any]:
        self._check_client(form.get("client_id"), form.get("client_secret"),
                           secret_required=False)
        with self._lock:
            username = self._refresh_tokens.get(form.get("refresh_token", ""))
        user = self._user(username) if username else None
        if user is None:
            raise OAuthError("invalid_grant", "expired access/refresh token")
        return self._token_body(user, base_url, form.get("client_secret"),
                                scope="refresh_token api")

    def _jwt_grant(self, form: dict[str, str], base_url: str) -> dict[str, Any]:
        claims = self._verified_claims(form.get("assertion", ""), base_url)
        if self.client_id is not None and claims.get("iss") != self.client_id:
            raise OAuthError("invalid_client_id", "client identifier invalid")
        user = self._user(str(claims.get("sub") or claims.get("prn") or ""))
        if user is None:
            raise OAuthError("invalid_grant", "user hasn't approved this consumer")
        token = self._new_session(user)
        return {"access_token": token, "scope": "api", "instance_url": base_url,
                "id": self._identity_url(user, base_url), "token_type": "Bearer"}

    def _verified_claims(self, assertion: str, base_url: str) -> dict[str, Any]:
        if not assertion:
            raise OAuthError("invalid_request", "assertion is required for this grant type")
        if self._jwt_key is None:
            raise OAuthError("invalid_client",
                             "no certificate is registered for JWT bearer on this emulator")
        try:
            header = jwt.get_unverified_header(assertion)
            if header.get("alg") != "RS256":
                raise OAuthError("invalid_grant", "invalid assertion")
            claims: dict[str, Any] = jwt.decode(
                assertion, self._jwt_key, algorithms=["RS256"],
                options={"verify_exp": False, "verify_aud": False, "verify_iat": False,
                         "verify_nbf": False},
            )
        except jwt.PyJWTError as exc:
            raise OAuthError("invalid_grant", "invalid assertion") from exc
        audiences = claims.get("aud")
        allowed = {*JWT_LOGIN_AUDIENCES, base_url.rstrip("/")}
        aud_list = audiences if isinstance(audiences, list) else [audiences]
        if not any(isinstance(a, str) and a.rstrip("/") in allowed for a in aud_list):
            raise OAuthError("invalid_grant", "audience is invalid")
        try:
            expires = float(claims["exp"])
        except (KeyError, TypeError, ValueError) as exc:
            raise OAuthError("invalid_grant", "invalid assertion") from exc
        if expires + JWT_CLOCK_SKEW < self._clock():
            raise OAuthError("invalid_grant", "expired authorization code")
        return claims

    def _identity_url(self, user: _User, base_url: str) -> str:
        return f"{base_url}/id/{self.org_id}/{user.user_id}"

    def _token_body(self, user: _User, base_url: str, secret: str | None,
                    scope: str | None = None) -> dict[str, Any]:
        token = self._new_session(user)
        identity = self._identity_url(user, base_url)
        issued_at = str(int(self._clock() * 1000))
        key = (secret or self._client_secret or "").encode()
        signature = base64.b64encode(
            hmac.new(key, (identity + issued_at).encode(), hashlib.sha256).digest()
        ).decode()
        if scope is None:  # username-password flow: Salesforce's exact key order, no scope
            return {"access_token": token, "instance_url": base_url, "id": identity,
                    "token_type": "Bearer", "issued_at": issued_at, "signature": signature}
        return {"access_token": token, "signature": signature, "scope": scope,
                "instance_url": base_url, "id": identity, "token_type": "Bearer",
                "issued_at": issued_at}

    # ----------------------------------------------------------------- SOAP
    def soap_login(self, username: str, password: str) -> SoapSession | None:
        """A new session for a SOAP ``login`` call, or ``None`` when the credentials are wrong."""
        user = self._user(username)
        if user is None or not user.accepts(password):
            return None
        seconds = int(self.token_lifetime) if self.token_lifetime else DEFAULT_SESSION_SECONDS
        return SoapSession(
            session_id=self._new_session(user), user_id=user.user_id, org_id=self.org_id,
            organization_name=self.organization_name, session_seconds=seconds,
            username=user.username, full_name=user.full_name,
        )


# --------------------------------------------------------------------- helpers
def _load_jwt_key(pem: str) -> Any:
    """The public key of a PEM certificate or public key; raises ``ValueError`` otherwise."""
    from cryptography import x509
    from cryptography.hazmat.primitives.serialization import load_pem_public_key

    data = pem.encode() if isinstance(pem, str) else pem
    if b"BEGIN CERTIFICATE" in data:
        return x509.load_pem_x509_certificate(data).public_key()
    if b"PRIVATE KEY" in data:
        raise ConfigurationError(
            "jwt_public_key must be a certificate or public key, not a private key"
        )
    return load_pem_public_key(data)


def _derived_user_id(default_user_id: str, index: int) -> str:
    """A stable 18-character User Id for the ``index``-th configured user."""
    suffix = ""
    for _ in range(4):
        index, rem = divmod(index, 62)
        suffix = BASE62[rem] + suffix
    return to_18(default_user_id[:11] + suffix)


def _bearer_token(authorization: str | None) -> str | None:
    if not authorization:
        return None
    scheme, _, token = authorization.strip().partition(" ")
    if scheme.lower() not in ("bearer", "oauth") or not token.strip():
        return None
    return token.strip()
