"""One exception tree for real: every ``raise`` in the package is read, and bad settings are
tried for real (not just ``__all__`` inspected)."""

from __future__ import annotations

import ast
import asyncio
import builtins
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import polars as pl
import pytest

import sfbulk_frames as sfb
from sfbulk_frames import PollPolicy, RetryPolicy, testing
from sfbulk_frames.emulator import Emulator
from sfbulk_frames.frames.backend import iter_batches
from sfbulk_frames.frames.decode import read_result_csv
from sfbulk_frames.pipeline.progress import Progress
from sfbulk_frames.pipeline.reporting import make_reporter

PACKAGE = Path(sfb.__file__).parent

# The only raises of builtin exceptions, each deliberate: invariants whose failure is a bug in
# sfbulk_frames (the message asks for a report), never an answer to user input; and the
# AttributeError a module __getattr__ must raise.
ALLOWED_BUILTIN_RAISES = {
    ("__init__.py", "AttributeError"),  # PEP 562 module __getattr__: the protocol demands it
    ("pipeline/chunk_runner.py", "AssertionError"),  # unreachable end of the upload retries
    ("frames/encode/csv_records.py", "RuntimeError"),  # polars wrote a CSV we cannot split
    ("client/http.py", "RuntimeError"),  # a bridged Client used on its own loop's thread: a bug
    ("spark/_partition.py", "RuntimeError"),  # task identity asked outside a Spark task: a bug
    ("cli/manifest.py", "ValueError"),  # a manifest of another version: caught in the module
}
# Private exceptions that never leave the package (raised and caught inside one module).
INTERNAL = {"_Stop", "Stopped"}


def _raised_names() -> set[tuple[str, str]]:
    """(module path, exception name) for every ``raise Name(...)`` / ``raise Name`` outside the
    emulator (whose errors are HTTP answers of the fake Salesforce, not library errors)."""
    found = set()
    for path in PACKAGE.rglob("*.py"):
        relative = path.relative_to(PACKAGE).as_posix()
        if relative.startswith("emulator/"):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Raise) and node.exc is not None:
                target = node.exc.func if isinstance(node.exc, ast.Call) else node.exc
                if isinstance(target, ast.Name):
                    found.add((relative, target.id))
    return found


def test_no_builtin_exception_is_raised_except_the_listed_bug_checks():
    builtin_raises = {
        (path, name)
        for path, name in _raised_names()
        if isinstance(getattr(builtins, name, None), type)
    }
    assert builtin_raises == ALLOWED_BUILTIN_RAISES


def _classes() -> dict[str, list[str]]:
    """Every class defined in the package (outside the emulator): name -> base names."""
    classes: dict[str, list[str]] = {}
    for path in PACKAGE.rglob("*.py"):
        if path.relative_to(PACKAGE).as_posix().startswith("emulator/"):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ClassDef):
                classes[node.name] = [b.id for b in node.bases if isinstance(b, ast.Name)]
    return classes


def _public_names() -> set[str]:
    """``sfbulk_frames.__all__`` and the ``__all__`` of its public subpackages (``spark``)."""
    names = set(sfb.__all__)
    for init in PACKAGE.glob("*/__init__.py"):
        if init.parent.name.startswith("_") or init.parent.name == "emulator":
            continue
        for node in ast.parse(init.read_text(encoding="utf-8")).body:
            if isinstance(node, ast.Assign) and any(
                isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets
            ):
                names |= set(ast.literal_eval(node.value))
    return names


def test_every_other_raised_class_is_a_public_sfbulk_error():
    classes, public = _classes(), _public_names()

    def derives_from_root(name: str) -> bool:
        return name == "SfBulkError" or any(derives_from_root(b) for b in classes.get(name, []))

    for path, name in _raised_names():
        if isinstance(getattr(builtins, name, None), type) or name in INTERNAL:
            continue
        if not name[0].isupper():  # ``raise exc`` / ``raise error``: re-raising a caught one
            continue
        assert name in public, f"{path} raises {name}, which is not public"
        assert derives_from_root(name), f"{path} raises {name}, not an SfBulkError"


def test_every_public_exception_derives_from_sfbulk_error():
    for name in sfb.__all__:
        value = getattr(sfb, name)
        if isinstance(value, type) and issubclass(value, BaseException):
            assert issubclass(value, sfb.SfBulkError), name


