"""The emulator's login server (protocol §7), called directly with wire requests."""

from __future__ import annotations

import base64
import hashlib
import hmac
import random
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable
from urllib.parse import urlencode

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from sfbulk_frames.emulator import Request
from sfbulk_frames.emulator.api import oauth, soap
from sfbulk_frames.emulator.models.auth import AuthService
from sfbulk_frames.emulator.models.ids import normalize_id, to_18

ORG_ID = to_18("00DR00000001234")
USER_ID = to_18("005R00000005678")
BASE_URL = "https://127.0.0.1:8443"
JWT_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"


@pytest.fixture(scope="module")
def rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def public_pem(rsa_key: rsa.RSAPrivateKey) -> str:
    return rsa_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()


def make_auth(**kwargs: object) -> AuthService:
    kwargs.setdefault("rng", random.Random(7))
    return AuthService(user_id=USER_ID, org_id=ORG_ID, **kwargs)  # type: ignore[arg-type]


def token_request(
    fields: dict[str, str], *, headers: dict[str, str] | None = None, method: str = "POST"
) -> Request:
    return Request(
        method=method,
        path="/services/oauth2/token",
        query={},
        headers={"content-type": "application/x-www-form-urlencoded", **(headers or {})},
        body=urlencode(fields).encode(),
        base_url=BASE_URL,
    )


def password_fields(**overrides: str) -> dict[str, str]:
    fields = {
        "grant_type": "password", "client_id": "any-id", "client_secret": "any-secret",
        "username": "admin@example.com", "password": "password",
    }
    fields.update(overrides)
    return fields


def assertion(key: rsa.RSAPrivateKey, **claims: object) -> str:
    payload: dict[str, object] = {
        "iss": "any-id", "sub": "admin@example.com", "aud": "https://login.salesforce.com",
        "exp": int(time.time()) + 180,
    }
    payload.update(claims)
    return jwt.encode(payload, key, algorithm="RS256")


def oauth_error(auth: AuthService, req: Request) -> tuple[int, dict[str, str]]:
    import json

    response = oauth.token(auth, req)
    return response.status, json.loads(response.body)


def success(auth: AuthService, req: Request) -> dict[str, str]:
    import json

    response = oauth.token(auth, req)
    assert response.status == 200, response.body
    assert response.headers[0] == ("Content-Type", "application/json;charset=UTF-8")
    body: dict[str, str] = json.loads(response.body)
    return body


# ---------------------------------------------------------------- password flow
def test_password_grant_returns_salesforce_shaped_token_for_default_user() -> None:
    auth = make_auth()
    body = success(auth, token_request(password_fields()))
    assert list(body) == ["access_token", "instance_url", "id", "token_type", "issued_at",
                          "signature"]
    assert body["instance_url"] == BASE_URL
    assert body["id"] == f"{BASE_URL}/id/{ORG_ID}/{USER_ID}"
    assert body["token_type"] == "Bearer"
    assert body["issued_at"].isdigit()
    assert abs(int(body["issued_at"]) / 1000 - time.time()) < 60
    assert body["access_token"].startswith(ORG_ID[:15] + "!AQ")
    assert auth.check("Bearer " + body["access_token"])


def test_password_grant_signature_is_hmac_of_id_and_issued_at_keyed_by_client_secret() -> None:
    body = success(make_auth(), token_request(password_fields(client_secret="s3cr3t")))
    expected = hmac.new(b"s3cr3t", (body["id"] + body["issued_at"]).encode(), hashlib.sha256)
    assert body["signature"] == base64.b64encode(expected.digest()).decode()


def test_password_grant_accepts_password_with_security_token_appended() -> None:
    auth = make_auth(security_tokens={"admin@example.com": "TOKEN123"})
    assert success(auth, token_request(password_fields(password="passwordTOKEN123")))
    status, error = oauth_error(auth, token_request(password_fields(password="passwordWRONG")))
    assert (status, error["error"]) == (400, "invalid_grant")


@pytest.mark.parametrize(
    ("username", "password"),
    [("admin@example.com", "wrong"), ("nobody@example.com", "password"), ("", "")],
)
def test_password_grant_with_bad_credentials_is_invalid_grant(username: str, password: str) -> None:
    status, error = oauth_error(
        make_auth(), token_request(password_fields(username=username, password=password))
    )
    assert status == 400
    assert error == {"error": "invalid_grant", "error_description": "authentication failure"}


def test_username_lookup_is_case_insensitive_like_salesforce() -> None:
    assert success(make_auth(), token_request(password_fields(username="Admin@Example.COM")))


