"""REST resources a Bulk client uses besides jobs (protocol §8): versions, the per-version
resource map, limits, sobject list and describe."""

from __future__ import annotations

from sfbulk_frames.emulator.api.backend import ApiBackend
from sfbulk_frames.emulator.api.responses import json_response, wants_pretty
from sfbulk_frames.emulator.models.errors import ApiError
from sfbulk_frames.emulator.models.identity import identity_url
from sfbulk_frames.emulator.wire import Call, Request, Response

OLDEST_VERSION = 31
NEWEST_VERSION = 66
_SEASONS = ("Spring", "Summer", "Winter")


def _label(major: int) -> str:
    # 60.0 = Spring '24; three releases a year; Winter is named after the following year.
    index = major - 60
    season = _SEASONS[index % 3]
    year = 24 + index // 3 + (1 if season == "Winter" else 0)
    return f"{season} '{year % 100:02d}"


def supported_versions() -> list[str]:
    return [f"{v}.0" for v in range(OLDEST_VERSION, NEWEST_VERSION + 1)]


def versions(req: Request) -> Response:
    """``GET /services/data/`` (no auth): every version, oldest first."""
    body = [
        {"label": _label(int(float(v))), "url": f"/services/data/v{v}", "version": v}
        for v in supported_versions()
    ]
    return json_response(body, pretty=wants_pretty(req))


def resources(org: ApiBackend, call: Call) -> Response:
    """``GET /services/data/vXX.X``: the resource map of one version (``identity`` is the
    identity URL of the token's user)."""
    base = f"/services/data/v{call.version}"
    names = ("jobs", "limits", "sobjects", "query", "queryAll")
    body = {n: f"{base}/{n}" for n in names}
    account = org.auth.session_account(call.request.headers.get("authorization"))
    if account is not None:
        body["identity"] = identity_url(call.request.base_url, org.org.org_id, account.user_id)
    return json_response(dict(sorted(body.items())), pretty=wants_pretty(call.request))


def limits(org: ApiBackend, call: Call) -> Response:
    """``GET /limits``: the daily API, batch and query job usage of this org."""
    api_max = org.api_max()
    batches = 15000
    body = {
        "DailyApiRequests": {"Max": api_max, "Remaining": max(0, api_max - org.usage_api)},
        "DailyAsyncApexExecutions": {"Max": 250000, "Remaining": 250000},
        "DailyBulkApiBatches": {"Max": batches, "Remaining": max(0, batches - org.usage_batches)},
        "DailyBulkV2QueryFileStorageMB": {"Max": 976562, "Remaining": 976562},
        "DailyBulkV2QueryJobs": {"Max": 10000, "Remaining": max(0, 10000 - org.usage_query_jobs)},
        "DataStorageMB": {"Max": 1024, "Remaining": 1024},
        "FileStorageMB": {"Max": 1024, "Remaining": 1024},
        "SingleEmail": {"Max": 15, "Remaining": 15},
    }
    return json_response(body, pretty=wants_pretty(call.request))


def sobjects(org: ApiBackend, call: Call) -> Response:
    """``GET /sobjects``: every object of the schema, standard objects of the catalogue
    included (listing them loads them)."""
    version = call.version
    loaded = (org.org.schema.get(name) for name in org.org.schema.names())
    rows = [
        {
            "name": o.name,
            "label": o.label or o.name,
            "labelPlural": o.label_plural or (o.label or o.name) + "s",
            "keyPrefix": o.key_prefix,
            "custom": o.custom,
            "createable": True,
            "updateable": True,
            "deletable": True,
            "queryable": True,
            "urls": {
                "sobject": f"/services/data/v{version}/sobjects/{o.name}",
                "describe": f"/services/data/v{version}/sobjects/{o.name}/describe",
                "rowTemplate": f"/services/data/v{version}/sobjects/{o.name}/{{ID}}",
            },
        }
        for o in loaded
        if o is not None
    ]
    body = {"encoding": "UTF-8", "maxBatchSize": 200, "sobjects": rows}
    return json_response(body, pretty=wants_pretty(call.request))


def describe(org: ApiBackend, call: Call) -> Response:
    """``GET /sobjects/{name}/describe``."""
    object_name, version = call.object_name, call.version
    obj = org.org.schema.get(object_name)
    if obj is None:
        raise ApiError(
            404,
            "NOT_FOUND",
            f"The requested resource does not exist: no sObject named {object_name}",
        )
    body = obj.describe()
    body["urls"] = {"describe": f"/services/data/v{version}/sobjects/{obj.name}/describe"}
    return json_response(body, pretty=wants_pretty(call.request))
