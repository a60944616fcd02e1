"""``df.sfbulk`` on pandas.DataFrame, polars.DataFrame and polars.LazyFrame.

One accessor class serves all three: each method is the public function with the frame bound
(same keywords, same checks; ``sync`` is :func:`sfbulk_frames.sync`). Registration never
imports pandas or polars: a library already imported gets the accessor at once, the other one
right after its own import finishes (a ``sys.meta_path`` hook that wraps its loader).
"""

from __future__ import annotations

import functools
import importlib
import importlib.abc
import importlib.machinery
import logging
import sys
from collections.abc import Callable, Sequence
from types import ModuleType
from typing import TYPE_CHECKING, Any, Generic, Literal, ParamSpec, TypeVar, overload

if TYPE_CHECKING:
    from sfbulk_frames import _api
    from sfbulk_frames._api import Frame
    from sfbulk_frames._config import PollPolicy
    from sfbulk_frames._options import FrameFunction
    from sfbulk_frames.client.clients import Client
    from sfbulk_frames.frames.encode import DEFAULT_MAX_BYTES
    from sfbulk_frames.frames.result import BulkResult
    from sfbulk_frames.frames.sync_result import SyncPlan, SyncResult
    from sfbulk_frames.pipeline import sync as _sync
    from sfbulk_frames.pipeline.progress import ProgressLike

__all__ = ["SfBulkAccessor", "register_accessors"]

logger = logging.getLogger("sfbulk_frames")

P = ParamSpec("P")
OutT = TypeVar("OutT")
FrameOut = TypeVar("FrameOut")


class _Bound(Generic[P]):
    """A public frame function (looked up by name in its module on first use, so defining the
    accessor imports nothing) with the accessor's frame bound as its first argument."""

    def __init__(
        self, function: FrameFunction[P] | str, module: str = "sfbulk_frames._api"
    ) -> None:
        self.name = function if isinstance(function, str) else function.__name__
        self.module = module

    @overload
    def __get__(self, accessor: None, owner: type) -> FrameFunction[P]: ...

    @overload
    def __get__(
        self, accessor: SfBulkAccessor[FrameOut], owner: type
    ) -> Callable[P, BulkResult[FrameOut]]: ...

    def __get__(self, accessor: SfBulkAccessor[Any] | None, owner: type) -> Any:
        function: Any = getattr(importlib.import_module(self.module), self.name)
        if accessor is None:
            return function
        bound = functools.partial(function, accessor._frame)
        functools.update_wrapper(bound, getattr(function, "__wrapped__", function))
        delattr(bound, "__wrapped__")  # inspect.signature: the function's, without the frame
        return bound


class SfBulkAccessor(Generic[OutT]):
    """Salesforce Bulk API 2.0 loads for this frame: ``df.sfbulk.upsert("Contact", "Ext__c")``.

    ``insert``, ``update``, ``upsert``, ``delete`` and ``resume`` take the arguments of the
    functions of :mod:`sfbulk_frames` without the frame, and return a ``BulkResult[OutT]``
    (pandas frames for pandas; polars frames for a polars DataFrame or LazyFrame).
    """

    def __init__(self, frame: Frame) -> None:
        self._frame = frame

    if TYPE_CHECKING:
        insert = _Bound(_api.insert)
        update = _Bound(_api.update)
        upsert = _Bound(_api.upsert)
        delete = _Bound(_api.delete)
        resume = _Bound(_api.resume)

        @overload
        def sync(self, object: str, key: str, *, where: str | None = ...,
                 delete_missing: bool = ..., confirm_delete_all: bool = ...,
                 compare: Sequence[str] | None = ..., dry_run: Literal[True],
                 send_columns: _sync.SendColumns = ..., client: Client | None = ...,
                 max_bytes: int = ..., max_records: int | None = ...,
                 max_concurrent_jobs: int = ..., timeout: float | None = ...,
                 poll: PollPolicy | None = ..., progress: ProgressLike = ...,
                 delete_jobs: bool = ..., raise_on_failure: bool = ...) -> SyncPlan: ...
        @overload
        def sync(self, object: str, key: str, *, where: str | None = ...,
                 delete_missing: bool = ..., confirm_delete_all: bool = ...,
                 compare: Sequence[str] | None = ..., dry_run: Literal[False] = ...,
                 send_columns: _sync.SendColumns = ..., client: Client | None = ...,
                 max_bytes: int = ..., max_records: int | None = ...,
                 max_concurrent_jobs: int = ..., timeout: float | None = ...,
                 poll: PollPolicy | None = ..., progress: ProgressLike = ...,
                 delete_jobs: bool = ..., raise_on_failure: bool = ...) -> SyncResult: ...
        def sync(self, object: str, key: str, *, where: str | None = None,
                 delete_missing: bool = False, confirm_delete_all: bool = False,
                 compare: Sequence[str] | None = None, dry_run: bool = False,
                 send_columns: _sync.SendColumns = "all", client: Client | None = None,
                 max_bytes: int = DEFAULT_MAX_BYTES, max_records: int | None = None,
                 max_concurrent_jobs: int = 4, timeout: float | None = None,
                 poll: PollPolicy | None = None, progress: ProgressLike = "auto",
                 delete_jobs: bool = False, raise_on_failure: bool = False
                 ) -> SyncPlan | SyncResult:
            """Send only what changed (``dry_run=True``: the plan); see
            :func:`sfbulk_frames.sync`."""
            return _sync.sync(
                self._frame, object, key, where=where, delete_missing=delete_missing,
                confirm_delete_all=confirm_delete_all, compare=compare, dry_run=dry_run,
                send_columns=send_columns, client=client, max_bytes=max_bytes,
                max_records=max_records, max_concurrent_jobs=max_concurrent_jobs,
                timeout=timeout, poll=poll, progress=progress, delete_jobs=delete_jobs,
                raise_on_failure=raise_on_failure,
            )
    else:
        insert = _Bound("insert")
        update = _Bound("update")
        upsert = _Bound("upsert")
        delete = _Bound("delete")
        resume = _Bound("resume")
        sync = _Bound("sync", "sfbulk_frames.pipeline.sync")


