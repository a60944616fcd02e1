"""The bad-input catalogue: each case gets a typed error whose message says what is wrong and
where (column, field, object, job), raised before any data is sent when that is possible, and
nothing is half-loaded silently.

Cases that only the server can judge (a value too long, a restricted picklist, ...) are in
``REFUSED_ROWS``: there the result accounts for every row and names the field in ``sf__Error``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

import pandas as pd
import polars as pl
import pytest

import sfbulk_frames as sfb
from sfbulk_frames.testing import assert_partition

from .conftest import Served, to_pl

pytestmark = pytest.mark.server

Action = Callable[[Served, sfb.Client], Any]


@dataclass(frozen=True)
class Bad:
    """An input that must be refused: ``error`` is raised and its message contains ``names``."""

    id: str
    action: Action
    error: type[BaseException] | tuple[type[BaseException], ...]
    names: tuple[str, ...]
    before_any_job: bool = True


def _insert(df: Any, **kw: Any) -> Action:
    return lambda s, c: sfb.insert(df, "Contact", client=c, progress=False, **kw)


def _update(df: Any, **kw: Any) -> Action:
    return lambda s, c: sfb.update(df, "Contact", client=c, progress=False, **kw)


def _delete(df: Any, **kw: Any) -> Action:
    return lambda s, c: sfb.delete(df, "Contact", client=c, progress=False, **kw)


def _upsert(df: Any, key: str, obj: str = "Contact", **kw: Any) -> Action:
    return lambda s, c: sfb.upsert(df, obj, key, client=c, progress=False, **kw)


def _query(soql: str) -> Action:
    return lambda s, c: sfb.query(soql, client=c, progress=False)


def _resume(ids: list[str]) -> Action:
    return lambda s, c: sfb.resume(pl.DataFrame({"LastName": ["a"]}), ids, client=c,
                                   progress=False)


ONE = {"LastName": ["Lee"]}
INF_LATE = pl.DataFrame({"LastName": [f"r{i}" for i in range(40)],
                         "Score__c": [float("inf") if i == 33 else 1.5 for i in range(40)]})


def _pl(**columns: Any) -> pl.DataFrame:
    return pl.DataFrame({"LastName": ["Lee"], **columns})


def _object_column() -> pd.DataFrame:
    return pd.DataFrame({"LastName": ["Lee"], "Description": pd.Series([{"a": 1}], dtype=object)})


def _set_column() -> pd.DataFrame:
    return pd.DataFrame({"LastName": ["Lee"], "Description": pd.Series([{1, 2}], dtype=object)})


FRAME_CASES = [
    Bad("struct-column", _insert(_pl(Description=[{"a": 1, "b": "x"}])), sfb.FrameError,
        ("Description",)),
    Bad("binary-column", _insert(_pl(Description=[b"\x00\x01"])), sfb.FrameError,
        ("Description",)),
    Bad("pandas-object-dicts", _insert(_object_column()), sfb.FrameError, ("Description",)),
    Bad("pandas-object-sets", _insert(_set_column()), sfb.FrameError, ("Description",)),
    Bad("polars-object-dtype",
        _insert(_pl(Description=pl.Series([object()], dtype=pl.Object))),
        sfb.FrameError, ("Description",)),
    Bad("nested-list", _insert(_pl(Languages__c=[[["English"]]])), sfb.FrameError,
        ("Languages__c",)),
    Bad("list-of-ints", _insert(_pl(Languages__c=[[1, 2]])), sfb.FrameError, ("Languages__c",)),
    Bad("multiselect-item-with-semicolon", _insert(_pl(Languages__c=[["English;French"]])),
        sfb.FrameError, ("Languages__c",)),
    Bad("plus-inf", _insert(_pl(Score__c=[float("inf")])), sfb.FrameError, ("Score__c",)),
    Bad("minus-inf-pandas", _insert(pd.DataFrame({"LastName": ["a"], "Score__c": [-float("inf")]})),
        sfb.FrameError, ("Score__c",)),
    Bad("inf-in-a-later-chunk", _insert(INF_LATE, max_records=10), sfb.FrameError,
        ("Score__c", "33")),
    Bad("inf-in-lazyframe", _insert(_pl(Score__c=[float("-inf")]).lazy()), sfb.FrameError,
        ("Score__c",)),
    Bad("duplicate-column-names-pandas",
        _insert(pd.DataFrame([["a", "b"]], columns=["LastName", "LastName"])), sfb.FrameError,
        ("LastName",)),
    Bad("blank-column-name", _insert(pl.DataFrame({"LastName": ["a"], "": ["b"]})),
        sfb.FrameError, ("empty",)),
    Bad("whitespace-column-name", _insert(pl.DataFrame({"LastName": ["a"], "  ": ["b"]})),
        sfb.FrameError, ("'  '",)),
    Bad("reserved-sf-prefix-column", _insert(pl.DataFrame({"LastName": ["a"], "sf__Id": ["b"]})),
        sfb.FrameError, ("sf__Id",)),
    Bad("no-columns", _insert(pl.DataFrame()), sfb.FrameError, ("columns",)),
    Bad("update-without-id", _update(pl.DataFrame(ONE)), sfb.FrameError, ("Id",)),
    Bad("delete-without-id", _delete(pl.DataFrame(ONE)), sfb.FrameError, ("Id",)),
    Bad("update-with-lowercase-id-only", _update(pl.DataFrame({"id": ["003"], **ONE})),
        sfb.FrameError, ("Id",)),
    Bad("upsert-without-key-column", _upsert(pl.DataFrame(ONE), "ExternalId__c"),
        sfb.FrameError, ("ExternalId__c",)),
    Bad("upsert-empty-key-name", _upsert(pl.DataFrame(ONE), ""),
        sfb.SfBulkError, ("external_id_field",)),
    Bad("record-larger-than-max-bytes",
        _insert(pl.DataFrame({"LastName": ["a", "b"], "Description": ["x", "y" * 5000]}),
                max_bytes=1000), sfb.FrameError, ("row 1", "max_bytes")),
    Bad("max-bytes-too-small", _insert(pl.DataFrame(ONE), max_bytes=10),
        (sfb.ConfigurationError, sfb.FrameError), ("max_bytes",)),
    Bad("max-records-zero", _insert(pl.DataFrame(ONE), max_records=0),
        sfb.ConfigurationError, ("max_records",)),
    Bad("max-concurrent-jobs-zero", _insert(pl.DataFrame(ONE), max_concurrent_jobs=0),
        sfb.ConfigurationError, ("max_concurrent_jobs",)),
    Bad("unknown-delimiter-name", _insert(pl.DataFrame(ONE), column_delimiter="COLON"),
        sfb.ConfigurationError, ("COLON",)),
    Bad("multi-char-delimiter", _insert(pl.DataFrame(ONE), column_delimiter=";;"),
        sfb.ConfigurationError, (";;",)),
    Bad("unknown-line-ending", _insert(pl.DataFrame(ONE), line_ending="CR"),
        sfb.ConfigurationError, ("CR",)),
    Bad("unknown-null-policy", _insert(pl.DataFrame(ONE), nulls="drop"),
        sfb.ConfigurationError, ("drop",)),
    Bad("unknown-object",
        lambda s, c: sfb.insert(pl.DataFrame(ONE), "NoSuchThing__c", client=c, progress=False),
        sfb.InvalidJobError, ("NoSuchThing__c",)),
    # preflight (on by default) refuses these from describe, before any job is created
    Bad("upsert-by-non-external-id-field", _upsert(pl.DataFrame(ONE), "LastName"),
        sfb.PreflightError, ("LastName", "ExternalId__c")),
    Bad("upsert-by-unknown-field",
        _upsert(pl.DataFrame({"Nope__c": ["k"], **ONE}), "Nope__c"),
        sfb.PreflightError, ("Nope__c",)),
    Bad("upsert-by-non-external-id-field-no-preflight",
        _upsert(pl.DataFrame(ONE), "LastName", preflight=False),
        sfb.InvalidJobError, ("LastName",)),
    Bad("upsert-by-unknown-field-no-preflight",
        _upsert(pl.DataFrame({"Nope__c": ["k"], **ONE}), "Nope__c", preflight=False),
        sfb.InvalidJobError, ("Nope__c",)),
    Bad("upsert-into-unknown-object",
        _upsert(pl.DataFrame({"ExternalId__c": ["k"], **ONE}), "ExternalId__c", obj="Nope__c"),
        sfb.InvalidJobError, ("Nope__c",)),
    Bad("unknown-field-preflight",
        _insert(pl.DataFrame({"LastName": ["a"], "Nope__c": ["b"]}), raise_on_failure=True),
        sfb.PreflightError, ("Nope__c",)),
    Bad("field-name-with-space-preflight",
        _insert(pl.DataFrame({"LastName": ["a"], "Last Name": ["b"]}), raise_on_failure=True),
        sfb.PreflightError, ("Last Name", "LastName")),
    Bad("unknown-field-raise-on-failure",
        _insert(pl.DataFrame({"LastName": ["a"], "Nope__c": ["b"]}), raise_on_failure=True,
                preflight=False),
        sfb.JobFailedError, ("Nope__c",), before_any_job=False),
    Bad("field-name-with-space-raise-on-failure",
        _insert(pl.DataFrame({"LastName": ["a"], "Last Name": ["b"]}), raise_on_failure=True,
                preflight=False),
        sfb.JobFailedError, ("Last Name",), before_any_job=False),
    Bad("malformed-soql", _query("SELEC Id FROM Contact"), sfb.MalformedQueryError, ("SELEC",)),
    Bad("soql-unknown-field", _query("SELECT Id, Nope__c FROM Contact"), sfb.InvalidFieldError,
        ("Nope__c",)),
    Bad("soql-unknown-object", _query("SELECT Id FROM Nope__c"), sfb.InvalidTypeError,
        ("Nope__c",)),
    Bad("soql-unbalanced-quote", _query("SELECT Id FROM Contact WHERE LastName = 'x"),
        sfb.MalformedQueryError, ("LastName",)),
    Bad("soql-empty", _query("   "), sfb.ConfigurationError, ("empty",)),
    Bad("soql-aggregate-unsupported-in-bulk", _query("SELECT COUNT(Id) FROM Contact"),
        sfb.MalformedQueryError, ("COUNT",)),
    Bad("query-unknown-backend",
        lambda s, c: sfb.query("SELECT Id FROM Contact", client=c, backend="arrow",
                               progress=False),
        sfb.ConfigurationError, ("arrow",)),
    Bad("resume-without-job-ids", _resume([]), sfb.ConfigurationError, ("job ids",)),
    Bad("resume-malformed-job-id", _resume(["not-a-job"]), sfb.ConfigurationError,
        ("not-a-job",)),
    Bad("resume-unknown-job-id", _resume(["750000000000000AAA"]), sfb.NotFoundError,
        ("750000000000000AAA",)),
    Bad("job-handle-malformed-id", lambda s, c: c.ingest_job("xyz").info(),
        sfb.ConfigurationError, ("xyz",)),
    Bad("query-job-unknown-id", lambda s, c: c.query_job("750000000000001AAA").info(),
        sfb.NotFoundError, ("750000000000001AAA",)),
    Bad("invalid-operation", lambda s, c: c.create_ingest_job("Contact", "merge"),
        sfb.ConfigurationError, ("merge",)),
]


@pytest.mark.parametrize("case", FRAME_CASES, ids=lambda c: c.id)
def test_bad_input_is_refused_with_a_typed_error(case: Bad, served: Served) -> None:
    before = served.emulator.count("Contact")
    with served.client() as client, pytest.raises(case.error) as err:
        case.action(served, client)
    assert isinstance(err.value, sfb.SfBulkError), f"{type(err.value).__name__} is not typed"
    for name in case.names:
        assert name in str(err.value), f"{name!r} not named in: {err.value}"
    if case.before_any_job:
        sent = served.recorder.uploads_per_job()
        assert not sent, f"data was sent to jobs {list(sent)} before the error"
    assert served.emulator.count("Contact") == before, "something was half-loaded"


def test_empty_frame_sends_nothing_and_returns_an_empty_result(served: Served) -> None:
    with served.client() as client:
        res = sfb.insert(pl.DataFrame({"LastName": pl.Series([], dtype=pl.String)}), "Contact",
                         client=client, progress=False)
    assert res.summary()["rows"] == 0
    assert not served.recorder.created_jobs(), "an empty frame created a job"


# ------------------------------------------------------------------ rows only the org refuses
@dataclass(frozen=True)
class RefusedRows:
    id: str
    operation: str
    frame: Callable[[Served], pl.DataFrame]
    error_code: str
    field: str | None


def _existing_ids(s: Served, n: int = 2) -> list[str]:
    with s.client() as c:
        res = sfb.insert(pl.DataFrame({"LastName": [f"e{i}" for i in range(n)]}), "Contact",
                         client=c, progress=False)
    return to_pl(res.successful).sort("sf__Row")["sf__Id"].to_list()


REFUSED_ROWS = [
    RefusedRows("value-longer-than-field", "insert",
                lambda s: pl.DataFrame({"LastName": ["ok", "x" * 81]}), "STRING_TOO_LONG",
                "LastName"),
    RefusedRows("restricted-picklist-value", "insert",
                lambda s: pl.DataFrame({"LastName": ["a", "b"], "Level__c": ["Primary", "Boss"]}),
                "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST", "Level__c"),
    RefusedRows("required-field-null", "insert",
                lambda s: pl.DataFrame({"LastName": ["a", None], "Title": ["t", "u"]}),
                "REQUIRED_FIELD_MISSING", "LastName"),
    RefusedRows("malformed-record-id", "update",
                lambda s: pl.DataFrame({"Id": [_existing_ids(s, 1)[0], "003xyz"],
                                        "LastName": ["a", "b"]}), "MALFORMED_ID", None),
    RefusedRows("duplicate-external-id-in-one-upsert", "upsert",
                lambda s: pl.DataFrame({"ExternalId__c": ["k1", "k2", "k2"],
                                        "LastName": ["a", "b", "c"]}),
                "DUPLICATE_EXTERNAL_ID", None),
    RefusedRows("bad-number-text-in-int-field", "insert",
                lambda s: pl.DataFrame({"LastName": ["a", "b"],
                                        "NumberOfChildren__c": ["1", "many"]}),
                "", "NumberOfChildren__c"),
    RefusedRows("reference-to-unknown-parent", "insert",
                lambda s: pl.DataFrame({"LastName": ["a", "b"],
                                        "Account.ExternalId__c": [None, "no-such-account"]}),
                "", None),
    RefusedRows("email-field-with-garbage", "insert",
                lambda s: pl.DataFrame({"LastName": ["a", "b"],
                                        "Email": ["a@b.co", "not an email"]}),
                "", "Email"),
]


@pytest.mark.parametrize("case", REFUSED_ROWS, ids=lambda c: c.id)
def test_rows_the_org_refuses_are_accounted_and_joinable(case: RefusedRows, served: Served) -> None:
    df = case.frame(served)
    before = served.emulator.count("Contact")
    with served.client() as client:
        if case.operation == "upsert":
            res = sfb.upsert(df, "Contact", "ExternalId__c", client=client, progress=False)
        else:
            res = getattr(sfb, case.operation)(df, "Contact", client=client, progress=False)
    assert_partition(res, df.height)
    failed = to_pl(res.failed)
    assert failed.height >= 1, "the bad row was not reported as failed"
    errors = " ".join(failed["sf__Error"].to_list())
    assert case.error_code in errors
    if case.field:
        assert case.field in errors, f"{case.field} not named in {errors}"
    assert not res.ok
    joined = df.with_row_index("sf__Row").with_columns(pl.col("sf__Row").cast(pl.Int64)).join(
        failed.select(pl.col("sf__Row").cast(pl.Int64)), on="sf__Row")
    assert joined.height == failed.height
    created = to_pl(res.successful)["sf__Created"].to_list() if case.operation != "update" else []
    assert served.emulator.count("Contact") == before + sum(bool(c) for c in created)


def test_decimal_and_date_columns_are_not_refused(served: Served) -> None:
    """Guard against over-eager refusal: the catalogue's neighbours that are fine go through."""
    df = pl.DataFrame({"LastName": ["a"], "AnnualSpend__c": [Decimal("12.50")],
                       "Birthdate": [date(2000, 1, 2)]})
    with served.client() as client:
        res = sfb.insert(df, "Contact", client=client, progress=False)
    assert res.ok, res.summary()
