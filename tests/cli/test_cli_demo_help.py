"""``sfbulk demo`` at a small scale, and ``--help`` on every command."""

from __future__ import annotations

import ast
import re
import signal

import pytest

from sfbulk_frames.cli import main

from .harness import popen_sfbulk, sfbulk


def test_demo_at_a_small_scale_loads_fixes_retries_and_queries() -> None:
    done = sfbulk("demo", "--accounts", "300", "--contacts", "1200", "--no-progress")

    assert done.returncode == 0, done.stderr
    out = done.stdout
    for step in range(1, 7):
        assert f"[{step}/6]" in out
    assert "Upserting 300 Accounts from a pandas DataFrame" in out
    assert "Upserting 1,200 Contacts from a polars DataFrame" in out
    snippet = re.search(r"res = contacts\.sfbulk\.upsert\(.*\)", out)
    assert snippet is not None
    assert "max_records=10_000" in snippet.group(0)
    ast.parse(snippet.group(0))  # the line the demo prints is valid Python
    for code in ("REQUIRED_FIELD_MISSING", "STRING_TOO_LONG",
                 "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST", "INVALID_FIELD"):
        assert code in out
    assert out.count("res.error_counts()  # rows per error code and field") == 2
    assert re.search(r"REQUIRED_FIELD_MISSING\s+Name\n", out)  # by code and field
    assert re.search(r"STRING_TOO_LONG\s+Title\n", out)
    assert out.count("res = res.retry(to_fix)") == 2
    retries = re.findall(r"retry: ([\d,]+) successful, ([\d,]+) failed", out)
    assert [failed for _, failed in retries] == ["0", "0"]
    finals = re.findall(r"final: ([\d,]+) rows = ([\d,]+) successful \+ ([\d,]+) failed \+ "
                        r"([\d,]+) unprocessed \(2 attempts, .*ok=True\)", out)
    assert finals == [("300", "300", "0", "0"), ("1,200", "1,200", "0", "0")]
    assert "all 1,200 generated contacts are in the org" in out
    assert "Birthdate              Date" in out
    assert re.search(r"Done in \d+\.\d s", out)


COMMANDS = [
    [], ["insert"], ["update"], ["upsert"], ["delete"], ["query"], ["describe"], ["emulator"],
    ["demo"], ["jobs"], ["jobs", "list"], ["jobs", "show"], ["jobs", "abort"],
    ["jobs", "delete"], ["jobs", "results"], ["jobs", "resume"], ["retry"],
]


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c) or "sfbulk")
def test_every_command_has_help_with_examples(
    command: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([*command, "--help"]) == 0
    out = capsys.readouterr().out
    assert "examples:" in out
    assert "sfbulk" in out


def test_a_usage_error_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["upsert", "Contact", "x.csv"]) == 2
    assert "--external-id" in capsys.readouterr().err


def test_demo_serve_keeps_the_emulator_running_with_the_demos_data() -> None:
    process = popen_sfbulk("demo", "--accounts", "50", "--contacts", "200", "--no-progress",
                           "--serve", "--port", "0")
    assert process.stdout is not None
    try:
        banner = ""
        for line in process.stdout:
            banner += line
            if "client=client" in line:
                break
        url = re.search(r"Instance URL : (\S+)", banner)
        token = re.search(r"Access token : (\S+)", banner)
        assert url is not None, banner
        assert token is not None, banner

        counted = sfbulk("query", "SELECT Id FROM Contact", "--instance-url", url.group(1),
                         "--access-token", token.group(1))
    finally:
        process.send_signal(signal.SIGINT)
        process.communicate(timeout=30)

    assert counted.returncode == 0, counted.stderr
    assert len(counted.stdout.splitlines()) == 1 + 200
    assert process.returncode == 0
