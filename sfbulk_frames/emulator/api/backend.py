"""What the API modules need from the emulated org: a typed view of
:class:`~sfbulk_frames.emulator.service.Emulator`, so they depend on models, not on it."""

from __future__ import annotations

from typing import Any, Protocol

from sfbulk_frames.emulator.models.auth import AuthService
from sfbulk_frames.emulator.models.faults import FaultPlan
from sfbulk_frames.emulator.models.jobs import Job, JobStore
from sfbulk_frames.emulator.models.org import Org
from sfbulk_frames.emulator.soql.cursors import QueryCursors


class ApiBackend(Protocol):
    """The org, its jobs and counters, and the job scheduler (caller holds the org lock)."""

    org: Org
    store: JobStore
    faults: FaultPlan
    auth: AuthService
    cursors: QueryCursors
    list_page_size: int
    default_page_size: int
    usage_api: int
    usage_batches: int
    usage_query_jobs: int

    def api_max(self) -> int:
        """The daily API request limit in force (the configured one or a fault's lower one)."""
        ...

    def schedule(self, job: Job) -> None:
        """Start processing a closed ingest job or a new query job."""
        ...

    def shape_view(self, job: Job, view: dict[str, Any]) -> dict[str, Any]:
        """A job's info view as the performance model shows it now."""
        ...

    def record_put(self, job_id: str, size: int, status: int) -> None:
        """Remember one data upload and the status it got."""
        ...

    def jobs_seen(self) -> dict[str, int]:
        """Accepted data uploads per job id."""
        ...

    def expire_tokens(self) -> None:
        """Expire every access token."""
        ...

    def reset(self) -> None:
        """Delete every record and job; clear faults, counters and upload records."""
        ...
