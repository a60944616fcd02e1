"""Render a notebook result (progress widget + the BulkResult's HTML) to notebook-result.png in
real headless Chromium.

Needs an environment with this package, nbclient, nbconvert and ipywidgets (``pip install -e
".[notebook]" nbconvert``), the ``chromium`` binary, and the widget renderer from npm, unpacked
(``npm pack @jupyter-widgets/html-manager@1 requirejs@2`` then ``tar xzf`` each)::

    python docs/img/capture_notebook.py HTML_MANAGER_DIR REQUIREJS_DIR

The notebook is executed with its widget state stored, converted to HTML by nbconvert, and the
CDN addresses of require.js and the widget renderer are pointed at the unpacked npm packages so
that the page renders offline.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbformat.v4 import new_code_cell, new_notebook

OUT = Path(__file__).with_name("notebook-result.png")
SETUP = """import pandas as pd
import sfbulk_frames as sfb
from sfbulk_frames.emulator import Emulator

emu = Emulator(processing="background", processing_delay=1.5)   # jobs take a while, like a real org
sfb.set_default_client(emu.client())
n = 20_000
contacts = pd.DataFrame({
    "ExternalId__c": [f"C-{i}" for i in range(n)],
    "LastName": [None if i % 250 == 7 else f"Name {i}" for i in range(n)],
    "Title": ["Head of " + "very " * 40 + "long titles" if i % 400 == 3 else "Engineer"
              for i in range(n)],
})"""
LOAD = 'res = contacts.sfbulk.upsert("Contact", "ExternalId__c", max_records=5_000)'
CDN = {
    "https://unpkg.com/@jupyter-widgets/html-manager@*/dist/embed-amd.js": "dist/embed-amd.js",
    "https://cdnjs.cloudflare.com/ajax/libs/require.js/2.1.10/require.min.js": "require.js",
}


def main(html_manager: Path, requirejs: Path) -> None:
    nb = new_notebook(
        cells=[
            new_code_cell(SETUP),
            new_code_cell(LOAD),
            new_code_cell("res"),
        ]
    )
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    NotebookClient(nb, timeout=300, kernel_name="python3", store_widget_state=True).execute()
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "result.ipynb"
        nbformat.write(nb, source)
        subprocess.run(
            [sys.executable, "-m", "nbconvert", "--to", "html", str(source)],
            check=True,
            capture_output=True,
        )
        page = source.with_suffix(".html").read_text(encoding="utf-8")
        roots = {"dist/embed-amd.js": html_manager, "require.js": requirejs}
        for url, local in CDN.items():
            page = page.replace(url, (roots[local] / local).resolve().as_uri())
        html = Path(tmp) / "local.html"
        html.write_text(page, encoding="utf-8")
        subprocess.run(
            [
                "chromium",
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--allow-file-access-from-files",
                "--hide-scrollbars",
                "--window-size=1100,990",
                "--virtual-time-budget=8000",
                f"--screenshot={OUT}",
                html.as_uri(),
            ],
            check=True,
            capture_output=True,
        )
    print(OUT, OUT.stat().st_size, "bytes")


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]))
