"""The typed public surface: explicit keywords from one option list, checked keywords,
names that report ``sfbulk_frames`` as their module, and exported handle types."""

from __future__ import annotations

import asyncio
import dataclasses
import inspect
import types
import typing

import pandas as pd
import polars as pl
import pytest

import sfbulk_frames as sfb
from sfbulk_frames import aio
from sfbulk_frames._options import LoadOptions

LOADS = ("insert", "update", "upsert", "delete")
NOT_OPTIONS = {"df", "object", "external_id_field", "job_ids", "client", "hard"}


def _options_of(fn: object) -> dict[str, object]:
    params = inspect.signature(fn).parameters.values()
    return {p.name: p.default for p in params if p.name not in NOT_OPTIONS}


def _defaults() -> dict[str, object]:
    return {f.name: f.default for f in dataclasses.fields(LoadOptions)}


@pytest.mark.parametrize("module", [sfb, aio], ids=["sync", "aio"])
@pytest.mark.parametrize("name", LOADS)
def test_every_load_function_lists_exactly_the_load_options_with_their_defaults(module, name):
    assert _options_of(getattr(module, name)) == _defaults()


@pytest.mark.parametrize("module", [sfb, aio], ids=["sync", "aio"])
def test_resume_takes_a_subset_of_the_load_options_with_the_same_defaults(module):
    options = _options_of(module.resume)
    assert options
    assert {name: _defaults()[name] for name in options} == options


@pytest.mark.parametrize("name", [*LOADS, "resume"])
def test_accessor_methods_have_the_function_signature_without_the_frame(name):
    function = inspect.signature(getattr(sfb, name))
    for frame in (pd.DataFrame({"a": [1]}), pl.DataFrame({"a": [1]}), pl.LazyFrame({"a": [1]})):
        method = inspect.signature(getattr(frame.sfbulk, name))
        assert list(method.parameters.values()) == list(function.parameters.values())[1:]


def _typo_error(call: typing.Callable[[], object]) -> sfb.InvalidArgumentError:
    with pytest.raises(sfb.InvalidArgumentError) as err:
        call()
    assert isinstance(err.value, TypeError)
    assert isinstance(err.value, sfb.SfBulkError)
    return err.value


def test_a_mistyped_option_is_a_type_error_with_did_you_mean_and_the_valid_options():
    df = pd.DataFrame({"LastName": ["a"]})
    error = _typo_error(lambda: sfb.insert(df, "Contact", max_concurent_jobs=2))
    text = str(error)
    assert "sfbulk_frames.insert()" in text
    assert "'max_concurent_jobs'" in text
    assert "Did you mean max_concurrent_jobs=?" in text
    for option in LoadOptions.names():
        assert option in text
    assert "_load" not in text  # names the public function, not a private one


def test_a_mistyped_option_on_an_accessor_names_the_same_options():
    frame = pl.DataFrame({"Ext": ["a"]})
    text = str(_typo_error(lambda: frame.sfbulk.upsert("Contact", "Ext", nuls="set_null")))
    assert "sfbulk_frames.upsert()" in text
    assert "Did you mean nulls=?" in text


def test_a_mistyped_query_option_says_what_query_takes():
    text = str(_typo_error(lambda: sfb.query("SELECT Id FROM Contact", backnd="pandas")))
    assert "Did you mean backend=?" in text
    assert "include_deleted" in text


def test_a_mistyped_async_option_fails_before_anything_is_awaited():
    text = str(_typo_error(lambda: aio.insert(pl.DataFrame({"a": [1]}), "Contact", timout=3)))
    assert "Did you mean timeout=?" in text
    assert "sfbulk_frames.aio.insert()" in text
    with pytest.raises(sfb.InvalidArgumentError):
        asyncio.run(aio.query("SELECT Id FROM Contact", deleted=True))


def test_the_public_functions_are_plain_functions_for_help_and_inspect():
    for function in (sfb.insert, sfb.upsert, sfb.resume, sfb.query, aio.upsert, aio.query):
        assert inspect.isfunction(function)
        assert function.__doc__
        assert "df" in inspect.signature(function).parameters or function.__name__ == "query"


def test_all_is_sorted_and_every_public_name_reports_the_package_as_its_module():
    assert sfb.__all__ == sorted(sfb.__all__)
    for name in sfb.__all__:
        value = getattr(sfb, name)
        assert value.__module__ == "sfbulk_frames", name


def test_dir_lists_the_public_names_and_the_submodules():
    listed = dir(sfb)
    assert set(sfb.__all__) <= set(listed)
    assert {"aio", "testing"} <= set(listed)


def _classes_in(hint: object) -> set[type]:
    found: set[type] = set()
    if isinstance(hint, type) and not isinstance(hint, types.GenericAlias):
        found.add(hint)
    for arg in typing.get_args(hint):
        found |= _classes_in(arg)
    origin = typing.get_origin(hint)
    if isinstance(origin, type):
        found.add(origin)
    return found


@pytest.mark.parametrize(
    "cls_name",
    [
        "Client",
        "AsyncClient",
        "IngestJob",
        "QueryJob",
        "AsyncIngestJob",
        "AsyncQueryJob",
        "BulkResult",
    ],
)
def test_every_type_a_public_method_returns_is_exported(cls_name):
    cls = getattr(sfb, cls_name)
    for name, member in inspect.getmembers(cls, callable):
        if name.startswith("_"):
            continue
        namespace = {
            **vars(inspect.getmodule(member)),
            **{public: getattr(sfb, public) for public in sfb.__all__},
            "pd": pd,
            "pl": pl,
        }
        hints = typing.get_type_hints(member, globalns=namespace)
        for returned in _classes_in(hints.get("return")):
            if returned.__module__.startswith("sfbulk_frames"):
                assert returned.__name__ in sfb.__all__, f"{cls_name}.{name} -> {returned}"


def test_an_unknown_attribute_is_an_attribute_error():
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        sfb.nope  # noqa: B018
