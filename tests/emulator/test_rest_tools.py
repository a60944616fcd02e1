"""The request sequences real tools send, over a real loopback server with plain httpx:
the official CLI's access-token login and its bulk commands, jsforce's ``identity()``, REST
query paging, the double-slash path, and an sobject round trip (protocol §12b)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from harness import served_emulator

from sfbulk_frames.emulator import Emulator, EmulatorServer

pytestmark = pytest.mark.server

V = "/services/data/v62.0"
# The CLI accepts only tokens shaped like '<15- or 18-char org id>!<rest>'.
SF_CLI_TOKEN = re.compile(r"^00D[0-9A-Za-z]{12}(?:[0-9A-Za-z]{3})?![0-9A-Za-z._]+$")


@pytest.fixture
def served() -> Iterator[tuple[Emulator, EmulatorServer]]:
    with Emulator(seed=3) as emu, served_emulator(emu) as server:
        yield emu, server


def _client(server: EmulatorServer, token: str) -> httpx.Client:
    return httpx.Client(
        base_url=server.url, headers={"Authorization": f"Bearer {token}"}, timeout=30
    )


def _wait(http: httpx.Client, path: str) -> dict[str, Any]:
    """Poll a job until it is terminal (the emulator's default mode finishes on close)."""
    for _ in range(50):
        info: dict[str, Any] = http.get(path).json()
        if info["state"] in ("JobComplete", "Failed", "Aborted"):
            return info
    raise AssertionError(f"{path} never finished: {info}")


def test_default_token_is_shaped_like_a_real_one(served: tuple[Emulator, EmulatorServer]) -> None:
    emu, _ = served
    assert SF_CLI_TOKEN.match(emu.token), "the CLI would refuse this token"
    assert emu.token.startswith(emu.org.org_id[:15] + "!")


def test_fixed_token_still_accepts_any_value() -> None:
    with (
        Emulator(token="anything-goes") as emu,
        emu.serve(port=0) as server,
        _client(server, "anything-goes") as http,
    ):
        assert http.get(f"{V}/limits").status_code == 200
        assert http.get("/services/oauth2/userinfo").status_code == 200


def test_sf_cli_access_token_login_then_bulk_import_and_export(
    served: tuple[Emulator, EmulatorServer],
) -> None:
    emu, server = served
    with _client(server, emu.token) as http:
        # `sf org login access-token`: userinfo, then the User record
        who = http.get("/services/oauth2/userinfo")
        assert who.status_code == 200
        user_id = who.json()["user_id"]
        assert who.json()["organization_id"] == emu.org.org_id
        assert who.json()["preferred_username"] == "admin@example.com"
        user = http.get(f"{V}/sobjects/User/{user_id}")
        assert user.status_code == 200
        assert user.json()["Username"] == "admin@example.com"
        assert user.json()["attributes"] == {
            "type": "User",
            "url": f"{V}/sobjects/User/{user_id}",
        }
        # every command: the Organization over REST query
        org = http.get(
            f"{V}/query",
            params={
                "q": "SELECT Name, InstanceName, IsSandbox, TrialExpirationDate, "
                "NamespacePrefix FROM Organization"
            },
        )
        assert org.status_code == 200
        body = org.json()
        assert (body["totalSize"], body["done"]) == (1, True)
        record = body["records"][0]
        assert record["attributes"]["url"].endswith(f"/Organization/{emu.org.org_id}")
        assert record["IsSandbox"] is False
        assert record["NamespacePrefix"] is None
        # `sf data import bulk`
        job = http.post(
            f"{V}/jobs/ingest",
            json={
                "object": "Account",
                "operation": "insert",
                "lineEnding": "LF",
            },
        ).json()
        put = http.put(
            f"{V}/jobs/ingest/{job['id']}/batches",
            content=b"Name,NumberOfEmployees\nAcme,12\nGlobex,1138\n",
            headers={"Content-Type": "text/csv"},
        )
        assert put.status_code == 201
        http.patch(f"{V}/jobs/ingest/{job['id']}", json={"state": "UploadComplete"})
        info = _wait(http, f"{V}/jobs/ingest/{job['id']}")
        assert (info["state"], info["numberRecordsFailed"]) == ("JobComplete", 0)
        # `sf data export bulk`
        query = http.post(
            f"{V}/jobs/query",
            json={
                "operation": "query",
                "query": "SELECT Name FROM Account ORDER BY Name",
            },
        ).json()
        assert _wait(http, f"{V}/jobs/query/{query['id']}")["state"] == "JobComplete"
        page = http.get(f"{V}/jobs/query/{query['id']}/results")
        assert page.text == '"Name"\n"Acme"\n"Globex"\n'


def test_double_slash_paths_are_served(served: tuple[Emulator, EmulatorServer]) -> None:
    emu, server = served
    with _client(server, emu.token) as http:
        versions = http.get(f"{server.url}//services/data")
        assert versions.status_code == 200
        assert versions.json()[-1]["url"].startswith("/services/data/v")
        resources = http.get(f"{server.url}//services/data/v62.0/")
        assert resources.status_code == 200
        assert resources.json()["query"] == f"{V}/query"
        limits = http.get(f"{server.url}//services/data//v62.0//limits")
        assert limits.status_code == 200


def test_jsforce_identity_through_the_resource_map(
    served: tuple[Emulator, EmulatorServer],
) -> None:
    emu, server = served
    with _client(server, emu.token) as http:
        resources = http.get(f"{V}/").json()
        assert {"identity", "query", "sobjects", "limits"} <= set(resources)
        identity_url = resources["identity"]
        assert identity_url == f"{server.url}/id/{emu.org.org_id}/{emu.org.user_id}"
        identity = http.get(identity_url)
        assert identity.status_code == 200
        body = identity.json()
        assert body["id"] == identity_url
        assert (body["user_id"], body["organization_id"]) == (emu.org.user_id, emu.org.org_id)
        assert body["username"] == "admin@example.com"
        assert body["urls"]["rest"] == f"{server.url}/services/data/v{{version}}/"
        assert body["urls"]["query"].endswith("/query/")
        with _client(server, "00Dnotavalidtoken!x") as stranger:
            assert stranger.get(identity_url).status_code == 403
        # jsforce also passes the token as a query parameter
        by_param = httpx.get(identity_url, params={"format": "json", "oauth_token": emu.token})
        assert by_param.json()["user_id"] == emu.org.user_id


def test_rest_query_pages_until_done(served: tuple[Emulator, EmulatorServer]) -> None:
    emu, server = served
    rows = "".join(f"Contact {i:04d}\n" for i in range(450))
    with _client(server, emu.token) as http:
        job = http.post(f"{V}/jobs/ingest", json={"object": "Contact", "operation": "insert"})
        job_id = job.json()["id"]
        http.put(
            f"{V}/jobs/ingest/{job_id}/batches",
            content=("LastName\n" + rows).encode(),
            headers={"Content-Type": "text/csv"},
        )
        http.patch(f"{V}/jobs/ingest/{job_id}", json={"state": "UploadComplete"})
        assert _wait(http, f"{V}/jobs/ingest/{job_id}")["numberRecordsProcessed"] == 450
        options = {"Sforce-Query-Options": "batchSize=200"}
        soql = "SELECT LastName FROM Contact ORDER BY LastName"
        page = http.get(f"{V}/query", params={"q": soql}, headers=options).json()
        names: list[str] = []
        sizes: list[int] = []
        while True:
            assert page["totalSize"] == 450
            names += [r["LastName"] for r in page["records"]]
            sizes.append(len(page["records"]))
            if page["done"]:
                assert "nextRecordsUrl" not in page
                break
            assert re.fullmatch(
                rf"{V}/query/01g[0-9A-Za-z]{{15}}-{len(names)}", page["nextRecordsUrl"]
            )
            page = http.get(page["nextRecordsUrl"], headers=options).json()
    assert sizes == [200, 200, 50]
    assert names == [f"Contact {i:04d}" for i in range(450)]


def test_sobject_round_trip(served: tuple[Emulator, EmulatorServer]) -> None:
    emu, server = served
    with _client(server, emu.token) as http:
        created = http.post(f"{V}/sobjects/Account", json={"Name": "Acme", "AnnualRevenue": 5e6})
        assert created.status_code == 201
        account_id = created.json()["id"]
        assert created.json() == {"id": account_id, "success": True, "errors": []}
        url = f"{V}/sobjects/Account/{account_id}"
        patched = http.patch(url, json={"Name": "Acme Inc", "NumberOfEmployees": 40})
        assert (patched.status_code, patched.content) == (204, b"")
        got = http.get(url, params={"fields": "Name,NumberOfEmployees,AnnualRevenue"})
        assert got.json() == {
            "attributes": {"type": "Account", "url": url},
            "Name": "Acme Inc",
            "NumberOfEmployees": 40,
            "AnnualRevenue": 5000000.0,
        }
        assert http.delete(url).status_code == 204
        assert http.get(url).status_code == 404
        gone = http.delete(url)
        assert gone.status_code == 404
        assert gone.json() == [
            {"message": "entity is deleted", "errorCode": "ENTITY_IS_DELETED", "fields": []}
        ]
    assert emu.count("Account") == 0
    assert emu.count("Account", include_deleted=True) == 1


def test_rest_calls_count_against_the_daily_limit(
    served: tuple[Emulator, EmulatorServer],
) -> None:
    emu, server = served
    with _client(server, emu.token) as http:
        first = http.get(f"{V}/query", params={"q": "SELECT Id FROM Account"})
        second = http.get(f"{V}/sobjects/Account")
    used = [
        int(r.headers["Sforce-Limit-Info"].split("=")[1].split("/")[0]) for r in (first, second)
    ]
    assert used[1] == used[0] + 1
