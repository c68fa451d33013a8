"""The published segment tables, built from frames: the segment profile and the RFM cross-tab.

Pure. Every table has one block per business unit plus an ``ALL`` block for the group. Amounts
stay in their business unit's currency: the referential has no exchange rates, so the group
block carries sizes but no value (null), rather than a sum of euros, zlotys and pounds.
"""

from __future__ import annotations

from datetime import date

import polars as pl

from platform_assets.scores.segments import describe, prepare
from platform_assets.scores.segments.columns import GROUP


def _per_unit_and_group(frame: pl.DataFrame) -> list[tuple[str, pl.DataFrame]]:
    units = sorted(u for u in frame["business_unit"].unique().to_list() if u is not None)
    return [(GROUP, frame), *((u, frame.filter(pl.col("business_unit") == u)) for u in units)]


def segment_profile(segments: pl.DataFrame, comparable: pl.DataFrame, values: pl.DataFrame) -> pl.DataFrame:
    """One row per business unit (and ALL) and segment: size, value share of the last 12 months,
    and the indicators that set the segment apart from that base (``describe.summary``).

    segments: customer_id, business_unit, segment_id, segment_key, segment_name, name_source,
    segmentation_version; comparable: ``describe.comparable`` of the buyers' readable indicators;
    values: customer_id, monetary_12m, currency_code."""
    joined = segments.join(values, on="customer_id", how="left").with_columns(
        pl.col("monetary_12m").fill_null(0.0).clip(lower_bound=0.0)
    )
    labelled = comparable.join(segments.select("customer_id", "segment_id"), on="customer_id")
    blocks = []
    for unit, part in _per_unit_and_group(joined):
        sizes = part.group_by(
            "segmentation_version", "segment_id", "segment_key", "segment_name", "name_source"
        ).agg(
            pl.len().alias("customers"),
            pl.col("monetary_12m").sum().alias("value_12m"),
            pl.col("currency_code").drop_nulls().first().alias("currency_code"),
        )
        behaviour = labelled if unit == GROUP else labelled.filter(pl.col("business_unit") == unit)
        rows = describe.distinctions(behaviour) if behaviour.height else None
        text = (
            {}
            if rows is None
            else {
                int(s): describe.summary(r.to_dicts())
                for (s,), r in rows.group_by("segment_id", maintain_order=True)
            }
        )
        total_value = sizes["value_12m"].sum()
        group = unit == GROUP
        blocks.append(
            sizes.with_columns(
                pl.lit(unit).alias("business_unit"),
                (pl.col("customers") / pl.col("customers").sum()).alias("customer_share"),
                pl.when(pl.lit(not group) & pl.lit(total_value > 0))
                .then(pl.col("value_12m") / total_value)
                .otherwise(None)
                .alias("value_share_12m"),
                pl.when(pl.lit(not group)).then(pl.col("value_12m")).otherwise(None).alias("value_12m"),
                pl.when(pl.lit(not group))
                .then(pl.col("currency_code"))
                .otherwise(None)
                .alias("currency_code"),
                pl.col("segment_id")
                .replace_strict(text, default="no purchase yet: no behaviour", return_dtype=pl.String)
                .alias("distinctive_indicators"),
            )
        )
    return (
        pl.concat(blocks)
        .select(
            "business_unit",
            "segment_key",
            "segment_id",
            "segment_name",
            "name_source",
            "segmentation_version",
            "customers",
            "customer_share",
            "value_12m",
            "currency_code",
            "value_share_12m",
            "distinctive_indicators",
        )
        .sort("business_unit", "segment_id")
    )


def profile_table(segments: pl.DataFrame, profile: pl.DataFrame, ref: date) -> pl.DataFrame:
    """The published ``scores.segment_profile`` from the day's assignment and customer profile."""
    comparable = describe.comparable(prepare.readable(prepare.buyers(profile)))
    values = profile.select("customer_id", "monetary_12m", "currency_code")
    return segment_profile(segments, comparable, values).with_columns(
        pl.lit(ref).alias("reference_date"),
        # shares to 9 decimals: parallel float sums differ in the last bits from run to run, and the
        # same input must publish the same table
        pl.selectors.float().round(9),
    )


def group_summary(profile_table: pl.DataFrame) -> pl.DataFrame:
    """The group block of the segment profile as the asset shows it."""
    return profile_table.filter(pl.col("business_unit") == GROUP).select(
        "segment_id",
        "segment_name",
        "name_source",
        "customers",
        pl.col("customer_share").round(3),
        "distinctive_indicators",
    )


def rfm_crosstab(segments: pl.DataFrame, rfm: pl.DataFrame) -> pl.DataFrame:
    """One row per business unit (and ALL), behavioural segment and RFM segment: customers, their
    share of the behavioural segment, of the RFM segment, and the lift (how over-represented the RFM
    segment is in the behavioural one). Customers without a purchase have no RFM: "No purchase"."""
    joined = segments.join(
        rfm.select("customer_id", pl.col("segment").alias("rfm_segment")), on="customer_id", how="left"
    ).with_columns(pl.col("rfm_segment").fill_null("No purchase"))
    blocks = []
    for unit, part in _per_unit_and_group(joined):
        counts = part.group_by("segment_key", "segment_id", "segment_name", "rfm_segment").agg(
            pl.len().alias("customers")
        )
        total = part.height
        blocks.append(
            counts.with_columns(
                pl.lit(unit).alias("business_unit"),
                (pl.col("customers") / pl.col("customers").sum().over("segment_key")).alias(
                    "share_of_segment"
                ),
                (pl.col("customers") / pl.col("customers").sum().over("rfm_segment")).alias(
                    "share_of_rfm_segment"
                ),
            ).with_columns(
                (pl.col("share_of_segment") / (pl.col("customers").sum().over("rfm_segment") / total)).alias(
                    "lift"
                )
            )
        )
    return (
        pl.concat(blocks)
        .select(
            "business_unit",
            "segment_key",
            "segment_id",
            "segment_name",
            "rfm_segment",
            "customers",
            "share_of_segment",
            "share_of_rfm_segment",
            "lift",
        )
        .sort("business_unit", "segment_id", "rfm_segment")
    )


def crosstab_wide(crosstab: pl.DataFrame, unit: str = GROUP) -> pl.DataFrame:
    """The cross-tab of one block as analysts read it: a row per behavioural segment, a column
    per RFM segment, customers in the cells."""
    return (
        crosstab.filter(pl.col("business_unit") == unit)
        .pivot(on="rfm_segment", index=["segment_id", "segment_name"], values="customers", sort_columns=True)
        .fill_null(0)
        .sort("segment_id")
    )
