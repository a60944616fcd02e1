"""Capture ``sfbulk upsert`` mid-run on a pseudo-terminal and render it to terminal-bar.png.

Run from the repository root: ``python docs/img/capture_terminal.py``. It serves an emulator
that holds each job 4 s, loads 40,000 contacts in 4 jobs (2 at a time) and keeps the frame
drawn while jobs were still running (needs Pillow).
"""

from __future__ import annotations

import fcntl
import os
import re
import select
import struct
import subprocess
import sys
import tempfile
import termios
from pathlib import Path

import polars as pl
from PIL import Image, ImageDraw, ImageFont

from sfbulk_frames.emulator import Emulator

COLUMNS = 132
FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf"
OUT = Path(__file__).with_name("terminal-bar.png")


def capture(url: str, token: str, csv: Path) -> str:
    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, COLUMNS, 0, 0))
    command = [
        sys.executable,
        "-m",
        "sfbulk_frames",
        "upsert",
        "Contact",
        str(csv),
        "--external-id",
        "ExternalId__c",
        "--max-records",
        "10000",
        "--concurrency",
        "2",
        "--instance-url",
        url,
        "--access-token",
        token,
    ]
    process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=slave, stderr=slave)
    os.close(slave)
    chunks = []
    while True:
        ready, _, _ = select.select([master], [], [], 1.0)
        if not ready:
            if process.poll() is not None:
                break
            continue
        try:
            data = os.read(master, 65536)
        except OSError:
            break
        if not data:
            break
        chunks.append(data)
    process.wait()
    return b"".join(chunks).decode("utf-8", "replace")


def render(lines: list[str]) -> None:
    font = ImageFont.truetype(FONT, 15)
    width = int(font.getlength("x") * COLUMNS) + 32
    height = 22 * len(lines) + 28
    image = Image.new("RGB", (width, height), (30, 30, 36))
    draw = ImageDraw.Draw(image)
    for row, line in enumerate(lines):
        colour = (130, 200, 130) if line.startswith("$") else (225, 225, 225)
        draw.text((16, 14 + 22 * row), line, font=font, fill=colour)
    image.save(OUT, optimize=True)


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        csv = Path(tmp) / "contacts.csv"
        n = 40_000
        pl.DataFrame(
            {
                "ExternalId__c": [f"C-{i}" for i in range(n)],
                "LastName": [None if i % 97 == 0 else f"Name {i}" for i in range(n)],
            }
        ).write_csv(csv)
        emulator = Emulator(processing="background", processing_delay=4.0)
        with emulator.serve(port=0) as server:
            text = capture(str(server.url), server.token, csv)
        emulator.close()
    frames = [f for f in re.split(r"[\r\n]+", text) if f.startswith("upsert Contact · ")]
    mixed = [
        f
        for f in frames
        if " processing " in f
        and "JobComplete" in f
        and ("UploadComplete" in f or "InProgress" in f)
    ]
    frame = (mixed or [f for f in frames if " processing " in f])[-1].rstrip()
    command = (
        "$ sfbulk upsert Contact contacts.csv --external-id ExternalId__c "
        "--max-records 10000 --concurrency 2"
    )
    render([command, frame])
    print(frame)


if __name__ == "__main__":
    main()
