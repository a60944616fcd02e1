"""The OAuth token endpoint over HTTP: a GET answers like Salesforce, gzip bodies are accepted
and gunzipped exactly once."""

from __future__ import annotations

import gzip
from urllib.parse import urlencode

import httpx


# -- the token endpoint -------------------------------------------------------------------
def test_get_on_the_token_endpoint_answers_like_salesforce(http: httpx.Client) -> None:
    response = http.get("/services/oauth2/token")
    assert response.status_code == 400
    assert response.json() == {
        "error": "invalid_request",
        "error_description": "must use HTTP POST",
    }


def test_gzip_encoded_token_request_is_accepted(http: httpx.Client) -> None:
    form = urlencode(
        {
            "grant_type": "password",
            "client_id": "any-client",
            "client_secret": "any-secret",
            "username": "admin@example.com",
            "password": "password",
        }
    ).encode()
    response = http.post(
        "/services/oauth2/token",
        content=gzip.compress(form),
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "Content-Encoding": "gzip",
        },
    )
    assert response.status_code == 200, response.text
    assert response.json()["access_token"]


def test_token_request_body_is_gunzipped_exactly_once(http: httpx.Client) -> None:
    form = urlencode({"grant_type": "password", "username": "admin@example.com"}).encode()
    response = http.post(
        "/services/oauth2/token",
        content=gzip.compress(gzip.compress(form)),  # one Content-Encoding, two layers
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "Content-Encoding": "gzip",
        },
    )
    assert response.status_code == 400
    assert response.json()["error"] == "unsupported_grant_type"  # the inner layer stays binary
