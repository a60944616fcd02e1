"""The I/O-free part of ``Client`` and ``AsyncClient``: options, constructors, repr.

A client holds a :class:`~sfbulk_frames.client.http.Session` (instance URL, token, API version,
authenticator) and a driver; every method builds a flow and runs it. Tokens never appear in
``repr``, logs or exceptions.
"""

from __future__ import annotations

import logging
import os
import ssl
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Self
from urllib.parse import urlsplit

from sfbulk_frames._config import (
    DEFAULT_API_VERSION,
    DEFAULT_POLL,
    DEFAULT_RETRY,
    PollPolicy,
    RetryPolicy,
)
from sfbulk_frames._exceptions import ConfigurationError
from sfbulk_frames._models import JobInfo, LimitInfo, Operation
from sfbulk_frames.client.auth import (
    Authenticator,
    ClientCredentialsAuth,
    JwtAuth,
    PasswordAuth,
    RefreshTokenAuth,
    SfCliAuth,
    SoapAuth,
    load_private_key,
    login_url_for,
)
from sfbulk_frames.client.hints import create_job_flow, describe_with_hints_flow
from sfbulk_frames.client.http import api_json
from sfbulk_frames.client.protocol import (
    JobKind,
    create_ingest_job_call,
    create_query_job_call,
    list_jobs_flow,
)
from sfbulk_frames.client.session import ApiCall, Flow, Session

__all__ = ["ENV_HELP", "normalize_api_version", "normalize_instance_url"]

logger = logging.getLogger("sfbulk_frames")

ENV_HELP = (
    "Set SF_INSTANCE_URL and SF_ACCESS_TOKEN; or SF_USERNAME + SF_PASSWORD "
    "(+ SF_SECURITY_TOKEN, SF_CLIENT_ID, SF_CLIENT_SECRET); or SF_CLIENT_ID + "
    "SF_PRIVATE_KEY_FILE + SF_USERNAME (JWT); or SF_CLIENT_ID + SF_CLIENT_SECRET (client "
    "credentials); or SF_REFRESH_TOKEN + SF_CLIENT_ID. SF_DOMAIN picks the login host "
    "('login', 'test' or your My Domain URL)."
)


def normalize_api_version(value: str | float) -> str:
    """``"v62.0"``, ``62``, ``62.0`` → ``"62.0"``. Raises ConfigurationError otherwise."""
    text = str(value).strip().lstrip("vV")
    try:
        number = float(text)
    except ValueError:
        raise ConfigurationError(f"api_version={value!r} is not a version like '62.0'") from None
    if number < 41.0:
        raise ConfigurationError(f"api_version={value!r}: Bulk API 2.0 needs 41.0 or newer")
    return f"{number:.1f}"


def normalize_instance_url(url: str) -> str:
    """``https://acme.my.salesforce.com/services/data/v62.0/`` -> ``https://acme.my.salesforce.com``.

    The client adds ``/services/data/vNN.N/...`` itself, so a path (copied from a browser or a
    REST URL) would double it; it is dropped with a warning.
    """
    parts = urlsplit(url.strip())
    base = f"{parts.scheme}://{parts.netloc}"
    if parts.path.strip("/") or parts.query or parts.fragment:
        logger.warning(
            "instance_url %r has a path; using %r (the client adds /services/data/v…/ itself)",
            url,
            base,
        )
    return base


def _verify_setting(verify: bool | str) -> bool | ssl.SSLContext:
    if isinstance(verify, str):
        return ssl.create_default_context(cafile=verify)
    return verify


