"""Loading the code location stays fast: the scores domain imports its heavy libraries only when it runs."""

import subprocess
import sys

HEAVY = (
    "sklearn",
    "scipy",
    "lifelines",
    "matplotlib",
    "joblib",
    "pandas",
    "threadpoolctl",
    "polars",
    "numpy",
)


def test_importing_the_domain_imports_no_heavy_library():
    code = (
        "import sys; import platform_assets.scores.churn, platform_assets.scores.life_moments, "
        "platform_assets.scores.appetence, "
        "platform_assets.scores.segments; "
        f"print(','.join(m for m in {HEAVY!r} if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
