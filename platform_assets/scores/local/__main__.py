"""``python -m platform_assets.scores.local [FILE.yml ...]``: check declarations as the code location
loads them (default: every file of the retailer configuration's ``local_scores`` folder); exit 1 when
one is refused, with its file, line, field and problem."""

from __future__ import annotations

import sys
from pathlib import Path


def main(argv: list[str]) -> int:
    from platform_assets.definitions import defs
    from platform_assets.lib.resources import settings_from_env
    from platform_assets.scores.local import documented_tables
    from platform_assets.scores.local.declaration import Refusal, parse_declaration

    settings = settings_from_env()
    units = tuple(u.code for u in settings.retailer.business_units)
    folder = settings.local_scores_path
    paths = [Path(a) for a in argv] or (sorted(folder.glob("*/*.yml")) if folder else [])
    documented = documented_tables(defs)
    refused = 0
    for path in paths:
        result = parse_declaration(path, units, documented)
        if isinstance(result, Refusal):
            refused += 1
            print(f"refused: {result.message}")
        else:
            print(f"{path}: valid — {result.table} ({result.declaration.model.estimator})")
    return 1 if refused else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
