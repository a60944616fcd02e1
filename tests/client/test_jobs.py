"""Low-level ingest and query jobs against the emulator (in-process and over a real server)."""

from __future__ import annotations

import pytest
from harness import served_emulator

from sfbulk_frames._exceptions import ConfigurationError, NotFoundError
from sfbulk_frames._models import JobInfo, JobState, Operation
from sfbulk_frames.client.clients import Client

from .conftest import CONTACTS_CSV, Org, rows


def test_ingest_job_runs_from_create_to_results(client: Client, org: Org) -> None:
    before = org.emu.count("Contact")
    job = client.create_ingest_job("Contact", "insert")
    assert job.last_info is not None
    assert job.last_info.state is JobState.OPEN
    assert job.last_info.object == "Contact"
    assert job.last_info.operation is Operation.INSERT

    job.upload(CONTACTS_CSV)
    assert job.close().state is JobState.UPLOAD_COMPLETE
    info = job.wait()

    assert info.state is JobState.JOB_COMPLETE
    assert info.number_records_processed == 2
    assert info.number_records_failed == 0
    successful = rows(job.successful_results())
    assert sorted(r["Email"] for r in successful) == ["lee@example.com", "wong@example.com"]
    assert {r["sf__Created"] for r in successful} == {"true"}
    assert all(len(r["sf__Id"]) == 18 and r["sf__Id"].startswith("003") for r in successful)
    assert rows(job.failed_results()) == []
    assert org.emu.count("Contact") == before + 2


def test_row_errors_are_in_failed_results(client: Client) -> None:
    job = client.create_ingest_job("Contact", "insert")
    job.upload(b"LastName,Email\n,nobody@example.com\nLee,lee@example.com\n")
    job.close()
    info = job.wait()
    assert info.state is JobState.JOB_COMPLETE
    assert info.number_records_failed == 1
    failed = rows(job.failed_results())
    assert [r["Email"] for r in failed] == ["nobody@example.com"]
    assert failed[0]["sf__Error"].startswith("REQUIRED_FIELD_MISSING")


def test_upsert_and_delete_jobs_carry_their_options(client: Client) -> None:
    job = client.create_ingest_job(
        "Contact", "upsert", external_id_field="ExternalId__c",
        column_delimiter="|", line_ending="CRLF",
    )
    info = job.info()
    assert info.external_id_field_name == "ExternalId__c"
    assert info.column_delimiter == "PIPE"
    assert info.line_ending == "CRLF"
    job.upload(b"ExternalId__c|LastName\r\nX-1|Lee\r\n")
    job.close()
    assert job.wait().number_records_processed == 1
    contact_id = rows(job.successful_results(), delimiter="|")[0]["sf__Id"]

    delete = client.create_ingest_job("Contact", "delete")
    delete.upload(f"Id\n{contact_id}\n".encode())
    delete.close()
    done = delete.wait()
    assert done.operation is Operation.DELETE
    assert done.number_records_failed == 0


def test_abort_open_job_then_delete_it(client: Client) -> None:
    job = client.create_ingest_job("Account", "insert")
    assert job.abort().state is JobState.ABORTED
    job.delete()
    with pytest.raises(NotFoundError) as caught:
        job.info()
    assert job.id in str(caught.value)


def test_failed_job_reports_error_message_and_unprocessed_rows(client: Client) -> None:
    job = client.create_ingest_job("Contact", "insert")
    job.upload(b"LastName,NoSuchField__c\nLee,1\n")
    job.close()
    info = job.wait()
    assert info.state is JobState.FAILED
    assert info.error_message is not None
    assert "NoSuchField__c" in info.error_message
    assert [r["LastName"] for r in rows(job.unprocessed_records())] == ["Lee"]


def test_handle_by_id_sees_the_same_job(client: Client) -> None:
    created = client.create_ingest_job("Contact", "insert")
    again = client.ingest_job(created.id)
    assert again == created
    assert again.info().id == created.id


def test_list_jobs_includes_created_ingest_and_query_jobs(client: Client) -> None:
    ingest = client.create_ingest_job("Contact", "insert")
    query = client.create_query_job("SELECT Id FROM Contact")
    ingest_ids = {j.id for j in client.list_jobs()}
    query_ids = {j.id for j in client.list_jobs("query")}
    assert ingest.id in ingest_ids
    assert ingest.id not in query_ids
    assert query.id in query_ids
    assert all(isinstance(j, JobInfo) for j in client.list_jobs("query"))


def test_bad_arguments_fail_before_any_request(local_client: Client, local: Org) -> None:
    local_client.limits()
    used = local_client.limit_info
    with pytest.raises(ConfigurationError, match="external_id_field"):
        local_client.create_ingest_job("Contact", "upsert")
    with pytest.raises(ConfigurationError, match="operation"):
        local_client.create_ingest_job("Contact", "merge")
    with pytest.raises(ConfigurationError, match="column_delimiter"):
        local_client.create_ingest_job("Contact", "insert", column_delimiter="#")
    with pytest.raises(ConfigurationError, match="job id"):
        local_client.ingest_job("not-an-id")
    local_client.limits()
    assert used is not None
    assert local_client.limit_info is not None
    assert local_client.limit_info.used == used.used + 1  # only the second limits() call


