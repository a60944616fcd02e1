"""Data source options, read case-insensitively (Spark users write ``externalIdField``, Spark
lower-cases keys in some code paths) and checked: an unknown option is an error, never dropped."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from sfbulk_frames import ConfigurationError

__all__ = ["READ_OPTIONS", "WRITE_OPTIONS", "Options"]

WRITE_OPTIONS = {
    "object": "the sObject API name, e.g. Contact",
    "operation": "insert, update, upsert, delete or hardDelete (default insert)",
    "externalidfield": "the external ID field of an upsert",
    "errorspath": "directory for the failed and unprocessed rows (parquet)",
    "workdir": "shared directory for job ledgers and the summary",
    "runid": "name of this write's directory under workDir (default: random)",
    "maxconcurrentjobs": "Bulk jobs in flight across the cluster (default 4)",
    "nulls": "skip or set_null",
    "columndelimiter": "COMMA, TAB, PIPE, SEMICOLON, CARET or BACKQUOTE",
    "lineending": "LF or CRLF",
    "maxbytes": "bytes per job",
    "maxrecords": "rows per job",
    "slicerows": "rows loaded per call inside a task (default 250000)",
    "assignmentruleid": "Case/Lead assignment rule",
    "timeout": "seconds a task waits for its jobs",
}
READ_OPTIONS = {
    "query": "the SOQL query",
    "includedeleted": "true: queryAll (deleted and archived records too)",
    "pagesize": "rows per result page (one Spark partition each)",
    "workdir": "shared directory for the query's result snapshot",
}
_OPERATIONS = {op.lower(): op for op in ("insert", "update", "upsert", "delete", "hardDelete")}


@dataclass(frozen=True)
class Options:
    """Options with lower-cased names; ``get``/``require`` take any spelling."""

    values: Mapping[str, str]
    kind: str  # "write" or "read"

    @classmethod
    def parse(cls, raw: Mapping[str, str], kind: str) -> Options:
        known = WRITE_OPTIONS if kind == "write" else READ_OPTIONS
        values = {str(k).lower(): str(v) for k, v in raw.items()}
        unknown = sorted(k for k in values if k not in known and k != "path")
        if unknown:
            names = ", ".join(sorted(known))
            raise ConfigurationError(
                f"unknown sfbulk {kind} option(s) {unknown}; the options are: {names}"
            )
        return cls(values, kind)

    def get(self, name: str, default: str | None = None) -> str | None:
        return self.values.get(name.lower(), default)

    def require(self, name: str) -> str:
        value = self.get(name)
        if not value:
            raise ConfigurationError(
                f'the sfbulk {self.kind} needs .option("{name}", ...): '
                f"{(WRITE_OPTIONS if self.kind == 'write' else READ_OPTIONS)[name.lower()]}"
            )
        return value

    def integer(self, name: str, default: int | None) -> int | None:
        value = self.get(name)
        if value is None or value == "":
            return default
        try:
            return int(value)
        except ValueError:
            raise ConfigurationError(
                f'option "{name}" must be a whole number, got {value!r}'
            ) from None

    def number(self, name: str) -> float | None:
        value = self.get(name)
        try:
            return None if value is None or value == "" else float(value)
        except ValueError:
            raise ConfigurationError(f'option "{name}" must be a number, got {value!r}') from None

    def boolean(self, name: str) -> bool:
        value = (self.get(name) or "false").lower()
        if value not in ("true", "false"):
            raise ConfigurationError(f'option "{name}" must be true or false, got {value!r}')
        return value == "true"

    def operation(self) -> str:
        value = (self.get("operation") or "insert").lower()
        if value not in _OPERATIONS:
            raise ConfigurationError(
                f"operation {value!r} is not one of {sorted(_OPERATIONS.values())}"
            )
        return _OPERATIONS[value]
