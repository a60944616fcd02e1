"""Login flows: OAuth token endpoint grants, JWT bearer, SOAP login, Salesforce CLI (see
Salesforce Help, "OAuth Authorization Flows").

Each :class:`Authenticator` holds its credentials (masked in ``repr``) and exposes
``login_flow()``, a sans-I/O flow run by the client's driver on first use and again after a
401 ``INVALID_SESSION_ID``. Login failures raise :class:`AuthenticationError` with the OAuth
``error``/``error_description`` or the SOAP fault code — never a secret.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import time
import xml.etree.ElementTree as ET
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, ClassVar
from xml.sax.saxutils import escape

import httpx

from sfbulk_frames._config import DEFAULT_API_VERSION, RetryPolicy
from sfbulk_frames._exceptions import AuthenticationError, ConfigurationError
from sfbulk_frames.client.http import send_with_retries
from sfbulk_frames.client.session import Flow, RetryMode

__all__ = [
    "Authenticator",
    "ClientCredentialsAuth",
    "JwtAuth",
    "PasswordAuth",
    "RefreshTokenAuth",
    "SfCliAuth",
    "SoapAuth",
    "TokenGrant",
    "login_url_for",
]

LOGIN_HOSTS = {"login": "https://login.salesforce.com", "test": "https://test.salesforce.com"}
JWT_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"


def login_url_for(domain: str) -> str:
    """``"login"``/``"test"`` → Salesforce's login hosts; a URL as is; ``"acme"`` → My Domain."""
    domain = domain.strip()
    if domain in LOGIN_HOSTS:
        return LOGIN_HOSTS[domain]
    if domain.startswith(("http://", "https://")):
        return domain.rstrip("/")
    if "." in domain:
        return "https://" + domain.rstrip("/")
    if not domain:
        raise ConfigurationError("domain is empty: use 'login', 'test' or your My Domain URL")
    return f"https://{domain}.my.salesforce.com"


@dataclass(frozen=True)
class TokenGrant:
    """The result of a login: the bearer token and the instance URL to talk to."""

    access_token: str = field(repr=False)
    instance_url: str
    refresh_token: str | None = field(default=None, repr=False)


class Authenticator(ABC):
    """A way to obtain an access token; ``can_reauthenticate`` says if it can do it again."""

    can_reauthenticate: ClassVar[bool] = True
    _secret_fields: ClassVar[frozenset[str]] = frozenset()

    @abstractmethod
    def login_flow(self, retry: RetryPolicy) -> Flow[TokenGrant]:
        """Obtain a token. Raises AuthenticationError when refused."""

    def __repr__(self) -> str:
        parts = []
        for f in fields(self):  # type: ignore[arg-type]
            value = getattr(self, f.name)
            shown = "'***'" if f.name in self._secret_fields and value else repr(value)
            parts.append(f"{f.name}={shown}")
        return f"{type(self).__name__}({', '.join(parts)})"


def _oauth_error(response: httpx.Response, flow_name: str, login_url: str) -> AuthenticationError:
    error: str | None = None
    description = ""
    try:
        body: Any = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict):
        error = body.get("error")
        description = str(body.get("error_description") or "")
    elif isinstance(body, list) and body and isinstance(body[0], dict):
        error = body[0].get("errorCode")
        description = str(body[0].get("message") or "")
    else:
        description = response.text.strip()[:200]
    reason = f"{error}: {description}" if error else description or "(no details)"
    return AuthenticationError(
        f"{flow_name} login at {login_url} was refused (HTTP {response.status_code}) — "
        f"{reason}. Check the credentials, the connected app and the domain "
        "('login', 'test' or your My Domain URL).",
        error=error,
        status=response.status_code,
    )


def _token_flow(
    login_url: str, form: Mapping[str, str], retry: RetryPolicy, flow_name: str
) -> Flow[TokenGrant]:
    url = f"{login_url}/services/oauth2/token"
    response = yield from send_with_retries(
        lambda: httpx.Request("POST", url, data=dict(form), headers={"Accept": "application/json"}),
        retry,
        "idempotent",
    )
    if response.is_error:
        raise _oauth_error(response, flow_name, login_url)
    try:
        body = response.json()
        return TokenGrant(
            access_token=str(body["access_token"]),
            instance_url=str(body.get("instance_url") or login_url),
            refresh_token=body.get("refresh_token"),
        )
    except (ValueError, KeyError, TypeError):
        raise AuthenticationError(
            f"{flow_name} login at {login_url} answered without an access token "
            f"(HTTP {response.status_code}); is the domain a Salesforce login host?",
            status=response.status_code,
        ) from None