def _auth_from_env(env: Mapping[str, str], api_version: str) -> Authenticator:
    """The login flow the environment describes. Raises ConfigurationError if none."""

    def get(name: str) -> str | None:
        return env.get(name) or None

    login_url = login_url_for(get("SF_DOMAIN") or "login")
    username, client_id = get("SF_USERNAME"), get("SF_CLIENT_ID")
    if client_id and username and get("SF_PRIVATE_KEY_FILE"):
        key = load_private_key(None, get("SF_PRIVATE_KEY_FILE"))
        return JwtAuth(client_id, username, key, login_url=login_url)
    if username and get("SF_PASSWORD"):
        password, token = env["SF_PASSWORD"], env.get("SF_SECURITY_TOKEN", "")
        if client_id:
            return PasswordAuth(
                username, password, token, client_id, env.get("SF_CLIENT_SECRET", ""), login_url
            )
        return SoapAuth(username, password, token, login_url, api_version)
    if client_id and get("SF_REFRESH_TOKEN"):
        return RefreshTokenAuth(
            env["SF_REFRESH_TOKEN"], client_id, get("SF_CLIENT_SECRET"), login_url
        )
    if client_id and get("SF_CLIENT_SECRET"):
        return ClientCredentialsAuth(client_id, env["SF_CLIENT_SECRET"], login_url)
    raise ConfigurationError(
        f"No Salesforce credentials in the environment. {ENV_HELP} Or pass a client: "
        "sfbulk_frames.Client(instance_url, access_token), or set one with "
        "sfbulk_frames.set_default_client(...)."
    )


