"""Turn the runs of one benchmark into tables, target verdicts and ``RESULTS.md``.

Every ratio is computed from numbers measured in the same run: a client's median CPU time
against the best (lowest) peer median of the same scenario, and, for serialization, against
plain ``polars.DataFrame.write_csv`` (the floor).
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

__all__ = ["OURS", "PEERS", "Summary", "markdown_table", "summarize", "target_rows"]

OURS = ("sfbulk_frames (polars)", "sfbulk_frames (pandas)")
PEERS = ("simple-salesforce", "aiosalesforce")
FLOOR = "polars write_csv (floor)"
SCENARIO_TITLES = {
    "serialize": "Serialization alone (frame → upload CSV bytes)",
    "insert": "Insert N rows and obtain the three result sets",
    "upsert": "Upsert N rows by ExternalId__c (half update, half insert)",
    "query": "Query N rows into a dataframe",
}


@dataclass
class Summary:
    """The runs of one client in one scenario, reduced to medians and spreads."""

    op: str
    client: str
    runs: list[dict[str, Any]]
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when every repetition passed its correctness checks."""
        return bool(self.runs) and not self.problems

    def values(self, key: str) -> list[float]:
        """``key`` of every run that produced it."""
        return [float(run[key]) for run in self.runs if run.get(key) is not None]

    def median(self, key: str) -> float | None:
        """Median of ``key`` over the runs, None if no run has it."""
        found = self.values(key)
        return statistics.median(found) if found else None

    def spread(self, key: str, digits: int = 2) -> str:
        """``median (min-max)`` of ``key``, or a dash when no run has it."""
        found = self.values(key)
        if not found:
            return "—"
        mid = statistics.median(found)
        if len(found) == 1:
            return f"{mid:.{digits}f}"
        return f"{mid:.{digits}f} ({min(found):.{digits}f}–{max(found):.{digits}f})"


def summarize(runs: Iterable[dict[str, Any]]) -> dict[tuple[str, str], Summary]:
    """Group runs by (op, client); a run's ``problems`` make its summary FAILED."""
    summaries: dict[tuple[str, str], Summary] = {}
    for run in runs:
        key = (run["op"], run["client"])
        summary = summaries.setdefault(key, Summary(op=run["op"], client=run["client"], runs=[]))
        summary.runs.append(run)
        summary.problems.extend(f"rep {run['rep']}: {p}" for p in run.get("problems", []))
    return summaries


def _best_peer(summaries: dict[tuple[str, str], Summary], op: str, key: str) -> float | None:
    found = [s.median(key) for (o, c), s in summaries.items() if o == op and c in PEERS and s.ok]
    numbers = [v for v in found if v]
    return min(numbers) if numbers else None


def _ratio(value: float | None, reference: float | None) -> str:
    if value is None or not reference:
        return "—"
    ratio = value / reference
    return f"{ratio:.2f}x" if ratio >= 0.1 else f"{ratio:.3f}x"


def _rows_ok(summary: Summary) -> str:
    counts = [run.get("counts") or {} for run in summary.runs]
    found = [c.get("successful", c.get("rows", 0)) for c in counts]
    return f"{int(statistics.median(found)):,}" if found else "—"


def markdown_table(summaries: dict[tuple[str, str], Summary], op: str,
                   order: Sequence[str]) -> list[str]:
    """The markdown table of one scenario (clients in ``order``)."""
    best_cpu = _best_peer(summaries, op, "cpu_s")
    best_rss = _best_peer(summaries, op, "peak_rss_mb")
    floor = summaries.get((op, FLOOR))
    floor_cpu = floor.median("cpu_s") if floor and floor.ok else None
    floor_wall = floor.median("wall_s") if floor and floor.ok else None
    header = ("| client | status | wall s | CPU s | process CPU s | peak RSS MB | rows ok "
              "| CPU vs best peer | RSS vs best peer |")
    rule = "|---|---|---:|---:|---:|---:|---:|---:|---:|"
    if op == "serialize":
        header += " MB/s | wall vs floor | CPU vs floor |"
        rule += "---:|---:|---:|"
    lines = [header, rule]
    for client in order:
        summary = summaries.get((op, client))
        if summary is None:
            continue
        status = "ok" if summary.ok else "**FAILED**"
        cells = [client, status, summary.spread("wall_s"), summary.spread("cpu_s"),
                 summary.spread("proc_cpu_s"), summary.spread("peak_rss_mb", 0),
                 _rows_ok(summary), _ratio(summary.median("cpu_s"), best_cpu),
                 _ratio(summary.median("peak_rss_mb"), best_rss)]
        if op == "serialize":
            mb = summary.median("bytes_out")
            wall = summary.median("wall_s")
            cells += [f"{mb / 1e6 / wall:.0f}" if mb and wall else "—",
                      _ratio(wall, floor_wall), _ratio(summary.median("cpu_s"), floor_cpu)]
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def _verdict(met: bool | None) -> str:
    return "n/a" if met is None else ("**met**" if met else "**not met**")