def _register_pandas(pd: ModuleType) -> None:
    pd.api.extensions.register_dataframe_accessor("sfbulk")(SfBulkAccessor)


def _register_polars(pl: ModuleType) -> None:
    pl.api.register_dataframe_namespace("sfbulk")(SfBulkAccessor)
    pl.api.register_lazyframe_namespace("sfbulk")(SfBulkAccessor)


_REGISTER: dict[str, Callable[[ModuleType], None]] = {
    "pandas": _register_pandas,
    "polars": _register_polars,
}


def _register(name: str, module: ModuleType) -> None:
    try:
        _REGISTER[name](module)
    except Exception as exc:  # never break the user's import of pandas or polars
        logger.warning("could not register df.sfbulk on %s: %s", name, exc)


class _LoaderHook(importlib.abc.Loader):
    """The library's own loader, then the accessor registration."""

    def __init__(self, name: str, loader: importlib.abc.Loader) -> None:
        self._name = name
        self._loader = loader

    def __getattr__(self, attr: str) -> Any:  # resource readers, is_package, ...
        return getattr(self._loader, attr)

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType | None:
        return self._loader.create_module(spec)

    def exec_module(self, module: ModuleType) -> None:
        module.__loader__ = self._loader  # the library sees its own loader
        if module.__spec__ is not None:
            module.__spec__.loader = self._loader
        self._loader.exec_module(module)
        _hook.done(self._name)
        _register(self._name, module)


class _ImportHook(importlib.abc.MetaPathFinder):
    """Registers ``df.sfbulk`` when pandas or polars is imported after sfbulk_frames."""

    def __init__(self) -> None:
        self.pending: set[str] = set()

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname not in self.pending:
            return None
        # Not done yet: importlib.util.find_spec() probes (polars probes for pandas) come
        # here too, and only the import that executes the module registers.
        for finder in sys.meta_path:
            if finder is self or not hasattr(finder, "find_spec"):
                continue
            spec = finder.find_spec(fullname, path, target)
            if spec is not None:
                break
        else:
            return None
        if spec.loader is not None and hasattr(spec.loader, "exec_module"):
            spec.loader = _LoaderHook(fullname, spec.loader)
        return spec

    def done(self, name: str) -> None:
        self.pending.discard(name)
        if not self.pending and self in sys.meta_path:
            sys.meta_path.remove(self)


_hook = _ImportHook()


def register_accessors() -> None:
    """Register ``sfbulk`` on the frame types (idempotent): at once for pandas/polars when
    already imported, else right after their import."""
    for name in _REGISTER:
        if name in _registered:
            continue
        _registered.add(name)
        module = sys.modules.get(name)
        if module is not None:
            _register(name, module)
        else:
            _hook.pending.add(name)
    if _hook.pending and _hook not in sys.meta_path:
        sys.meta_path.insert(0, _hook)


_registered: set[str] = set()
