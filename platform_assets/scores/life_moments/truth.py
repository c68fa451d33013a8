"""The demo generator's ground truth, read only to measure the life-moment models (never to score).

A customer's true person is the one most of their source records belong to (identity resolution
may merge two people; the majority is the fairest reading).
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import polars as pl

# Ground-truth column of each moment in persons.csv.
TRUTH_COLUMNS = {"moving": "moving_at", "renovation": "renovation_at", "new_garden": "new_garden_at"}


def moment_dates(conn: duckdb.DuckDBPyConnection, truth_dir: Path) -> pl.DataFrame | None:
    """customer_id, moment, true_date (null when the person never lives it), or None without truth."""
    persons_csv, records_csv = truth_dir / "persons.csv", truth_dir / "source_records.csv"
    if not (persons_csv.exists() and records_csv.exists()):
        return None
    records = pl.read_csv(records_csv, infer_schema=False).select(
        (pl.col("source_system") + ":" + pl.col("source_id")).alias("record_id"), "person_id"
    )
    persons = pl.read_csv(persons_csv, infer_schema=False).select(
        "person_id", *[pl.col(c).str.to_date(strict=False).alias(m) for m, c in TRUTH_COLUMNS.items()]
    )
    xref = conn.sql("select record_id, customer_id from referential.customer_xref").pl()
    owner = (
        xref.join(records, on="record_id")
        .group_by("customer_id", "person_id")
        .len()
        .sort(["customer_id", "len", "person_id"], descending=[False, True, False])
        .group_by("customer_id", maintain_order=True)
        .first()
    )
    return (
        owner.join(persons, on="person_id")
        .unpivot(index="customer_id", on=list(TRUTH_COLUMNS), variable_name="moment", value_name="true_date")
        .select("customer_id", "moment", "true_date")
    )
