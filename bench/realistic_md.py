"""The "Realistic Salesforce" section of bench/RESULTS.md, from one ``bench.realistic`` run.

The section sits between ``<!-- realistic -->`` and ``<!-- /realistic -->``; a re-run
replaces it but keeps the hand-written analysis between ``<!-- realistic-analysis -->`` and
``<!-- /realistic-analysis -->``.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

from sfbulk_frames.emulator.models.performance import PRESETS

START, END = "<!-- realistic -->", "<!-- /realistic -->"
A_START, A_END = "<!-- realistic-analysis -->", "<!-- /realistic-analysis -->"
OURS = ("sfbulk_frames (polars)", "sfbulk_frames (pandas)")


def _ratio(value: float | None, best: float | None) -> str:
    if not value or not best:
        return "–"
    return f"{value / best:.2f}x"


def _table(runs: list[dict[str, Any]]) -> list[str]:
    peers = [r for r in runs if r.get("peer") and r.get("ok")]
    best_wall = min((r["wall_s"] for r in peers), default=None)
    best_cpu = min((r["cpu_s"] for r in peers), default=None)
    best_rss = min((r["peak_rss_mb"] for r in peers), default=None)
    lines = [
        "| client | status | wall s | bound s | wall / bound | batch bound s | wall / batch bound "
        "| wall vs best peer | CPU s | CPU vs best peer | peak RSS MB | RSS vs best peer | jobs |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for r in runs:
        status = "ok" if r.get("ok") and not r.get("problems") else "**FAILED**"
        wall = r.get("wall_s")
        notes = ", ".join(r.get("notes") or [])
        lines.append(
            f"| {r['client']} | {status} | {wall or 0:.2f} | {r['bound_s']:.2f} | "
            f"{_ratio(wall, r['bound_s'])} | {r['batch_bound_s']:.2f} | "
            f"{_ratio(wall, r['batch_bound_s'])} | {_ratio(wall, best_wall)} | "
            f"{r.get('cpu_s') or 0:.2f} | {_ratio(r.get('cpu_s'), best_cpu)} | "
            f"{r.get('peak_rss_mb') or 0:.0f} | {_ratio(r.get('peak_rss_mb'), best_rss)} | "
            f"{notes} |"
        )
    return lines


def _targets(runs: list[dict[str, Any]], presets: list[str]) -> list[str]:
    lines = ["| preset | operation | target | measured | verdict |", "|---|---|---|---|---|"]
    for preset in presets:
        for op in ("insert", "upsert", "query"):
            here = [r for r in runs if r["preset"] == preset and r["op"] == op and r.get("ok")]
            peers = [r for r in here if r.get("peer")]
            for ours in (r for r in here if r["client"] in OURS):
                ratio = ours["wall_s"] / ours["bound_s"]
                lines.append(
                    f"| {preset} | {op} | {ours['client']} within 1.2x of the bound "
                    f"| {ratio:.2f}x | {'met' if ratio <= 1.2 else '**not met**'} |"
                )
                if preset == "busy" and peers:
                    best = min(peers, key=lambda r: r["wall_s"])
                    speed = best["wall_s"] / ours["wall_s"]
                    lines.append(
                        f"| {preset} | {op} | {ours['client']} ≥2x faster than the best peer "
                        f"| {speed:.2f}x ({best['client']} {best['wall_s']:.1f} s) "
                        f"| {'met' if speed >= 2 else '**not met**'} |"
                    )
    return lines


def render_section(
    *,
    command: str,
    rows: int,
    csv_bytes: int,
    per_job: int,
    scales: dict[str, float],
    runs: list[dict[str, Any]],
    locks: list[dict[str, Any]],
    encoder: dict[str, float],
    total_s: float,
    soql: str,
    finished: dt.datetime | None = None,
) -> str:
    """The section's markdown; ``finished`` is when the run ended (default: now)."""
    now = (finished or dt.datetime.now(dt.UTC)).strftime("%Y-%m-%d %H:%M UTC")
    out = [
        START,
        "## Realistic Salesforce (the emulator's performance model)",
        "",
        f"Run {now}, {total_s / 60:.1f} minutes: **{rows:,} rows** ({csv_bytes / 1e6:.1f} MB "
        f"as CSV), every client in its own process against one "
        "`sfbulk emulator --tls --performance <preset> --time-scale <s>` server per preset. "
        "Reproduce from the repository root with",
        "",
        "```",
        command.strip(),
        "```",
        "",
        "Presets (assumed values, docs/performance-model.md), with the time scale of this run:",
        "",
        "| preset | time scale | round trip | upload | download | s per 10k batch "
        "| batches per job | batches in the org | queue | capacity |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, scale in scales.items():
        m = PRESETS[name].scaled(scale)
        out.append(
            f"| {name} | {scale} | {m.request_seconds * 1000:.0f} ms | "
            f"{m.upload_bandwidth / m.time_scale / 1e6:.1f} MB/s | "
            f"{m.download_bandwidth / m.time_scale / 1e6:.1f} MB/s | "
            f"{m.batch_duration(m.batch_records):.1f} | {m.parallel_batches_per_job} | "
            f"{m.parallel_batches_org} | {m.queue_delay * m.time_scale:.1f} s | "
            f"{m.records_per_second:,.0f} rec/s |"
        )
    out += [
        "",
        f"sfbulk_frames sizes jobs by itself ({per_job:,} records per job here, 4 at a "
        "time); the peers' *defaults* rows use no settings (simple-salesforce: one job up "
        "to its size limit, `wait=5`; aiosalesforce: one job, `polling_interval=5`), their "
        f"*tuned* rows use jobs of {per_job:,} records, 4 at a time where the library "
        "allows it (simple-salesforce's `upsert` has no `concurrency`; aiosalesforce runs "
        "all its jobs at once) and 0.5 s polling. **bound** is the preset's lower bound: "
        "for ingest, queue wait + max(upload bytes / bandwidth, records / capacity) + the "
        "round trips that cannot overlap (7); for a query, queue wait + materialisation + "
        "download bytes / bandwidth + 3 round trips (its result pages exist only once the job "
        "is complete, so the two add up); **batch bound** counts whole waves of "
        "10,000-record internal batches over the org's slots instead of records / capacity.",
        "",
    ]
    for name in scales:
        for op, title in (
            ("insert", "Insert"),
            ("upsert", "Upsert (half update, half insert)"),
            ("query", f"Query (`{soql[:40]}…`)"),
        ):
            here = [r for r in runs if r["preset"] == name and r["op"] == op]
            if here:
                out += [f"### {name}: {title}", "", *_table(here), ""]
    out += ["### Targets", "", *_targets(runs, list(scales)), ""]
    if locks:
        out += [
            "### Lock contention: Contacts of shared Accounts",
            "",
            f"{locks[0]['rows']:,} Contacts spread over shared Accounts (by "
            "`Account.ExternalId__c`), inserted by sfbulk_frames (polars).",
            "",
            "| preset | group_by_parent | wall s | failed rows | of which UNABLE_TO_LOCK_ROW "
            "| jobs |",
            "|---|---|---:|---:|---:|---:|",
        ]
        for lock in locks:
            out.append(
                f"| {lock['preset']} | {'auto (on)' if lock['grouped'] else 'False'} | "
                f"{lock['wall_s']:.2f} | {lock['failed']:,} | {lock['lock_failures']:,} "
                f"| {lock['jobs']} |"
            )
        out.append("")
    if "ours_polars" in encoder and "floor" in encoder:
        out += [
            f"Encoder vs `polars.write_csv` on the same {rows:,} rows: "
            f"{encoder['ours_polars'] / encoder['floor']:.2f}x "
            f"({encoder['ours_polars']:.2f} s vs {encoder['floor']:.2f} s wall).",
            "",
        ]
    out += [A_START, "*(analysis: written by hand after the run)*", A_END, END]
    return "\n".join(out)


def write_section(path: Path, section: str) -> None:
    """Put ``section`` into ``path``, replacing an earlier one and keeping its analysis."""
    text = path.read_text() if path.exists() else ""
    old = re.search(re.escape(START) + r".*?" + re.escape(END), text, re.S)
    if old:
        analysis = re.search(re.escape(A_START) + r".*?" + re.escape(A_END), old.group(0), re.S)
        if analysis:
            section = re.sub(
                re.escape(A_START) + r".*?" + re.escape(A_END),
                lambda _: analysis.group(0),
                section,
                flags=re.S,
            )
        text = text[: old.start()] + section + text[old.end() :]
    else:
        marker = text.find("\n## Method")
        text = (
            text[:marker] + "\n" + section + "\n" + text[marker:]
            if marker >= 0
            else text + "\n" + section + "\n"
        )
    path.write_text(text)
