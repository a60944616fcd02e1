"""The fault matrix: every ingest operation and query against every injected fault, over loopback.

For each case: every input row ends in exactly one of successful/failed/unprocessed, the org
holds each record at most once and exactly the successful rows took effect, no job accepted data
twice, and the user gets either a result or a typed error that names the jobs and the next step.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import polars as pl
import pytest

import sfbulk_frames as sfb
from sfbulk_frames.emulator import Emulator

from .conftest import (
    FAST_POLL,
    FAST_RETRY,
    Served,
    assert_clear_error,
    assert_no_job_got_data_twice,
    to_pl,
)
from .loads import (
    INGEST_OPERATIONS,
    assert_org_matches,
    assert_result_sound,
    frame_for,
    run,
    seed_contacts,
)

pytestmark = pytest.mark.server

N_ROWS = 60
MAX_RECORDS = 25  # three jobs per load


@dataclass(frozen=True)
class Fault:
    """A fault to inject and whether the load must still complete (``must_succeed``)."""

    name: str
    inject: Callable[[Emulator], object]
    must_succeed: bool = True


def _http(route: str, method: str, status: int, *, retry_after: float | None = None,
          times: int = 2) -> Callable[[Emulator], object]:
    return lambda emu: emu.faults.http(route, status, times=times, retry_after=retry_after,
                                       method=method)


def _drop(route: str, method: str, when: str) -> Callable[[Emulator], object]:
    return lambda emu: emu.faults.drop(route, times=1, when=when, method=method)


INGEST_ROUTES = {
    "create": ("/jobs/ingest", "POST"),
    "upload": ("/jobs/ingest/*/batches", "PUT"),
    "close": ("/jobs/ingest/*", "PATCH"),
    "poll": ("/jobs/ingest/*", "GET"),
    "successfulResults": ("/jobs/ingest/*/successfulResults", "GET"),
    "failedResults": ("/jobs/ingest/*/failedResults", "GET"),
    "unprocessedrecords": ("/jobs/ingest/*/unprocessedrecords", "GET"),
}


def _ingest_faults() -> list[Fault]:
    faults = []
    for route_name, (route, method) in INGEST_ROUTES.items():
        for status in (500, 503):
            # Creating a job is never blindly retried: a typed error is a correct outcome there.
            faults.append(Fault(f"{status}-on-{route_name}", _http(route, method, status),
                                must_succeed=route_name != "create"))
        faults.append(Fault(f"429-retry-after-on-{route_name}",
                            _http(route, method, 429, retry_after=1)))
    faults += [
        Fault("drop-before-upload", _drop("/jobs/ingest/*/batches", "PUT", "before")),
        Fault("drop-midway-upload", _drop("/jobs/ingest/*/batches", "PUT", "midway")),
        Fault("drop-midway-download", _drop("/jobs/ingest/*/successfulResults", "GET", "midway")),
        Fault("drop-before-poll", _drop("/jobs/ingest/*", "GET", "before")),
    ]
    return faults


INGEST_FAULTS = _ingest_faults()


def _check_ingest_case(operation: str, served: Served, df: pl.DataFrame, seeded: int,
                       must_succeed: bool, **options: object) -> sfb.BulkResult | None:
    options.setdefault("max_records", MAX_RECORDS)
    options.setdefault("max_concurrent_jobs", 2)
    with served.client() as client:
        try:
            res = run(operation, df, client, **options)
        except sfb.SfBulkError as exc:
            if must_succeed:
                raise
            assert_clear_error(exc, served)
            res = None
    served.emulator.faults.clear()
    if res is not None:
        assert_result_sound(operation, res, df)
        if must_succeed:
            assert res.ok, res.summary()
    assert_org_matches(operation, served.emulator, df, res, seeded)
    assert_no_job_got_data_twice(served.recorder)
    return res


def _prepare(operation: str, served: Served) -> tuple[pl.DataFrame, int]:
    seeded = seed_contacts(served.emulator, N_ROWS) if operation in ("update", "delete") else None
    served.recorder.clear()
    return frame_for(operation, N_ROWS, seeded), 0 if seeded is None else seeded.height


@pytest.mark.parametrize("fault", INGEST_FAULTS, ids=lambda f: f.name)
@pytest.mark.parametrize("operation", INGEST_OPERATIONS)
def test_ingest_survives_fault(operation: str, fault: Fault, served: Served) -> None:
    df, seeded = _prepare(operation, served)
    fault.inject(served.emulator)
    _check_ingest_case(operation, served, df, seeded, fault.must_succeed)
    assert served.emulator.faults.fired, "the fault never fired: the case tested nothing"


@pytest.mark.parametrize("operation", INGEST_OPERATIONS)
def test_ingest_survives_token_expiry_mid_job(operation: str, served: Served) -> None:
    df, seeded = _prepare(operation, served)
    expired: list[bool] = []

    def expire_after_first_upload(request, response) -> None:  # type: ignore[no-untyped-def]
        if request.method == "PUT" and response.status < 300 and not expired:
            expired.append(True)
            served.emulator.expire_tokens()

    served.recorder.hooks.append(expire_after_first_upload)
    with served.login_client() as client:
        res = run(operation, df, client, max_records=MAX_RECORDS, max_concurrent_jobs=1)
    assert expired, "the token never expired during the load"
    assert any(s.status == 401 for s in served.recorder.seen), "no request met the expired token"
    assert_result_sound(operation, res, df)
    assert res.ok, res.summary()
    assert_org_matches(operation, served.emulator, df, res, seeded)
    assert_no_job_got_data_twice(served.recorder)


@pytest.mark.parametrize("operation", INGEST_OPERATIONS)
def test_lock_contention_rows_are_failed_and_joinable(operation: str, served: Served) -> None:
    df, seeded = _prepare(operation, served)
    served.emulator.faults.lock_rows(0.3)
    res = _check_ingest_case(operation, served, df, seeded, must_succeed=False)
    assert res is not None
    failed = to_pl(res.failed)
    assert failed.height > 0, "no row met the lock"
    assert all("UNABLE_TO_LOCK_ROW" in e for e in failed["sf__Error"].to_list())
    key = "Id" if operation in ("update", "delete") else "LastName" if operation == "insert" \
        else "ExternalId__c"
    assert df.join(failed.select(key), on=key).height == failed.height


@pytest.mark.parametrize("operation", INGEST_OPERATIONS)
def test_job_failing_partway_leaves_rows_unprocessed_not_lost(
    operation: str, served: Served
) -> None:
    df, seeded = _prepare(operation, served)
    served.emulator.faults.fail_partway(10)
    res = _check_ingest_case(operation, served, df, seeded, must_succeed=False)
    assert res is not None
    assert not res.ok
    assert to_pl(res.unprocessed).height > 0
    assert any(j.error_message for j in res.jobs), "the job's errorMessage is not reported"


@pytest.mark.parametrize("operation", INGEST_OPERATIONS)
def test_daily_api_limit_at_start_is_a_clear_error_and_nothing_loaded(
    operation: str, served: Served
) -> None:
    df, seeded = _prepare(operation, served)
    served.emulator.faults.api_limit(0)
    with served.client() as client, pytest.raises(sfb.RequestLimitExceededError) as err:
        run(operation, df, client, max_records=MAX_RECORDS)
    assert_clear_error(err.value, served)
    assert "limit" in str(err.value).lower()
    assert_org_matches(operation, served.emulator, df, None, seeded)
    assert not served.recorder.uploads_per_job(), "data was sent after the limit was hit"


@pytest.mark.parametrize("operation", INGEST_OPERATIONS)
def test_daily_api_limit_mid_run_names_the_jobs_to_resume(operation: str, served: Served) -> None:
    df, seeded = _prepare(operation, served)
    hit: list[bool] = []

    def limit_after_first_close(request, response) -> None:  # type: ignore[no-untyped-def]
        if request.method == "PATCH" and response.status < 300 and not hit:
            hit.append(True)
            served.emulator.faults.api_limit(0)

    served.recorder.hooks.append(limit_after_first_close)
    with served.client() as client, pytest.raises(sfb.SfBulkError) as err:
        run(operation, df, client, max_records=MAX_RECORDS, max_concurrent_jobs=1)
    served.recorder.hooks.clear()
    assert isinstance(err.value, sfb.RequestLimitExceededError | sfb.JobError), type(err.value)
    assert_clear_error(err.value, served)
    assert_org_matches(operation, served.emulator, df, None, seeded)
    assert_no_job_got_data_twice(served.recorder)
    # The jobs named in the error can be resumed once the limit frees up: nothing is lost.
    job_ids = [j for j in served.recorder.uploads_per_job() if j in str(err.value)]
    served.emulator.faults.clear()
    with served.client() as client:
        res = sfb.resume(df, job_ids, client=client, progress=False)
    assert_result_sound(operation, res, df)
    assert_org_matches(operation, served.emulator, df, res, seeded)


@pytest.mark.parametrize("operation", INGEST_OPERATIONS)
def test_in_process_503_everywhere_is_survived(operation: str, emulator: Emulator) -> None:
    seeded = seed_contacts(emulator, N_ROWS) if operation in ("update", "delete") else None
    df = frame_for(operation, N_ROWS, seeded)
    for route_name, (route, method) in INGEST_ROUTES.items():
        if route_name != "create":
            emulator.faults.http(route, 503, times=1, method=method)
    with emulator.client(retry=FAST_RETRY, poll=FAST_POLL) as client:
        res = run(operation, df, client, max_records=MAX_RECORDS)
    assert_result_sound(operation, res, df)
    assert res.ok, res.summary()
    assert_org_matches(operation, emulator, df, res, 0 if seeded is None else seeded.height)
    assert len(emulator.faults.fired) >= len(INGEST_ROUTES) - 1