def _insert_contacts(client: Client, n: int) -> None:
    data = "LastName,Email\n" + "".join(f"Name{i},c{i}@example.com\n" for i in range(n))
    job = client.create_ingest_job("Contact", "insert")
    job.upload(data.encode())
    job.close()
    assert job.wait().number_records_failed == 0


def test_query_job_pages_serially_with_header_on_every_page(client: Client) -> None:
    _insert_contacts(client, 5)
    job = client.create_query_job("SELECT Email FROM Contact ORDER BY Email")
    assert job.wait().state is JobState.JOB_COMPLETE
    pages = list(job.iter_pages(max_records=2))
    assert [p.number_of_records for p in pages] == [2, 2, 1]
    assert [p.locator is None for p in pages] == [False, False, True]
    emails = [r["Email"] for p in pages for r in rows(p.data)]
    assert emails == sorted(f"c{i}@example.com" for i in range(5))


def test_query_results_by_locator(client: Client) -> None:
    _insert_contacts(client, 3)
    job = client.create_query_job("SELECT Email FROM Contact ORDER BY Email")
    job.wait()
    first = job.results(max_records=2)
    assert first.locator is not None
    second = job.results(locator=first.locator, max_records=2)
    assert second.locator is None
    assert [r["Email"] for r in rows(second.data)] == ["c2@example.com"]


def test_parallel_pages_equal_serial_pages(client: Client) -> None:
    _insert_contacts(client, 7)
    job = client.create_query_job("SELECT Email FROM Contact ORDER BY Email")
    job.wait()
    serial = [r for p in job.iter_pages(max_records=2) for r in rows(p.data)]
    parallel = [r for p in job.iter_pages(max_records=2, parallel=True) for r in rows(p.data)]
    assert len(serial) == 7
    assert parallel == serial


def test_parallel_paging_falls_back_to_serial_before_api_58(org: Org) -> None:
    with org.client(api_version="57.0") as old:
        _insert_contacts(old, 3)
        job = old.create_query_job("SELECT Email FROM Contact ORDER BY Email")
        job.wait()
        pages = list(job.iter_pages(max_records=2, parallel=True))
    assert [p.number_of_records for p in pages] == [2, 1]


def test_query_all_sees_deleted_rows(client: Client) -> None:
    _insert_contacts(client, 1)
    query = client.create_query_job("SELECT Id FROM Contact")
    query.wait()
    ids = [r["Id"] for r in rows(query.results().data)]
    delete = client.create_ingest_job("Contact", "delete")
    delete.upload(("Id\n" + "\n".join(ids) + "\n").encode())
    delete.close()
    delete.wait()
    visible = client.create_query_job("SELECT Id FROM Contact")
    visible.wait()
    everything = client.create_query_job("SELECT Id FROM Contact", include_deleted=True)
    assert everything.wait().operation is Operation.QUERY_ALL
    assert rows(visible.results().data) == []
    assert sorted(r["Id"] for r in rows(everything.results().data)) == sorted(ids)


def test_query_job_abort_and_delete(client: Client) -> None:
    job = client.create_query_job("SELECT Id FROM Account")
    info = job.wait()
    job.delete()
    with pytest.raises(NotFoundError):
        job.info()
    assert info.job_type == "V2Query"


def test_describe_is_cached_per_client(local_client: Client) -> None:
    first = local_client.describe("Contact")
    assert local_client.limit_info is not None
    used = local_client.limit_info.used
    again = local_client.describe("contact")
    assert again is first
    assert local_client.limit_info.used == used  # no request
    assert "LastName" in {f["name"] for f in first["fields"]}
    local_client.describe("Contact", refresh=True)
    assert local_client.limit_info.used == used + 1


def test_limits_and_limit_info(client: Client) -> None:
    assert client.limit_info is None
    limits = client.limits()
    assert set(limits["DailyApiRequests"]) >= {"Max", "Remaining"}
    assert client.limit_info is not None
    assert client.limit_info.max == limits["DailyApiRequests"]["Max"]


def test_list_jobs_follows_next_records_url(local: Org) -> None:
    local.emu.list_page_size = 2
    with local.client() as client:
        created = {client.create_ingest_job("Account", "insert").id for _ in range(5)}
        listed = [j.id for j in client.list_jobs()]
    assert sorted(listed) == sorted(created)


def test_client_over_tls_trusts_the_given_certificate(local: Org) -> None:
    with served_emulator(local.emu, tls=True) as server:
        assert server.url.startswith("https://")
        with Client(server.url, local.emu.token, verify=server.cert_path) as client:
            assert "DailyApiRequests" in client.limits()


def test_client_uses_a_given_http_client_and_leaves_it_open(local: Org) -> None:
    import httpx

    with httpx.Client(transport=local.emu.transport()) as http:
        with Client(local.url, local.emu.token, http_client=http) as client:
            client.limits()
        assert not http.is_closed
