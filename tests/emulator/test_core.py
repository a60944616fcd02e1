"""Core behaviour: routing, auth, headers, gzip, limits, describe, control endpoints, ids."""

from __future__ import annotations

import asyncio
import gzip
import json
from typing import Any

import httpx
import pytest

from sfbulk_frames.emulator import (
    Emulator,
    IdGenerator,
    ReadOnlySqlError,
    checksum_suffix,
    normalize_id,
    to_18,
)

BASE = "/services/data/v62.0"
Api = Any


def test_versions_list_needs_no_auth_and_is_ascending(emu: Emulator) -> None:
    with httpx.Client(transport=emu.transport(), base_url=emu.instance_url) as client:
        response = client.get("/services/data/")
    versions = [float(v["version"]) for v in response.json()]
    assert response.status_code == 200
    assert versions == sorted(versions)
    assert 62.0 in versions
    assert "Sforce-Limit-Info" not in response.headers


@pytest.mark.parametrize("authorization", [None, "Bearer wrong-token", "Basic abc"])
def test_data_calls_without_a_valid_token_get_401_invalid_session(
    emu: Emulator, authorization: str | None
) -> None:
    headers = {"Authorization": authorization} if authorization else {}
    with httpx.Client(transport=emu.transport(), base_url=emu.instance_url) as client:
        response = client.get(f"{BASE}/limits", headers=headers)
    assert response.status_code == 401
    assert response.json() == [
        {"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}
    ]


def test_oauth_prefix_is_accepted_like_bearer(emu: Emulator) -> None:
    with httpx.Client(transport=emu.transport(), base_url=emu.instance_url) as client:
        response = client.get(f"{BASE}/limits", headers={"Authorization": f"OAuth {emu.token}"})
    assert response.status_code == 200


def test_expired_tokens_get_401_and_a_new_token_works(emu: Emulator, http: httpx.Client) -> None:
    old = emu.token
    emu.expire_tokens()
    assert http.get(f"{BASE}/limits").status_code == 401
    assert emu.token != old
    assert (
        http.get(f"{BASE}/limits", headers={"Authorization": f"Bearer {emu.token}"}).status_code
        == 200
    )


def test_limit_info_header_counts_every_authenticated_call(http: httpx.Client) -> None:
    first = http.get(f"{BASE}/limits").headers["Sforce-Limit-Info"]
    second = http.get(f"{BASE}/sobjects/Contact/describe").headers["Sforce-Limit-Info"]
    assert first == "api-usage=1/15000"
    assert second == "api-usage=2/15000"


def test_json_answers_use_salesforce_content_type(http: httpx.Client) -> None:
    response = http.get(f"{BASE}/limits")
    assert response.headers["Content-Type"] == "application/json;charset=UTF-8"


def test_pretty_print_header_indents_json(http: httpx.Client) -> None:
    compact = http.get(f"{BASE}/limits").text
    pretty = http.get(f"{BASE}/limits", headers={"X-PrettyPrint": "1"}).text
    assert "\n" not in compact
    assert '"DailyApiRequests" : {' in pretty
    assert json.loads(pretty)["DailyApiRequests"]["Max"] == 15000


def test_unknown_path_is_404_not_found(http: httpx.Client) -> None:
    response = http.get(f"{BASE}/jobs/nothing")
    assert response.status_code == 404
    assert response.json()[0]["errorCode"] == "NOT_FOUND"


def test_unsupported_verb_is_405(http: httpx.Client) -> None:
    response = http.put(f"{BASE}/jobs/ingest", content=b"{}")
    assert response.status_code == 405
    assert response.json()[0]["errorCode"] == "METHOD_NOT_ALLOWED"


def test_gzip_request_bodies_are_decoded(api: Api) -> None:
    job_id = api.new_ingest("Contact", "insert")
    body = gzip.compress(b"LastName\nGzipped\n")
    response = api.http.put(
        f"{BASE}/jobs/ingest/{job_id}/batches",
        content=body,
        headers={"Content-Type": "text/csv", "Content-Encoding": "gzip"},
    )
    assert response.status_code == 201
    api.patch(job_id, "UploadComplete")
    assert api.info(job_id).json()["numberRecordsProcessed"] == 1
    assert api.emu.sql('SELECT LastName FROM "Contact"') == [("Gzipped",)]


def test_responses_are_gzipped_when_the_client_accepts_gzip(emu: Emulator) -> None:
    transport = emu.transport()
    request = httpx.Request(
        "GET",
        f"{emu.instance_url}{BASE}/limits",
        headers={"Authorization": f"Bearer {emu.token}", "Accept-Encoding": "gzip"},
    )
    raw = transport.handle_request(request)
    assert raw.headers["Content-Encoding"] == "gzip"
    assert json.loads(gzip.decompress(b"".join(raw.iter_raw())))["DailyApiRequests"]["Max"] == 15000
    plain = transport.handle_request(
        httpx.Request(
            "GET",
            f"{emu.instance_url}{BASE}/limits",
            headers={"Authorization": f"Bearer {emu.token}", "Accept-Encoding": "identity"},
        )
    )
    assert "Content-Encoding" not in plain.headers


def test_limits_counters_move_with_api_calls_batches_and_query_jobs(api: Api) -> None:
    before = api.http.get(f"{BASE}/limits").json()
    api.ingest("Contact", "insert", "LastName\nA\nB\n")
    api.query("SELECT Id FROM Contact")
    after = api.http.get(f"{BASE}/limits").json()
    assert after["DailyApiRequests"]["Remaining"] < before["DailyApiRequests"]["Remaining"]
    assert (
        after["DailyBulkApiBatches"]["Remaining"] == before["DailyBulkApiBatches"]["Remaining"] - 1
    )
    assert (
        after["DailyBulkV2QueryJobs"]["Remaining"]
        == before["DailyBulkV2QueryJobs"]["Remaining"] - 1
    )


def test_describe_returns_fields_with_types_and_relationships(http: httpx.Client) -> None:
    body = http.get(f"{BASE}/sobjects/Contact/describe").json()
    fields = {f["name"]: f for f in body["fields"]}
    assert body["keyPrefix"] == "003"
    assert fields["AccountId"]["relationshipName"] == "Account"
    assert fields["AccountId"]["referenceTo"] == ["Account"]
    assert fields["ExternalId__c"]["externalId"] is True
    assert fields["LastName"]["nillable"] is False
    assert fields["LastName"]["length"] == 80
    assert fields["Level__c"]["restrictedPicklist"] is True
    assert {f["type"] for f in body["fields"]} >= {
        "id",
        "string",
        "email",
        "phone",
        "date",
        "datetime",
        "time",
        "boolean",
        "int",
        "double",
        "currency",
        "percent",
        "picklist",
        "multipicklist",
        "textarea",
        "reference",
    }


def test_describe_of_unknown_object_is_404(http: httpx.Client) -> None:
    response = http.get(f"{BASE}/sobjects/Nope__c/describe")
    assert response.status_code == 404
    assert response.json()[0]["errorCode"] == "NOT_FOUND"


def test_schema_files_add_objects(tmp_path: object) -> None:
    from pathlib import Path

    path = Path(str(tmp_path)) / "gadget.json"
    path.write_text(
        json.dumps(
            {
                "name": "Gadget__c",
                "keyPrefix": "a0G",
                "fields": [
                    {"name": "Id", "type": "id", "nillable": False, "createable": False},
                    {
                        "name": "Code__c",
                        "type": "string",
                        "length": 5,
                        "externalId": True,
                        "unique": True,
                    },
                ],
            }
        )
    )
    with Emulator(schema_files=[path]) as emu:
        assert emu.count("Gadget__c") == 0
        gadget = emu.org.schema.get("gadget__c")  # object names match in any case
        assert gadget is not None
        assert gadget.name == "Gadget__c"
        code = gadget.field("Code__c")
        assert code is not None
        assert (code.type, code.length, code.external_id, code.unique) == ("string", 5, True, True)


def test_control_state_and_reset_need_no_auth(emu: Emulator, api: Api) -> None:
    api.ingest("Contact", "insert", "LastName\nA\n")
    with httpx.Client(transport=emu.transport(), base_url=emu.instance_url) as client:
        state = client.get("/__emulator__/state").json()
        assert len(state["jobs"]) == 1
        assert state["apiUsage"] > 0
        assert client.post("/__emulator__/reset").status_code == 204
        assert client.get("/__emulator__/state").json()["jobs"] == {}
    assert emu.count("Contact") == 0
    assert emu.sql('SELECT Id FROM "User"') == [(emu.org.user_id,)]
    assert api.http.get(f"{BASE}/limits").status_code == 200


WRITES = [
    'DELETE FROM "Contact"',
    'WITH x AS (SELECT 1) DELETE FROM "Contact"',
    'WITH x AS (SELECT 1) UPDATE "Contact" SET LastName = \'Changed\'',
    'INSERT INTO "Contact" (Id, LastName) VALUES (\'003R00000000001\', \'Sneaky\')',
    'UPDATE "Contact" SET LastName = \'Changed\'',
    'DROP TABLE "Contact"',
    'CREATE TABLE sneaky (x)',
    'CREATE TEMP TABLE sneaky (x)',
    "ATTACH DATABASE ':memory:' AS other",
    "PRAGMA user_version = 7",
    "PRAGMA journal_mode = DELETE",
    "BEGIN",
]


@pytest.mark.parametrize("statement", WRITES)
def test_sql_helper_refuses_every_write_and_changes_nothing(
    emu: Emulator, api: Api, statement: str
) -> None:
    api.ingest("Contact", "insert", "LastName\nKept\n")
    before = emu.sql('SELECT Id, LastName FROM "Contact"')
    with pytest.raises(ReadOnlySqlError, match="read-only") as raised:
        emu.sql(statement)
    assert isinstance(raised.value, ValueError)
    assert raised.value.query == statement
    assert emu.sql('SELECT Id, LastName FROM "Contact"') == before == [(before[0][0], "Kept")]
    assert emu.sql("PRAGMA user_version") == [(0,)]
    assert emu.sql("PRAGMA database_list")[0][1] == "main"
    assert len(emu.sql("PRAGMA database_list")) == 1  # nothing attached


def test_sql_helper_reads_with_select_with_and_read_only_pragmas(emu: Emulator, api: Api) -> None:
    api.ingest("Contact", "insert", "LastName\nA\nB\n")
    assert emu.sql('SELECT LastName FROM "Contact" ORDER BY LastName') == [("A",), ("B",)]
    assert emu.sql('WITH c AS (SELECT LastName FROM "Contact") SELECT COUNT(*) FROM c') == [(2,)]
    assert "LastName" in {row[1] for row in emu.sql('PRAGMA table_info("Contact")')}
    # the org keeps working: the authorizer is only in place during Emulator.sql()
    api.ingest("Contact", "insert", "LastName\nC\n")
    assert emu.count("Contact") == 3


def test_async_client_works_through_the_same_transport(emu: Emulator) -> None:
    async def call() -> int:
        async with httpx.AsyncClient(
            transport=emu.transport(),
            base_url=emu.instance_url,
            headers={"Authorization": f"Bearer {emu.token}"},
        ) as client:
            response = await client.get(f"{BASE}/limits")
            return response.status_code

    assert asyncio.run(call()) == 200


@pytest.mark.parametrize(
    ("id15", "id18"),
    [
        ("a0RE000000IJmcN", "a0RE000000IJmcNMAT"),
        ("001M000000qfPyS", "001M000000qfPySIAU"),
        ("AbCdEfGhIjKlMnO", "AbCdEfGhIjKlMnOVKV"),
        ("aBcDEfgHIJKLMNO", "aBcDEfgHIJKLMNO025"),
        ("750R0000000zxr8", "750R0000000zxr8IAA"),
    ],
)
def test_id_checksum_matches_salesforce_vectors(id15: str, id18: str) -> None:
    assert to_18(id15) == id18
    assert checksum_suffix(id15) == id18[15:]
    assert normalize_id(id15) == id18
    assert normalize_id(id18.lower()[:15] + id18[15:]) != id18


def test_malformed_ids_are_rejected() -> None:
    assert normalize_id("003R0000003wOTN") == to_18("003R0000003wOTN")  # well formed: kept
    assert normalize_id("003R0000003wOTNXXX") is None
    assert normalize_id("not-an-id") is None


def test_id_generator_is_deterministic_per_seed_and_uses_prefix() -> None:
    first = IdGenerator(seed=3).new_many("003", 3)
    assert first == IdGenerator(seed=3).new_many("003", 3)
    assert first != IdGenerator(seed=4).new_many("003", 3)
    assert len(set(first)) == 3
    assert all(i.startswith("003") and len(i) == 18 and normalize_id(i) == i for i in first)


def test_file_database_survives_a_restart(tmp_path: object, api_factory: Any) -> None:
    from pathlib import Path

    db = str(Path(str(tmp_path)) / "org.db")
    with (
        Emulator(db=db) as emu,
        httpx.Client(
            transport=emu.transport(),
            base_url=emu.instance_url,
            headers={"Authorization": f"Bearer {emu.token}"},
        ) as http,
    ):
        outcome = api_factory(http, emu).ingest("Contact", "insert", "LastName\nKept\n")
        first_id = outcome.successful[0]["sf__Id"]
    with Emulator(db=db) as emu:
        assert emu.sql('SELECT Id FROM "Contact"') == [(first_id,)]
        assert emu.job(outcome.job_id).state == "JobComplete"
        new_id = emu.org.ids.new("003")
        assert new_id != first_id
