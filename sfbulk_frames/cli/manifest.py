"""The manifest a load writes next to its result files, so that ``sfbulk retry`` can re-send
the rows that did not succeed with the same object, operation, key and options.

``contacts.sfbulk.json`` holds the object, the operation, the external ID field, the input file
(path, format, how it was read, its row count), the send options and the result files. It
never holds a credential: ``sfbulk retry`` takes the connection options again.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from sfbulk_frames._exceptions import ConfigurationError
from sfbulk_frames.cli.files import FileFormat

__all__ = ["MANIFEST_SUFFIX", "SEND_OPTIONS", "Manifest", "find_manifest", "manifest_path"]

MANIFEST_SUFFIX = ".sfbulk.json"
VERSION = 1
SEND_OPTIONS = (
    "nulls",
    "delimiter",
    "line_ending",
    "max_bytes",
    "max_records",
    "concurrency",
    "assignment_rule_id",
    "delete_jobs",
    "preflight",
)
"""The argparse destinations of the options that say how rows are sent (see load.py)."""


@dataclass
class Manifest:
    """What ``sfbulk retry`` needs to know about a load (no secret)."""

    object: str
    operation: str
    external_id: str | None
    input_path: str
    input_format: FileFormat
    separator: str
    infer_types: bool
    input_rows: int
    output_format: FileFormat
    results: dict[str, str]
    options: dict[str, Any] = field(default_factory=dict)
    jobs: list[str] = field(default_factory=list)
    attempts: int = 1
    version: int = VERSION

    @classmethod
    def from_args(
        cls,
        args: argparse.Namespace,
        result: Any,
        input_format: FileFormat,
        output_format: FileFormat,
        paths: dict[str, Path],
    ) -> Manifest:
        resend = getattr(result, "resend", None)
        return cls(
            object=result.object,
            operation=result.operation,
            external_id=resend.key if resend is not None and result.operation == "upsert" else None,
            input_path=str(Path(args.file).resolve()),
            input_format=input_format,
            separator=args.separator,
            infer_types=bool(args.infer_types),
            input_rows=sum(result.counts()[p] for p in ("successful", "failed", "unprocessed")),
            output_format=output_format,
            results={part: path.name for part, path in paths.items()},
            options={name: getattr(args, name) for name in SEND_OPTIONS if hasattr(args, name)},
            jobs=[job.id for job in result.jobs],
            attempts=len(getattr(result, "attempts", [result])),
        )

    def write(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(asdict(self), indent=2) + "\n", encoding="utf-8")

    @classmethod
    def read(cls, path: Path) -> Manifest:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            if data.get("version") != VERSION:
                raise ValueError(f"version {data.get('version')!r}, expected {VERSION}")
            return cls(**data)
        except (OSError, ValueError, TypeError) as exc:
            raise ConfigurationError(
                f"{path} is not a result manifest written by sfbulk ({exc}); run the load again "
                "with this version of sfbulk"
            ) from None


def manifest_path(paths: dict[str, Path]) -> Path:
    """``results/contacts.successful.csv`` -> ``results/contacts.sfbulk.json``."""
    successful = paths["successful"]
    stem = successful.name.split(".successful")[0]
    return successful.parent / f"{stem}{MANIFEST_SUFFIX}"


def find_manifest(path: Path) -> Path:
    """The manifest of a result directory (or the manifest file itself).

    Raises ConfigurationError when there is none, or several and the directory does not say
    which one.
    """
    if path.is_file():
        return path
    if not path.is_dir():
        raise ConfigurationError(f"{path}: no such directory; give the --output-dir of the load")
    found = sorted(path.glob(f"*{MANIFEST_SUFFIX}"))
    if not found:
        raise ConfigurationError(
            f"{path} holds no {MANIFEST_SUFFIX} manifest: give the directory where "
            "sfbulk insert/update/upsert/delete wrote its result files"
        )
    if len(found) > 1:
        names = ", ".join(p.name for p in found)
        raise ConfigurationError(
            f"{path} holds the results of several loads ({names}); pass the manifest of the one "
            f"to retry, e.g. sfbulk retry {found[0]}"
        )
    return found[0]
