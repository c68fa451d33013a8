"""Loading the code location (every UI reload, every CLI call) imports no model or plotting library:
they load inside the functions that use them. The time itself is measured by `make bench`
(benchmarks/load_time.py), not here."""

import subprocess
import sys

from platform_assets.lib.settings import REPO_ROOT

HEAVY = (
    "sklearn",
    "scipy",
    "lifelines",
    "matplotlib",
    "splink",
    "great_expectations",
    "joblib",
    "pandas",
    "polars",
    "numpy",
)


def test_loading_the_definitions_imports_no_heavy_library():
    code = (
        f"import sys, platform_assets.definitions; print(','.join(m for m in {HEAVY!r} if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO_ROOT, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == ""
