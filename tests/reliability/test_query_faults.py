"""Query under faults: the frame holds exactly the org's rows (none lost, none twice) or the
user gets a typed error naming the job and the next step."""

from __future__ import annotations

import polars as pl
import pytest

import sfbulk_frames as sfb

from .conftest import Served, assert_clear_error
from .loads import seed_contacts

pytestmark = pytest.mark.server

N_ROWS = 70
SOQL = "SELECT Id, LastName, ExternalId__c FROM Contact"

QUERY_ROUTES = {
    "create": ("/jobs/query", "POST"),
    "poll": ("/jobs/query/*", "GET"),
    "results-page": ("/jobs/query/*/results*", "GET"),
    "result-pages-listing": ("/jobs/query/*/resultPages*", "GET"),
}


def _cases() -> list[tuple[str, str, str, int, str]]:
    cases = []
    for name, (route, method) in QUERY_ROUTES.items():
        for status in (500, 503, 429):
            cases.append((f"{status}-on-{name}", route, method, status, "http"))
    cases += [
        ("drop-midway-results-page", "/jobs/query/*/results*", "GET", 0, "midway"),
        ("drop-before-poll", "/jobs/query/*", "GET", 0, "before"),
    ]
    return cases


def _query(served: Served, *, parallel: bool) -> pl.DataFrame:
    with served.client() as client:
        return sfb.query(SOQL, client=client, max_records_per_page=20, parallel=parallel,
                         progress=False)


def _assert_matches_org(served: Served, frame: pl.DataFrame) -> None:
    rows = served.emulator.sql('SELECT Id FROM "Contact" WHERE IsDeleted = 0')
    org_ids = sorted(r[0] for r in rows)
    got = frame["Id"].to_list()
    assert len(got) == len(set(got)), "a record appears twice in the query result"
    assert sorted(got) == org_ids, "the query result lost or invented records"


@pytest.mark.parametrize("parallel", [False, True], ids=["serial", "parallel"])
@pytest.mark.parametrize(("name", "route", "method", "status", "kind"), _cases(),
                         ids=[c[0] for c in _cases()])
def test_query_survives_fault(name: str, route: str, method: str, status: int, kind: str,
                              parallel: bool, served: Served) -> None:
    seed_contacts(served.emulator, N_ROWS)
    if kind == "http":
        served.emulator.faults.http(route, status, times=2, method=method,
                                    retry_after=1 if status == 429 else None)
    else:
        served.emulator.faults.drop(route, times=1, when=kind, method=method)
    create_5xx = name.startswith(("500-on-create", "503-on-create"))
    try:
        frame = _query(served, parallel=parallel)
    except sfb.SfBulkError as exc:
        if not create_5xx:
            raise
        assert_clear_error(exc)
        return
    fired = served.emulator.faults.fired
    assert fired or (parallel is False and "listing" in name), "the fault never fired"
    _assert_matches_org(served, frame)


def test_query_survives_token_expiry_mid_job(served: Served) -> None:
    seed_contacts(served.emulator, N_ROWS)
    expired: list[bool] = []

    def expire_after_create(request, response) -> None:  # type: ignore[no-untyped-def]
        if request.method == "POST" and request.path.endswith("/jobs/query") and not expired:
            expired.append(True)
            served.emulator.expire_tokens()

    served.recorder.hooks.append(expire_after_create)
    with served.login_client() as client:
        frame = sfb.query(SOQL, client=client, max_records_per_page=20, progress=False)
    assert expired
    assert any(s.status == 401 for s in served.recorder.seen)
    _assert_matches_org(served, frame)


def test_query_hitting_the_api_limit_is_a_clear_error(served: Served) -> None:
    seed_contacts(served.emulator, 5)
    served.emulator.faults.api_limit(0)
    with pytest.raises(sfb.RequestLimitExceededError) as err:
        _query(served, parallel=False)
    assert_clear_error(err.value)


def test_malformed_soql_is_refused_before_any_job_runs(served: Served) -> None:
    with served.client() as client, pytest.raises(sfb.MalformedQueryError) as err:
        sfb.query("SELEC Id FROM Contact", client=client, progress=False)
    assert "SELEC" in str(err.value) or "unexpected" in str(err.value).lower()
    assert not served.recorder.created_jobs("query") or all(
        s.status >= 400 for s in served.recorder.seen if s.job_kind == "query"
    )