def test_configured_users_can_log_in_and_get_their_own_user_id() -> None:
    auth = make_auth(users={"admin@example.com": "password", "ops@example.com": "pw2"})
    body = success(auth, token_request(password_fields(username="ops@example.com", password="pw2")))
    other_user_id = body["id"].rsplit("/", 1)[1]
    assert other_user_id != USER_ID
    assert normalize_id(other_user_id) == other_user_id
    assert other_user_id.startswith("005")


def test_configured_client_id_rejects_other_ids() -> None:
    auth = make_auth(client_id="the-app", client_secret="the-secret")
    status, error = oauth_error(auth, token_request(password_fields(client_id="other")))
    assert (status, error) == (
        400, {"error": "invalid_client_id", "error_description": "client identifier invalid"})


def test_configured_client_secret_rejects_wrong_secret() -> None:
    auth = make_auth(client_id="the-app", client_secret="the-secret")
    status, error = oauth_error(
        auth, token_request(password_fields(client_id="the-app", client_secret="nope"))
    )
    assert (status, error) == (
        400, {"error": "invalid_client", "error_description": "invalid client credentials"})
    assert success(auth, token_request(
        password_fields(client_id="the-app", client_secret="the-secret")))


def test_missing_client_id_is_rejected_even_when_any_id_is_accepted() -> None:
    fields = password_fields()
    del fields["client_id"]
    status, error = oauth_error(make_auth(), token_request(fields))
    assert (status, error["error"]) == (400, "invalid_client_id")


def test_unknown_grant_type_is_unsupported() -> None:
    status, error = oauth_error(make_auth(), token_request({"grant_type": "magic"}))
    assert (status, error) == (
        400, {"error": "unsupported_grant_type", "error_description": "grant type not supported"})


def test_token_endpoint_requires_post() -> None:
    status, error = oauth_error(make_auth(), token_request(password_fields(), method="GET"))
    assert (status, error["error"]) == (400, "invalid_request")


def test_gzip_encoded_form_is_accepted() -> None:
    import gzip

    req = token_request(password_fields(), headers={"content-encoding": "gzip"})
    req.body = gzip.compress(req.body)
    assert success(make_auth(), req)["access_token"]


# ---------------------------------------------------------------- client credentials
def test_client_credentials_grant_runs_as_default_user() -> None:
    body = success(make_auth(), token_request(
        {"grant_type": "client_credentials", "client_id": "a", "client_secret": "b"}))
    assert body["id"].endswith(f"/{ORG_ID}/{USER_ID}")
    assert body["scope"] == "api"
    assert "refresh_token" not in body


def test_client_credentials_accepts_http_basic_client_authentication() -> None:
    auth = make_auth(client_id="the-app", client_secret="the-secret")
    basic = base64.b64encode(b"the-app:the-secret").decode()
    body = success(auth, token_request({"grant_type": "client_credentials"},
                                       headers={"authorization": f"Basic {basic}"}))
    assert auth.check(f"Bearer {body['access_token']}")


def test_client_credentials_without_secret_is_invalid_client() -> None:
    status, error = oauth_error(make_auth(), token_request(
        {"grant_type": "client_credentials", "client_id": "a"}))
    assert (status, error["error"]) == (400, "invalid_client")


# ---------------------------------------------------------------- refresh token
def test_refresh_token_grant_issues_a_new_access_token() -> None:
    auth = make_auth()
    refresh = auth.issue_refresh_token()
    body = success(auth, token_request(
        {"grant_type": "refresh_token", "refresh_token": refresh, "client_id": "x"}))
    assert auth.check(f"Bearer {body['access_token']}")
    assert "refresh_token" not in body  # no rotation, as Salesforce by default


def test_expired_refresh_tokens_are_refused_with_salesforce_error() -> None:
    auth = make_auth()
    refresh = auth.issue_refresh_token()
    auth.expire_refresh_tokens()
    status, error = oauth_error(auth, token_request(
        {"grant_type": "refresh_token", "refresh_token": refresh, "client_id": "x"}))
    assert (status, error) == (
        400, {"error": "invalid_grant", "error_description": "expired access/refresh token"})


def test_unknown_refresh_token_is_refused() -> None:
    status, error = oauth_error(make_auth(), token_request(
        {"grant_type": "refresh_token", "refresh_token": "5Aepnope", "client_id": "x"}))
    assert (status, error["error"]) == (400, "invalid_grant")


def test_revoked_refresh_token_is_refused() -> None:
    auth = make_auth()
    refresh = auth.issue_refresh_token()
    assert auth.revoke(refresh)
    status, _ = oauth_error(auth, token_request(
        {"grant_type": "refresh_token", "refresh_token": refresh, "client_id": "x"}))
    assert status == 400


# ---------------------------------------------------------------- JWT bearer
def jwt_request(token: str) -> Request:
    return token_request({"grant_type": JWT_GRANT, "assertion": token})