@dataclass(repr=False)
class PasswordAuth(Authenticator):
    """OAuth username-password flow (the security token is appended to the password)."""

    username: str
    password: str
    security_token: str = ""
    client_id: str = ""
    client_secret: str = ""
    login_url: str = LOGIN_HOSTS["login"]
    _secret_fields = frozenset({"password", "security_token", "client_secret"})

    def login_flow(self, retry: RetryPolicy) -> Flow[TokenGrant]:
        form = {
            "grant_type": "password",
            "client_id": self.client_id,
            "client_secret": self.client_secret,
            "username": self.username,
            "password": self.password + self.security_token,
        }
        return (yield from _token_flow(self.login_url, form, retry, "Username-password"))


@dataclass(repr=False)
class ClientCredentialsAuth(Authenticator):
    """OAuth client credentials flow (use your My Domain URL as the domain)."""

    client_id: str
    client_secret: str
    login_url: str = LOGIN_HOSTS["login"]
    _secret_fields = frozenset({"client_secret"})

    def login_flow(self, retry: RetryPolicy) -> Flow[TokenGrant]:
        form = {
            "grant_type": "client_credentials",
            "client_id": self.client_id,
            "client_secret": self.client_secret,
        }
        return (yield from _token_flow(self.login_url, form, retry, "Client-credentials"))


@dataclass(repr=False)
class RefreshTokenAuth(Authenticator):
    """OAuth refresh token flow (client secret optional for public apps)."""

    refresh_token: str
    client_id: str
    client_secret: str | None = None
    login_url: str = LOGIN_HOSTS["login"]
    _secret_fields = frozenset({"refresh_token", "client_secret"})

    def login_flow(self, retry: RetryPolicy) -> Flow[TokenGrant]:
        form = {
            "grant_type": "refresh_token",
            "refresh_token": self.refresh_token,
            "client_id": self.client_id,
        }
        if self.client_secret:
            form["client_secret"] = self.client_secret
        grant = yield from _token_flow(self.login_url, form, retry, "Refresh-token")
        if grant.refresh_token:  # refresh-token rotation: keep the newest
            self.refresh_token = grant.refresh_token
        return grant


def load_private_key(private_key: str | None, private_key_file: str | Path | None) -> str:
    """The PEM text of an RSA private key. Raises ConfigurationError (without the key)."""
    from cryptography.hazmat.primitives.serialization import load_pem_private_key

    if (private_key is None) == (private_key_file is None):
        raise ConfigurationError("pass exactly one of private_key= (PEM text) or private_key_file=")
    if private_key_file is not None:
        try:
            private_key = Path(private_key_file).read_text()
        except OSError as exc:
            raise ConfigurationError(
                f"cannot read the private key file {str(private_key_file)!r}: {exc.strerror}"
            ) from None
    assert private_key is not None
    try:
        load_pem_private_key(private_key.encode(), password=None)
    except (ValueError, TypeError):
        raise ConfigurationError(
            "the private key is not an unencrypted PEM private key; export it with "
            "`openssl pkey -in key.pem -out plain.pem`"
        ) from None
    return private_key


@dataclass(repr=False)
class JwtAuth(Authenticator):
    """OAuth JWT bearer flow: an RS256 assertion signed with the connected app's key."""

    client_id: str
    username: str
    private_key: str
    login_url: str = LOGIN_HOSTS["login"]
    audience: str | None = None
    lifetime: int = 180
    _secret_fields = frozenset({"private_key"})

    def assertion(self) -> str:
        import jwt

        claims = {
            "iss": self.client_id,
            "sub": self.username,
            "aud": self.audience or self.login_url,
            "exp": int(time.time()) + self.lifetime,
        }
        return jwt.encode(claims, self.private_key, algorithm="RS256")

    def login_flow(self, retry: RetryPolicy) -> Flow[TokenGrant]:
        form = {"grant_type": JWT_GRANT, "assertion": self.assertion()}
        return (yield from _token_flow(self.login_url, form, retry, "JWT bearer"))


