"""How executors reach Salesforce: an instance URL and an access token, never a client.

A :class:`~sfbulk_frames.Client` holds a lock and an HTTP connection pool, so it cannot be
pickled into a Spark task; executors build their own client (one per Python worker) from these
values. The token is never part of a ``repr``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field

from sfbulk_frames import Client, ConfigurationError

__all__ = ["SparkCredentials"]


@dataclass(frozen=True)
class SparkCredentials:
    """Instance URL + access token for the executors (``repr`` hides the token).

    ``SparkCredentials(url, token)`` uses a token you already have;
    :meth:`from_env` reads ``SF_INSTANCE_URL`` and ``SF_ACCESS_TOKEN`` on the driver;
    :meth:`executor_env` makes every executor call ``Client.from_env()`` on its own environment
    (set through ``spark.executorEnv.SF_*``), so no secret travels with the tasks.
    """

    instance_url: str | None
    access_token: str | None = field(default=None, repr=False)
    api_version: str | None = None
    verify: bool | str = True
    from_executor_env: bool = False

    def __post_init__(self) -> None:
        if self.from_executor_env:
            return
        if not self.instance_url or not self.access_token:
            raise ConfigurationError(
                "SparkCredentials needs instance_url and access_token (or use "
                "SparkCredentials.from_env() / SparkCredentials.executor_env())"
            )

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> SparkCredentials:
        """``SF_INSTANCE_URL`` + ``SF_ACCESS_TOKEN`` of the driver's environment."""
        env = os.environ if env is None else env
        url, token = env.get("SF_INSTANCE_URL"), env.get("SF_ACCESS_TOKEN")
        if not url or not token:
            raise ConfigurationError(
                "no Salesforce credentials for the executors: pass credentials="
                "SparkCredentials(instance_url, access_token), set SF_INSTANCE_URL and "
                "SF_ACCESS_TOKEN on the driver, or use SparkCredentials.executor_env() with "
                "spark.executorEnv.SF_* settings"
            )
        return cls(url, token, api_version=env.get("SF_API_VERSION") or None)

    @classmethod
    def executor_env(cls) -> SparkCredentials:
        """Each executor logs in with ``Client.from_env()`` (``spark.executorEnv.SF_*``)."""
        return cls(None, None, from_executor_env=True)

    def key(self) -> tuple[object, ...]:
        """Identity of the client these credentials build (the token itself is part of it)."""
        return (
            self.instance_url,
            self.access_token,
            self.api_version,
            self.verify,
            self.from_executor_env,
        )

    def build_client(self, client_class: type[Client] = Client) -> Client:
        """A new client of ``client_class`` for these credentials."""
        if self.from_executor_env:
            return client_class.from_env()
        assert self.instance_url is not None  # checked in __post_init__
        if self.api_version is None:
            return client_class(self.instance_url, self.access_token, verify=self.verify)
        return client_class(
            self.instance_url,
            self.access_token,
            api_version=self.api_version,
            verify=self.verify,
        )