def test_jwt_bearer_with_valid_assertion_gets_a_token(
    rsa_key: rsa.RSAPrivateKey, public_pem: str
) -> None:
    auth = make_auth(jwt_public_key=public_pem)
    body = success(auth, jwt_request(assertion(rsa_key)))
    assert list(body) == ["access_token", "scope", "instance_url", "id", "token_type"]
    assert auth.check(f"Bearer {body['access_token']}")


def test_jwt_bearer_accepts_a_certificate_and_the_emulator_url_as_audience(
    rsa_key: rsa.RSAPrivateKey,
) -> None:
    import datetime as dt

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.x509.oid import NameOID

    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "jwt")])
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(rsa_key.public_key()).serial_number(1)
            .not_valid_before(now).not_valid_after(now + dt.timedelta(days=1))
            .sign(rsa_key, hashes.SHA256()))
    auth = make_auth(jwt_public_key=cert.public_bytes(serialization.Encoding.PEM).decode())
    assert success(auth, jwt_request(assertion(rsa_key, aud=BASE_URL)))


def test_jwt_exp_as_numeric_string_is_accepted(
    rsa_key: rsa.RSAPrivateKey, public_pem: str
) -> None:
    # simple-salesforce sends exp as a string of digits
    auth = make_auth(jwt_public_key=public_pem)
    assert success(auth, jwt_request(assertion(rsa_key, exp=str(int(time.time()) + 120))))


@pytest.mark.parametrize(
    ("claims", "description"),
    [
        ({"aud": "https://evil.example.com"}, "audience is invalid"),
        ({"exp": int(time.time()) - 3600}, "expired authorization code"),
        ({"sub": "nobody@example.com"}, "user hasn't approved this consumer"),
    ],
)
def test_jwt_bearer_rejects_bad_claims_with_invalid_grant(
    rsa_key: rsa.RSAPrivateKey, public_pem: str, claims: dict[str, object], description: str
) -> None:
    status, error = oauth_error(
        make_auth(jwt_public_key=public_pem), jwt_request(assertion(rsa_key, **claims))
    )
    assert (status, error) == (400, {"error": "invalid_grant", "error_description": description})


def test_jwt_bearer_rejects_assertion_signed_by_another_key(public_pem: str) -> None:
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    status, error = oauth_error(make_auth(jwt_public_key=public_pem),
                                jwt_request(assertion(other)))
    assert (status, error) == (400, {"error": "invalid_grant",
                                     "error_description": "invalid assertion"})


def test_jwt_bearer_rejects_non_rs256_assertions(public_pem: str) -> None:
    forged = jwt.encode({"sub": "admin@example.com", "aud": "https://login.salesforce.com",
                         "exp": int(time.time()) + 60}, "x" * 32, algorithm="HS256")
    status, error = oauth_error(make_auth(jwt_public_key=public_pem), jwt_request(forged))
    assert (status, error["error"]) == (400, "invalid_grant")


def test_jwt_bearer_checks_issuer_against_configured_client_id(
    rsa_key: rsa.RSAPrivateKey, public_pem: str
) -> None:
    auth = make_auth(jwt_public_key=public_pem, client_id="the-app")
    status, error = oauth_error(auth, jwt_request(assertion(rsa_key, iss="other-app")))
    assert (status, error["error"]) == (400, "invalid_client_id")
    assert success(auth, jwt_request(assertion(rsa_key, iss="the-app")))


def test_jwt_bearer_without_configured_key_is_refused(rsa_key: rsa.RSAPrivateKey) -> None:
    status, error = oauth_error(make_auth(), jwt_request(assertion(rsa_key)))
    assert status == 400
    assert error["error"] == "invalid_client"


def test_private_key_is_refused_as_jwt_verification_key(rsa_key: rsa.RSAPrivateKey) -> None:
    private_pem = rsa_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption()).decode()
    with pytest.raises(ValueError, match="not a private key"):
        make_auth(jwt_public_key=private_pem)


# ---------------------------------------------------------------- sessions
@pytest.mark.parametrize("scheme", ["Bearer", "OAuth", "bearer"])
def test_check_accepts_bearer_and_oauth_schemes(scheme: str) -> None:
    auth = make_auth()
    assert auth.check(f"{scheme} {auth.issue_token()}")


@pytest.mark.parametrize("header", [None, "", "Bearer", "Bearer nope", "Basic abc"])
def test_check_refuses_missing_or_unknown_tokens(header: str | None) -> None:
    auth = make_auth()
    auth.issue_token()
    assert not auth.check(header)


def test_expire_all_invalidates_every_access_token() -> None:
    auth = make_auth()
    tokens = [auth.issue_token() for _ in range(3)]
    auth.expire_all()
    assert not any(auth.check(f"Bearer {t}") for t in tokens)
    assert auth.check(f"Bearer {auth.issue_token()}")


