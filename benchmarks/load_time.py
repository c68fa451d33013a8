"""How long loading the code location takes, against a bare `import dagster, dagster_dbt`.

    uv run python benchmarks/load_time.py [--repeat 3]

Every UI reload and CLI call loads `platform_assets.definitions`; the target is at most 1.5x the bare
import of the two libraries it cannot do without, measured in the same run (fresh interpreters, the
median of ``repeat`` each, alternating so that a busy machine slows both alike).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
TARGET_RATIO = 1.5
BARE = "import dagster, dagster_dbt"
LOCATION = "import platform_assets.definitions"


def _seconds(statement: str) -> float:
    code = f"import time; t = time.perf_counter(); {statement}; print(time.perf_counter() - t)"
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True)
    return float(out.stdout.strip().splitlines()[-1])


def measure(repeat: int = 3) -> dict:
    bare, location = [], []
    for _ in range(repeat):
        bare.append(_seconds(BARE))
        location.append(_seconds(LOCATION))
    bare_s, location_s = statistics.median(bare), statistics.median(location)
    ratio = location_s / bare_s
    return {
        "bare_import_seconds": round(bare_s, 2),
        "code_location_seconds": round(location_s, 2),
        "ratio": round(ratio, 2),
        "target_ratio": TARGET_RATIO,
        "met": ratio <= TARGET_RATIO,
        "repeat": repeat,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    result = measure(parser.parse_args().repeat)
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
