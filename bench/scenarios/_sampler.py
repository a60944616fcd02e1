"""A CPU-weighted sampling profiler over every thread of the process (Linux).

cProfile sees only the thread that enabled it, but our pipeline works in a thread pool and
inside polars' native code. Every ``interval`` this sampler reads each thread's CPU time from
``/proc/self/task/<tid>/stat`` and charges the CPU used since the last sample to that thread's
current Python stack: *own* to the innermost frame (native calls are charged to the Python
function that made them), *cumulative* to every function on the stack. The CPU of threads
without a Python stack (polars' and pyarrow's pools) is split among the Python threads that are
inside a polars/pyarrow/pandas call at that moment (else one "native threads" line).
Threads that only wait use no CPU and are charged nothing.
"""

from __future__ import annotations

import os
import sys
import threading
from collections import defaultdict
from pathlib import Path
from types import FrameType, TracebackType

__all__ = ["CpuSampler"]

_NATIVE = "<native threads: polars/pyarrow pools, no Python stack>"
_TICK = 1.0 / os.sysconf("SC_CLK_TCK")
_PAGE = os.sysconf("SC_PAGE_SIZE")
_PEAK_DEPTH = 6
_NATIVE_LIBRARIES = ("/polars/", "/pyarrow/", "/pandas/")


def _thread_cpu(native_id: int) -> float | None:
    try:
        stat = Path(f"/proc/self/task/{native_id}/stat").read_text()
    except OSError:
        return None
    fields = stat.rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) * _TICK  # utime, stime


def _rss_mb() -> float:
    try:
        pages = int(Path("/proc/self/statm").read_text().split()[1])
    except (OSError, IndexError, ValueError):
        return 0.0
    return pages * _PAGE / 1024 / 1024


def _in_native_library(frame: FrameType | None) -> bool:
    while frame is not None:
        if any(lib in frame.f_code.co_filename for lib in _NATIVE_LIBRARIES):
            return True
        frame = frame.f_back
    return False


def _label(frame: FrameType) -> str:
    code = frame.f_code
    return f"{Path(code.co_filename).name}:{code.co_firstlineno}({code.co_name})"


def _most(charges: dict[str, float], top: int) -> list[tuple[str, float]]:
    return sorted(charges.items(), key=lambda item: -item[1])[:top]


class CpuSampler:
    """``with CpuSampler() as s: ...`` then ``s.report()``; a no-op off Linux."""

    def __init__(self, interval: float = 0.005) -> None:
        self.interval = interval
        self.own: dict[str, float] = defaultdict(float)
        self.cumulative: dict[str, float] = defaultdict(float)
        self.total = 0.0
        self.native_total = 0.0
        self.peak_rss_mb = 0.0
        self.peak_stacks: list[str] = []
        self._last: dict[int, float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="bench-sampler", daemon=True)

    def __enter__(self) -> CpuSampler:
        if Path("/proc/self/task").exists():
            self._thread.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()

    def _run(self) -> None:
        me = threading.get_native_id()
        while not self._stop.wait(self.interval):
            frames = sys._current_frames()
            self._note_rss(frames)
            python_threads = {t.native_id: t.ident for t in threading.enumerate()
                              if t.native_id is not None and t.ident is not None}
            native_used = 0.0
            for name in os.listdir("/proc/self/task"):
                native_id = int(name)
                if native_id == me:
                    continue
                ident = python_threads.get(native_id)
                frame = frames.get(ident) if ident is not None else None
                used = self._cpu_since_last(native_id)
                if frame is None:
                    native_used += used
                elif used > 0:
                    self._charge(frame, used)
            self._charge_native(frames, native_used)

    def _note_rss(self, frames: dict[int, FrameType]) -> None:
        """Remember what every Python thread was doing when RSS was highest."""
        rss = _rss_mb()
        if rss <= self.peak_rss_mb:
            return
        self.peak_rss_mb = rss
        stacks = []
        for ident, frame in frames.items():
            if ident == threading.get_ident():
                continue
            chain: list[str] = []
            walker: FrameType | None = frame
            while walker is not None and len(chain) < _PEAK_DEPTH:
                chain.append(_label(walker))
                walker = walker.f_back
            stacks.append(" < ".join(chain))
        self.peak_stacks = stacks

    def _cpu_since_last(self, native_id: int) -> float:
        cpu = _thread_cpu(native_id)
        if cpu is None:
            return 0.0
        used = cpu - self._last.get(native_id, cpu)
        self._last[native_id] = cpu
        return max(used, 0.0)

    def _charge_native(self, frames: dict[int, FrameType], used: float) -> None:
        """Charge pool-thread CPU to the Python threads waiting in a polars/pyarrow call."""
        if used <= 0:
            return
        callers = [frame for ident, frame in frames.items()
                   if ident != threading.get_ident() and _in_native_library(frame)]
        self.native_total += used
        if not callers:
            self.total += used
            self.own[_NATIVE] += used
            self.cumulative[_NATIVE] += used
            return
        for frame in callers:
            self._charge(frame, used / len(callers))

    def _charge(self, frame: FrameType, used: float) -> None:
        self.total += used
        self.own[_label(frame)] += used
        seen: set[str] = set()
        walker: FrameType | None = frame
        while walker is not None:
            label = _label(walker)
            if label not in seen:
                seen.add(label)
                self.cumulative[label] += used
            walker = walker.f_back

    def report(self, top: int = 15) -> str:
        """The functions using the most CPU, by own and by cumulative time."""
        lines = [f"CPU sampled across all threads: {self.total:.2f} s, of which "
                 f"{self.native_total:.2f} s in native pool threads, charged to the Python "
                 "threads waiting in a polars/pyarrow/pandas call at that moment", "",
                 "own CPU s  share  function"]
        for label, used in _most(self.own, top):
            lines.append(f"{used:9.2f}  {used / (self.total or 1):5.0%}  {label}")
        lines += ["", "cumulative CPU s  share  function"]
        for label, used in _most(self.cumulative, top):
            lines.append(f"{used:16.2f}  {used / (self.total or 1):5.0%}  {label}")
        lines += ["", f"RSS peaked at {self.peak_rss_mb:.0f} MB (sampled) while the Python "
                  "threads were in (innermost first):"]
        lines += [f"  {stack}" for stack in self.peak_stacks]
        return "\n".join(lines)
