"""Importing the package is cheap, and ``df.sfbulk`` is there whatever the import order.

Each case runs in a fresh interpreter: ``sys.modules`` of the test process already holds
everything.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest


def run(code: str) -> str:
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def loaded(code: str, *modules: str) -> dict[str, bool]:
    out = run(code + f"\nimport sys\nprint([m in sys.modules for m in {list(modules)!r}])")
    return dict(zip(modules, eval(out), strict=True))


def test_importing_the_package_imports_no_dataframe_library_and_no_client():
    assert loaded("import sfbulk_frames", "pandas", "polars", "httpx", "sfbulk_frames.client") == {
        "pandas": False,
        "polars": False,
        "httpx": False,
        "sfbulk_frames.client": False,
    }


def test_importing_the_emulator_imports_neither_pandas_polars_nor_the_client():
    assert loaded("import sfbulk_frames.emulator", "pandas", "polars", "sfbulk_frames.client") == {
        "pandas": False,
        "polars": False,
        "sfbulk_frames.client": False,
    }


def test_public_names_load_on_first_use():
    out = run("""
        import sys
        import sfbulk_frames
        before = "sfbulk_frames.client.clients" in sys.modules
        sfbulk_frames.Client
        print(before, "sfbulk_frames.client.clients" in sys.modules)
    """)
    assert out == "False True"


ORDERS = {
    "package first": "import sfbulk_frames\nimport pandas as pd\nimport polars as pl\n",
    "libraries first": "import pandas as pd\nimport polars as pl\nimport sfbulk_frames\n",
    "mixed": "import polars as pl\nimport sfbulk_frames\nimport pandas as pd\n",
}


@pytest.mark.parametrize("imports", ORDERS.values(), ids=ORDERS.keys())
def test_the_accessor_is_registered_on_every_frame_type_in_any_import_order(imports):
    out = run(
        imports
        + textwrap.dedent("""
        from sfbulk_frames import SfBulkAccessor
        frames = [pd.DataFrame({"a": [1]}), pl.DataFrame({"a": [1]}), pl.LazyFrame({"a": [1]})]
        print([isinstance(f.sfbulk, SfBulkAccessor) for f in frames])
    """)
    )
    assert out == "[True, True, True]"


def test_a_library_probed_before_its_import_still_gets_the_accessor():
    # polars asks importlib whether pandas is installed without importing it; the hook must
    # wait for the real import.
    out = run("""
        import importlib.util
        import sfbulk_frames
        assert importlib.util.find_spec("pandas") is not None
        import pandas as pd
        print(hasattr(pd.DataFrame({"a": [1]}), "sfbulk"))
    """)
    assert out == "True"


def test_the_hook_leaves_the_import_system_as_it_found_it_once_both_are_loaded():
    out = run("""
        import sys
        import sfbulk_frames
        import pandas, polars
        hooks = [f for f in sys.meta_path if type(f).__module__.startswith("sfbulk")]
        print(type(pandas.__loader__).__name__, hooks)
    """)
    assert out == "SourceFileLoader []"