_SOAP_LOGIN = """<?xml version="1.0" encoding="utf-8" ?>
<env:Envelope xmlns:xsd="http://www.w3.org/2001/XMLSchema"
 xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
 xmlns:env="http://schemas.xmlsoap.org/soap/envelope/"
 xmlns:urn="urn:partner.soap.sforce.com">
 <env:Header><urn:CallOptions><urn:client>{client}</urn:client></urn:CallOptions></env:Header>
 <env:Body>
  <n1:login xmlns:n1="urn:partner.soap.sforce.com">
   <n1:username>{username}</n1:username>
   <n1:password>{password}</n1:password>
  </n1:login>
 </env:Body>
</env:Envelope>"""


def _xml_text(root: ET.Element, name: str) -> str | None:
    for element in root.iter():
        if element.tag == name or element.tag.endswith("}" + name):
            return element.text
    return None


@dataclass(repr=False)
class SoapAuth(Authenticator):
    """SOAP partner ``login()``: the session id is the bearer token."""

    username: str
    password: str
    security_token: str = ""
    login_url: str = LOGIN_HOSTS["login"]
    api_version: str = DEFAULT_API_VERSION
    client_name: str = "sfbulk_frames"
    _secret_fields = frozenset({"password", "security_token"})

    def login_flow(self, retry: RetryPolicy) -> Flow[TokenGrant]:
        url = f"{self.login_url}/services/Soap/u/{self.api_version}"
        body = _SOAP_LOGIN.format(
            client=escape(self.client_name),
            username=escape(self.username),
            password=escape(self.password + self.security_token),
        ).encode("utf-8")
        headers = {"Content-Type": "text/xml; charset=UTF-8", "SOAPAction": "login"}
        # A refused SOAP login is an HTTP 500 fault: never repeat it (accounts lock out).
        mode: RetryMode = "refused_only"
        response = yield from send_with_retries(
            lambda: httpx.Request("POST", url, content=body, headers=headers), retry, mode
        )
        try:
            root = ET.fromstring(response.content)
        except ET.ParseError:
            root = ET.Element("empty")
        session_id = _xml_text(root, "sessionId")
        server_url = _xml_text(root, "serverUrl")
        if response.is_error or not session_id or not server_url:
            code = _xml_text(root, "exceptionCode") or _xml_text(root, "faultcode")
            message = _xml_text(root, "faultstring") or response.text.strip()[:200]
            raise AuthenticationError(
                f"SOAP login at {self.login_url} was refused (HTTP {response.status_code}) — "
                f"{message}. Check the username, password and security token.",
                error=code.split(":")[-1] if code else None,
                status=response.status_code,
            )
        server = httpx.URL(server_url)
        return TokenGrant(access_token=session_id, instance_url=f"{server.scheme}://{server.netloc.decode()}")


@dataclass(repr=False)
class SfCliAuth(Authenticator):
    """The Salesforce CLI's stored org: runs ``sf org display --target-org X --json``."""

    target_org: str
    executable: str | None = None

    def login_flow(self, retry: RetryPolicy) -> Flow[TokenGrant]:
        return self.display()
        yield  # pragma: no cover - makes this a (request-free) flow

    def display(self) -> TokenGrant:
        """Run the CLI. Raises ConfigurationError if ``sf`` is missing, AuthenticationError
        if it cannot show the org."""
        exe = self.executable or shutil.which("sf") or shutil.which("sfdx")
        if exe is None:
            raise ConfigurationError(
                "The Salesforce CLI (`sf`) was not found on PATH: install it "
                "(https://developer.salesforce.com/tools/salesforcecli), run "
                f"`sf org login web --alias {self.target_org}`, or use Client.from_env()."
            )
        command = [exe, "org", "display", "--target-org", self.target_org, "--json"]
        try:
            done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise ConfigurationError(f"could not run {exe!r}: {exc}") from None
        try:
            payload = json.loads(done.stdout)
        except ValueError:
            payload = {}
        result = payload.get("result") if isinstance(payload, dict) else None
        if done.returncode != 0 or not isinstance(result, dict) or not result.get("accessToken"):
            message = payload.get("message") if isinstance(payload, dict) else None
            raise AuthenticationError(
                f"`sf org display --target-org {self.target_org}` failed: "
                f"{message or 'no access token in its output'}. Log in with "
                f"`sf org login web --alias {self.target_org}`.",
                error=payload.get("name") if isinstance(payload, dict) else None,
            )
        return TokenGrant(
            access_token=str(result["accessToken"]), instance_url=str(result["instanceUrl"])
        )
