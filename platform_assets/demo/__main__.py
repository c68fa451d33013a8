"""python -m platform_assets.demo --customers N --seed S --out DIR [--start 2023-11-01 --end 2026-10-31]
[--identity-noise demo|hard]"""

from __future__ import annotations

import argparse
import sys
from datetime import date
from pathlib import Path

from platform_assets.demo.generator import DEFAULT_END, DEFAULT_START, generate
from platform_assets.demo.identities import IDENTITY_NOISE


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m platform_assets.demo",
        description="Generate the synthetic retailer's landing files and ground truth.",
    )
    parser.add_argument("--customers", type=int, required=True, help="number of true persons")
    parser.add_argument("--seed", type=int, default=42, help="random seed (same seed and args -> same bytes)")
    parser.add_argument("--out", type=Path, required=True, help="output directory (landing/, ground_truth/)")
    parser.add_argument(
        "--start", type=date.fromisoformat, default=DEFAULT_START, help="first day of the history"
    )
    parser.add_argument("--end", type=date.fromisoformat, default=DEFAULT_END, help="last day of the history")
    parser.add_argument("--quiet", action="store_true", help="no progress lines")
    parser.add_argument(
        "--identity-noise",
        choices=IDENTITY_NOISE,
        default="demo",
        help="hard: households, twins, swapped/partial/compound names, typos in every field, "
        "CRM contacts often without e-mail, web accounts without phones (identity resolution's test)",
    )
    args = parser.parse_args(argv)
    summary = generate(
        args.out,
        args.customers,
        args.seed,
        args.start,
        args.end,
        progress=not args.quiet,
        identity_noise=args.identity_noise,
    )
    print(summary.report(), file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