def _cpu_target(summaries: dict[tuple[str, str], Summary], op: str, factor: float,
                client: str) -> tuple[str, str, str]:
    ours = summaries.get((op, client))
    best = _best_peer(summaries, op, "cpu_s")
    label = f"{op}: {client} CPU ≥{factor:g}x lower than best peer"
    if ours is None or not ours.ok or not best or not ours.median("cpu_s"):
        return label, "not measured / failed", _verdict(None)
    gain = best / (ours.median("cpu_s") or 1)
    relation = f"{gain:.1f}x lower" if gain >= 1 else f"{1 / gain:.1f}x higher"
    return label, f"{relation} ({ours.median('cpu_s'):.2f}s vs best peer {best:.2f}s)", \
        _verdict(gain >= factor)


def target_rows(summaries: dict[tuple[str, str], Summary],
                input_frame_mb: float) -> list[tuple[str, str, str]]:
    """(target, measured, verdict) for every target of issue 8."""
    rows: list[tuple[str, str, str]] = []
    for op, factor in (("insert", 10.0), ("upsert", 10.0), ("query", 5.0)):
        for client in OURS:
            rows.append(_cpu_target(summaries, op, factor, client))
    for op in ("serialize", "insert", "upsert", "query"):
        peers = [s.median("peak_rss_mb") for (o, c), s in summaries.items()
                 if o == op and c in PEERS and s.ok]
        lowest_peer = min((p for p in peers if p), default=None)
        for client in OURS:
            ours = summaries.get((op, client))
            label = f"{op}: {client} peak RSS lower than every peer"
            if ours is None or not ours.ok or lowest_peer is None:
                rows.append((label, "not measured / failed", _verdict(None)))
                continue
            mine = ours.median("peak_rss_mb") or 0.0
            rows.append((label, f"{mine:.0f} MB vs lowest peer {lowest_peer:.0f} MB",
                         _verdict(mine < lowest_peer)))
    for client in OURS:
        ours = summaries.get(("upsert", client))
        label = f"upsert: {client} peak RSS < 3x input frame ({input_frame_mb:.0f} MB)"
        if ours is None or not ours.ok:
            rows.append((label, "not measured / failed", _verdict(None)))
            continue
        peak = ours.median("peak_rss_mb") or 0.0
        growth = peak - (ours.median("rss_baseline_mb") or 0.0)
        rows.append((label, f"peak {peak:.0f} MB = {peak / input_frame_mb:.1f}x; above the "
                     f"process baseline after imports {growth:.0f} MB = "
                     f"{growth / input_frame_mb:.1f}x", _verdict(peak < 3 * input_frame_mb)))
    floor = summaries.get(("serialize", FLOOR))
    for client in OURS:
        ours = summaries.get(("serialize", client))
        label = f"serialize: {client} encoder within 1.5x of write_csv (wall)"
        if ours is None or floor is None or not ours.ok or not floor.ok:
            rows.append((label, "not measured / failed", _verdict(None)))
            continue
        ratio = (ours.median("wall_s") or 0.0) / (floor.median("wall_s") or 1.0)
        rows.append((label, f"{ratio:.2f}x", _verdict(ratio <= 1.5)))
    return rows
