"""Formatting helpers (polars expressions) and the only module that touches the disk.

Money is kept in integer cents and time in integer seconds until here, so sums are exact and
the text written is the same on every run and machine.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import polars as pl

from platform_assets.landing.contracts import CONTRACTS, SourceContract
from platform_assets.lib.retailer import DEMO_RETAILER, load_retailer

CONTRACT = {(c.system, c.entity): c for c in CONTRACTS}


def money(expr: pl.Expr) -> pl.Expr:
    """Integer cents -> '12.34' / '-0.50'."""
    sign = pl.when(expr < 0).then(pl.lit("-")).otherwise(pl.lit(""))
    absolute = expr.abs()
    return pl.concat_str(
        [sign, (absolute // 100).cast(pl.String), pl.lit("."), (absolute % 100).cast(pl.String).str.zfill(2)]
    )


def ts_utc(expr: pl.Expr) -> pl.Expr:
    """Epoch seconds -> ISO 8601 UTC '2026-03-14T13:32:10Z'."""
    return pl.from_epoch(expr, time_unit="s").dt.strftime("%Y-%m-%dT%H:%M:%SZ")


def ts_plain(expr: pl.Expr, sep: str = "T") -> pl.Expr:
    """Epoch seconds of a naive clock -> '2026-03-14T13:32:10' (or with a space)."""
    return pl.from_epoch(expr, time_unit="s").dt.strftime(f"%Y-%m-%d{sep}%H:%M:%S")


def iso_date(expr: pl.Expr, fmt: str = "%Y-%m-%d") -> pl.Expr:
    """Epoch days -> date text."""
    return pl.from_epoch(expr, time_unit="d").dt.strftime(fmt)


def padded(expr: pl.Expr, width: int, prefix: str = "") -> pl.Expr:
    return pl.concat_str([pl.lit(prefix), expr.cast(pl.String).str.zfill(width)])


def hex_ids(values: np.ndarray, width: int) -> np.ndarray:
    """Fixed-width lower-case hexadecimal of non-negative integers, vectorised."""
    digits = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)
    shifts = np.arange(width - 1, -1, -1, dtype=np.uint64) * np.uint64(4)
    nibbles = (values.astype(np.uint64)[:, None] >> shifts[None, :]) & np.uint64(15)
    return digits[nibbles.astype(np.intp)].copy().view(f"S{width}").ravel().astype(str)


def _as_text(df: pl.DataFrame, contract: SourceContract) -> pl.DataFrame:
    """The contract's columns the frame has, in contract order (an optional column the demo does
    not generate is left out of the file, and read as empty)."""
    missing = [c for c in contract.required_columns if c not in df.columns]
    if missing:
        raise ValueError(f"frame lacks required contract columns {missing}")
    return df.select([pl.col(c).cast(pl.String) for c in contract.column_names if c in df.columns])


def write_source(
    df: pl.DataFrame, landing: Path, system: str, entity: str, file_name: str
) -> tuple[str, int]:
    """Write one landing file in its contract's column order, format and delimiter."""
    contract: SourceContract = CONTRACT[(system, entity)]
    folder = landing / system
    folder.mkdir(parents=True, exist_ok=True)
    out = _as_text(df, contract)
    path = folder / file_name
    layout = load_retailer(DEMO_RETAILER).sources[contract.table]  # the demo's file layout
    if layout.format == "ndjson":
        out.write_ndjson(path)
    else:
        out.write_csv(path, separator=layout.delimiter, null_value="", line_terminator="\n")
    return f"landing/{system}/{file_name}", out.height


def write_csv(df: pl.DataFrame, path: Path) -> int:
    path.parent.mkdir(parents=True, exist_ok=True)
    df.write_csv(path, null_value="", line_terminator="\n")
    return df.height


def write_json(data: dict, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n", encoding="utf-8")


def write_text(text: str, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