class _BaseClient:
    """Everything but I/O: configuration, constructors for each auth flow, repr."""

    def __init__(
        self,
        instance_url: str,
        access_token: str | None = None,
        *,
        api_version: str = DEFAULT_API_VERSION,
        auth: Authenticator | None = None,
        retry: RetryPolicy = DEFAULT_RETRY,
        poll: PollPolicy = DEFAULT_POLL,
        client_name: str | None = None,
        gzip_threshold: int | None = None,
    ) -> None:
        if not isinstance(instance_url, str) or not instance_url.startswith(
            ("http://", "https://")
        ):
            raise ConfigurationError(
                f"instance_url={instance_url!r} must be a URL like "
                "'https://mycompany.my.salesforce.com'"
            )
        instance_url = normalize_instance_url(instance_url)
        if access_token is None and auth is None:
            raise ConfigurationError(
                "pass access_token= (with instance_url) or auth=, or use a login constructor "
                f"(Client.password_login, Client.jwt_login, Client.from_env, ...). {ENV_HELP}"
            )
        self._session = Session(
            instance_url,
            access_token,
            api_version=normalize_api_version(api_version),
            auth=auth,
            retry=retry,
            client_name=client_name,
            gzip_threshold=gzip_threshold,
        )
        self.poll = poll
        self._describe_cache: dict[str, dict[str, Any]] = {}

    def __repr__(self) -> str:
        auth = f", auth={self._session.auth!r}" if self._session.auth else ""
        return (
            f"{type(self).__name__}(instance_url={self.instance_url!r}, "
            f"api_version={self.api_version!r}{auth})"
        )

    @property
    def instance_url(self) -> str:
        return self._session.instance_url

    @property
    def api_version(self) -> str:
        return self._session.api_version

    @property
    def limit_info(self) -> LimitInfo | None:
        """API usage from the last ``Sforce-Limit-Info`` header seen (``None`` before a call)."""
        return self._session.limit_info

    # -- the flows of the client methods (built here; Client runs them, AsyncClient awaits) --

    def _create_ingest_job_flow(
        self,
        object: str,
        operation: str | Operation,
        external_id_field: str | None,
        column_delimiter: str,
        line_ending: str,
        assignment_rule_id: str | None,
    ) -> Flow[JobInfo]:
        call = create_ingest_job_call(
            object,
            operation,
            external_id_field=external_id_field,
            column_delimiter=column_delimiter,
            line_ending=line_ending,
            assignment_rule_id=assignment_rule_id,
        )
        return create_job_flow(
            self._session,
            self._describe_cache,
            call,
            object_name=object,
            external_id_field=external_id_field,
        )

    def _create_query_job_flow(
        self, soql: str, include_deleted: bool, column_delimiter: str, line_ending: str
    ) -> Flow[JobInfo]:
        call = create_query_job_call(
            soql,
            include_deleted=include_deleted,
            column_delimiter=column_delimiter,
            line_ending=line_ending,
        )
        return create_job_flow(self._session, self._describe_cache, call)

    def _list_jobs_flow(
        self,
        kind: JobKind,
        job_type: str | None,
        concurrency_mode: str | None,
        is_pk_chunking_enabled: bool | None,
    ) -> Flow[list[JobInfo]]:
        """The documented filters of a job listing (Bulk API 2.0 "Get All Jobs")."""
        filters: dict[str, str | bool | None] = {
            "job_type": job_type,
            "concurrency_mode": concurrency_mode,
            "is_pk_chunking_enabled": is_pk_chunking_enabled,
        }
        return list_jobs_flow(self._session, kind, filters)

    def _describe_flow(self, object: str, refresh: bool) -> Flow[dict[str, Any]]:
        return describe_with_hints_flow(self._session, self._describe_cache, object, refresh)

    def _limits_flow(self) -> Flow[dict[str, Any]]:
        return api_json(self._session, ApiCall("GET", "/limits"))

    # -- constructors (one per auth flow) -------------------------------------------------

    @classmethod
    def _with_auth(cls, auth: Authenticator, **kw: Any) -> Self:
        return cls(auth_login_url(auth), None, auth=auth, **kw)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **kw: Any) -> Self:
        """From ``SF_*`` environment variables. Raises ConfigurationError naming what to set."""
        env = os.environ if env is None else env
        if env.get("SF_INSTANCE_URL") and env.get("SF_ACCESS_TOKEN"):
            return cls(env["SF_INSTANCE_URL"], env["SF_ACCESS_TOKEN"], **kw)
        version = normalize_api_version(kw.get("api_version", DEFAULT_API_VERSION))
        return cls._with_auth(_auth_from_env(env, version), **kw)

    @classmethod
    def password_login(
        cls,
        username: str,
        password: str,
        security_token: str = "",
        *,
        client_id: str = "",
        client_secret: str = "",
        domain: str = "login",
        **kw: Any,
    ) -> Self:
        """OAuth username-password flow. Raises AuthenticationError when refused."""
        auth = PasswordAuth(
            username, password, security_token, client_id, client_secret, login_url_for(domain)
        )
        return cls._with_auth(auth, **kw)

    @classmethod
    def client_credentials(
        cls, client_id: str, client_secret: str, *, domain: str = "login", **kw: Any
    ) -> Self:
        """OAuth client credentials flow (``domain`` = your My Domain URL)."""
        auth = ClientCredentialsAuth(client_id, client_secret, login_url_for(domain))
        return cls._with_auth(auth, **kw)

    @classmethod
    def jwt_login(
        cls,
        client_id: str,
        username: str,
        private_key: str | None = None,
        *,
        private_key_file: str | Path | None = None,
        domain: str = "login",
        audience: str | None = None,
        **kw: Any,
    ) -> Self:
        """OAuth JWT bearer flow (RS256). Raises ConfigurationError for an unusable key."""
        key = load_private_key(private_key, private_key_file)
        auth = JwtAuth(client_id, username, key, login_url_for(domain), audience)
        return cls._with_auth(auth, **kw)

    @classmethod
    def refresh_token_login(
        cls,
        refresh_token: str,
        client_id: str,
        client_secret: str | None = None,
        *,
        domain: str = "login",
        **kw: Any,
    ) -> Self:
        """OAuth refresh token flow."""
        auth = RefreshTokenAuth(refresh_token, client_id, client_secret, login_url_for(domain))
        return cls._with_auth(auth, **kw)

    @classmethod
    def soap_login(
        cls,
        username: str,
        password: str,
        security_token: str = "",
        *,
        domain: str = "login",
        **kw: Any,
    ) -> Self:
        """SOAP partner ``login()`` (legacy; prefer OAuth)."""
        version = normalize_api_version(kw.get("api_version", DEFAULT_API_VERSION))
        auth = SoapAuth(username, password, security_token, login_url_for(domain), version)
        return cls._with_auth(auth, **kw)

    @classmethod
    def from_sf_cli(cls, target_org: str, *, executable: str | None = None, **kw: Any) -> Self:
        """The Salesforce CLI's stored org. Raises ConfigurationError if ``sf`` is missing."""
        auth = SfCliAuth(target_org, executable)
        grant = auth.display()
        return cls(grant.instance_url, grant.access_token, auth=auth, **kw)


def auth_login_url(auth: Authenticator) -> str:
    return str(getattr(auth, "login_url", "https://login.salesforce.com"))