def test_tokens_expire_after_their_lifetime() -> None:
    now = [1000.0]
    clock: Callable[[], float] = lambda: now[0]  # noqa: E731
    auth = make_auth(token_lifetime=60, clock=clock)
    token = auth.issue_token()
    now[0] += 59
    assert auth.check(f"Bearer {token}")
    now[0] += 2
    assert not auth.check(f"Bearer {token}")


def test_fixed_token_is_issued_and_valid() -> None:
    auth = make_auth(fixed_token="00Dfixed!AQtoken")
    assert auth.issue_token() == "00Dfixed!AQtoken"
    assert auth.check("Bearer 00Dfixed!AQtoken")
    auth.expire_all()
    assert not auth.check("Bearer 00Dfixed!AQtoken")


def test_tokens_are_deterministic_for_a_seed_and_differ_between_seeds() -> None:
    first = [make_auth(rng=random.Random(1)).issue_token() for _ in range(2)]
    other = make_auth(rng=random.Random(2)).issue_token()
    assert first[0] == first[1]
    assert other != first[0]


def test_repr_never_shows_tokens_or_secrets() -> None:
    auth = make_auth(client_secret="the-secret", fixed_token="00Dfixed!AQsecret")
    token = auth.issue_token()
    text = repr(auth)
    assert token not in text
    assert "the-secret" not in text
    assert "password" not in text


# ---------------------------------------------------------------- SOAP login
SOAP_LOGIN = """<?xml version="1.0" encoding="utf-8" ?>
<env:Envelope xmlns:xsd="http://www.w3.org/2001/XMLSchema"
  xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
  xmlns:env="http://schemas.xmlsoap.org/soap/envelope/"
  xmlns:urn="urn:partner.soap.sforce.com">
  <env:Header><urn:CallOptions><urn:client>test</urn:client></urn:CallOptions></env:Header>
  <env:Body><n1:login xmlns:n1="urn:partner.soap.sforce.com">
    <n1:username>{username}</n1:username><n1:password>{password}</n1:password>
  </n1:login></env:Body>
</env:Envelope>"""


def soap_request(username: str, password: str, path: str = "/services/Soap/u/62.0") -> Request:
    body = SOAP_LOGIN.format(username=username, password=password).encode()
    return Request("POST", path, {}, {"content-type": "text/xml; charset=UTF-8",
                                      "soapaction": "login"}, body, BASE_URL)


def soap_values(body: bytes) -> dict[str, str]:
    root = ET.fromstring(body)
    return {el.tag.rsplit("}", 1)[-1]: el.text or "" for el in root.iter()}


def test_soap_login_returns_session_id_and_server_url() -> None:
    auth = make_auth(token_lifetime=900)
    response = soap.login(auth, soap_request("admin@example.com", "password"))
    assert response.status == 200
    values = soap_values(response.body)
    assert auth.check(f"Bearer {values['sessionId']}")
    assert values["serverUrl"] == f"{BASE_URL}/services/Soap/u/62.0/{ORG_ID[:15]}"
    assert values["userId"] == USER_ID
    assert values["organizationId"] == ORG_ID
    assert values["sessionSecondsValid"] == "900"
    assert values["userName"] == "admin@example.com"


def test_soap_login_with_bad_password_is_invalid_login_fault() -> None:
    response = soap.login(make_auth(), soap_request("admin@example.com", "nope"))
    assert response.status == 500
    values = soap_values(response.body)
    assert values["faultcode"] == "sf:INVALID_LOGIN"
    assert values["exceptionCode"] == "INVALID_LOGIN"
    assert values["exceptionMessage"] == (
        "Invalid username, password, security token; or user locked out.")


def test_soap_login_unescapes_xml_special_characters_in_password() -> None:
    auth = make_auth(users={"a&b@example.com": "p<w>&'\""})
    response = soap.login(auth, soap_request("a&amp;b@example.com", "p&lt;w&gt;&amp;&apos;&quot;"))
    assert response.status == 200
    assert soap_values(response.body)["userName"] == "a&b@example.com"


def test_soap_login_on_enterprise_endpoint_uses_enterprise_namespace() -> None:
    response = soap.login(make_auth(),
        soap_request("admin@example.com", "password", path="/services/Soap/c/59.0"))
    assert b'xmlns="urn:enterprise.soap.sforce.com"' in response.body
    assert f"/services/Soap/c/59.0/{ORG_ID[:15]}".encode() in response.body


def test_soap_request_that_is_not_xml_is_a_client_fault() -> None:
    req = soap_request("x", "y")
    req.body = b"not xml"
    response = soap.login(make_auth(), req)
    assert response.status == 500
    assert soap_values(response.body)["faultcode"] == "soapenv:Client"
