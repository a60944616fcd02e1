"""One local[2] SparkSession and one loopback emulator server per test module.

Executors are separate Python workers that reach the emulator over HTTP, exactly like a
cluster reaching Salesforce; ``PYSPARK_PYTHON`` points them at this interpreter.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator

import pytest

pytest.importorskip("pyspark", minversion="4.0")

from pyspark.sql import SparkSession

from sfbulk_frames.emulator import Emulator
from sfbulk_frames.spark import SparkCredentials


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "spark: runs on a local PySpark session (Java needed)")


@pytest.fixture(scope="module")
def spark() -> Iterator[SparkSession]:
    os.environ["PYSPARK_PYTHON"] = sys.executable
    os.environ["PYSPARK_DRIVER_PYTHON"] = sys.executable
    session = (
        SparkSession.builder.master("local[2,2]")  # 2 cores; a failed task is tried twice
        .appName("sfbulk-tests")
        .config("spark.task.maxFailures", "2")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "2")
        .config("spark.driver.memory", "1g")
        .config("spark.sql.session.timeZone", "UTC")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


@pytest.fixture(scope="module")
def emulator() -> Iterator[Emulator]:
    with Emulator(seed=18) as emu:
        yield emu


@pytest.fixture(scope="module")
def server(emulator: Emulator) -> Iterator[object]:
    with emulator.serve(port=0) as served:
        yield served


@pytest.fixture(scope="module")
def credentials(server: object) -> SparkCredentials:
    return SparkCredentials(server.url, server.token)  # type: ignore[attr-defined]


@pytest.fixture
def work_dir(tmp_path: object) -> str:
    return str(tmp_path)
