"""The typed error of the emulator's models: every Salesforce rule that refuses a request raises
:class:`ApiError`, which carries the HTTP status, Salesforce's ``errorCode`` and the message
(the HTTP layer renders it as ``[{"errorCode": …, "message": …}]``)."""

from __future__ import annotations

from datetime import UTC, datetime

NOT_FOUND_MESSAGE = "The requested resource does not exist"


class ApiError(Exception):
    """An error answer: ``status`` + Salesforce ``error_code`` + ``message`` (+ extra headers)."""

    def __init__(
        self,
        status: int,
        error_code: str,
        message: str,
        headers: list[tuple[str, str]] | None = None,
    ) -> None:
        super().__init__(f"{status} {error_code}: {message}")
        self.status = status
        self.error_code = error_code
        self.message = message
        self.headers = headers or []


class RecordError(ApiError):
    """A refused record operation of the REST ``sobjects`` resource: its error also names the
    ``fields`` (``[{"message": …, "errorCode": …, "fields": [...]}]`` on the wire)."""

    def __init__(self, status: int, error_code: str, message: str, fields: list[str]) -> None:
        super().__init__(status, error_code, message)
        self.fields = fields


def not_found() -> ApiError:
    return ApiError(404, "NOT_FOUND", NOT_FOUND_MESSAGE)


def sf_timestamp(moment: datetime | None = None) -> str:
    """``yyyy-MM-ddTHH:mm:ss.SSS+0000`` (UTC) as Salesforce writes JSON timestamps."""
    moment = (moment or datetime.now(UTC)).astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}+0000"