BAD_SETTINGS: dict[str, Callable[[], object]] = {
    "PollPolicy(factor<1)": lambda: PollPolicy(factor=0.5),
    "PollPolicy(initial<0)": lambda: PollPolicy(initial=-1),
    "RetryPolicy(max_attempts=0)": lambda: RetryPolicy(max_attempts=0),
    "progress=": lambda: make_reporter("loud", desc="x"),
    "JobInfo.from_json": lambda: sfb.JobInfo.from_json({"state": "Open"}),
    "batch_rows=0": lambda: next(iter_batches(pl.DataFrame({"a": [1]}), 0)),
    "line_ending=": lambda: read_result_csv(b"a\n1\n", delimiter=",", line_ending="CR"),
    "query backend=": lambda: sfb.query("SELECT Id FROM Contact", backend="arrow"),
    "Progress(mode=)": lambda: Progress("loud"),
    "Progress(redraw=0)": lambda: Progress(redraw=0),
}


@pytest.mark.parametrize("make", BAD_SETTINGS.values(), ids=BAD_SETTINGS.keys())
def test_a_bad_setting_is_a_configuration_error_and_a_value_error(make):
    with pytest.raises(sfb.ConfigurationError) as err:
        make()
    assert isinstance(err.value, ValueError)


LOAD_SETTINGS = {
    "nulls": {"nulls": "drop"},
    "nulls per column": {"nulls": {"LastName": "empty"}},
    "column_delimiter": {"column_delimiter": "SPACE"},
    "line_ending": {"line_ending": "CR"},
    "max_bytes": {"max_bytes": 0},
    "max_concurrent_jobs": {"max_concurrent_jobs": 0},
    "progress": {"progress": "loud"},
}


@pytest.mark.parametrize("options", LOAD_SETTINGS.values(), ids=LOAD_SETTINGS.keys())
def test_a_bad_load_option_is_a_configuration_error_before_anything_is_sent(options):
    with Emulator() as emu, testing.fast_polling(), emu.client() as client:
        with pytest.raises(sfb.ConfigurationError) as err:
            sfb.insert(pl.DataFrame({"LastName": ["a"]}), "Contact", client=client, **options)
        assert isinstance(err.value, ValueError)
        assert emu.jobs_seen() == {}


def test_resume_without_job_ids_is_a_configuration_error():
    with Emulator() as emu, emu.client() as client, pytest.raises(sfb.ConfigurationError):
        sfb.resume(pl.DataFrame({"a": [1]}), [], client=client)


@pytest.mark.parametrize("function", ["insert", "update", "upsert", "delete", "query", "resume"])
def test_an_async_client_given_to_a_sync_function_points_to_the_aio_function(function):
    frame = pd.DataFrame({"Id": ["003000000000001AAA"], "Ext": ["x"]})
    calls: dict[str, Callable[[sfb.AsyncClient], object]] = {
        "insert": lambda c: sfb.insert(frame, "Contact", client=c),
        "update": lambda c: sfb.update(frame, "Contact", client=c),
        "upsert": lambda c: sfb.upsert(frame, "Contact", "Ext", client=c),
        "delete": lambda c: sfb.delete(frame, "Contact", hard=True, client=c),
        "query": lambda c: sfb.query("SELECT Id FROM Contact", client=c),
        "resume": lambda c: sfb.resume(frame, ["750000000000001AAA"], client=c),
    }
    with Emulator() as emu:
        client = sfb.AsyncClient(emu.instance_url, emu.token, transport=emu.transport())
        try:
            with pytest.raises(sfb.InvalidArgumentError) as err:
                calls[function](client)
        finally:
            asyncio.run(client.aclose())
        assert emu.jobs_seen() == {}
    assert isinstance(err.value, TypeError)
    assert f"sfbulk_frames.aio.{function}(" in str(err.value)


def test_an_async_client_in_use_client_is_refused_by_the_sync_functions_too():
    with Emulator() as emu:
        client = sfb.AsyncClient(emu.instance_url, emu.token, transport=emu.transport())
        with sfb.use_client(client), pytest.raises(sfb.InvalidArgumentError, match=r"aio\.insert"):
            sfb.insert(pl.DataFrame({"LastName": ["a"]}), "Contact")
        asyncio.run(client.aclose())
