"""Readable segments: what sets each one apart from the whole base, and a name built from it.

Pure. A segment is described by the indicators where its mean is furthest from the base's, in
base standard deviations (a lift alone explodes on shares near zero); the lift (segment mean /
base mean) is reported beside it. The proposed name strings together the phrases of the top three
("Garden lovers, store-loyal, big baskets"); marketing can replace it (``names.py``).
"""

from __future__ import annotations

import polars as pl

from platform_assets.scores.segments.prepare import AMOUNTS, DEPARTMENT_PREFIX

# indicator -> (phrase when the segment is above the base, phrase when below; None: not telling)
PHRASES: dict[str, tuple[str | None, str | None]] = {
    "purchases_per_year": ("frequent visitors", "occasional buyers"),
    "avg_basket_value": ("big baskets", "small baskets"),
    "max_basket_value": ("big projects", None),
    "avg_unit_price": ("upmarket products", "low-price products"),
    "avg_basket_size": ("many items per visit", "few items per visit"),
    "distinct_departments": ("multi-department", "single-department"),
    "distinct_stores": ("store-hopping", None),
    "store_spend_share": ("store-loyal", "web shoppers"),
    "premium_spend_share": ("premium taste", None),
    "entry_spend_share": ("price-conscious", None),
    "weekend_purchase_share": ("weekend shoppers", "weekday shoppers"),
    "discount_rate": ("promo hunters", "full-price buyers"),
    "return_rate": ("frequent returners", None),
    "email_open_rate_12m": ("e-mail readers", "e-mail silent"),
}
DEPARTMENT_PHRASES = {
    "garden_outdoor": "garden lovers",
    "paint_decoration": "decorators",
    "flooring": "floor layers",
    "kitchen": "kitchen projects",
    "bathroom": "bathroom projects",
    "lighting_electrical": "lighting & electrics",
    "tools_hardware": "tool enthusiasts",
    "storage_organisation": "storage organisers",
    "building_materials": "builders",
    "plumbing_heating": "plumbing & heating",
}
# Below this distance from the base (in base standard deviations) an indicator names nothing.
MIN_DISTANCE = 0.25
NAME_PHRASES = 3


def phrase(indicator: str, above: bool) -> str | None:
    if indicator.startswith(DEPARTMENT_PREFIX):
        slug = indicator.removeprefix(DEPARTMENT_PREFIX)
        return (DEPARTMENT_PHRASES.get(slug) or f"{slug.replace('_', ' ')} buyers") if above else None
    high, low = PHRASES.get(indicator, (None, None))
    return high if above else low


def comparable(readable: pl.DataFrame) -> pl.DataFrame:
    """Amounts as a ratio to the business unit's median, so units with other currencies compare."""
    return readable.with_columns(
        (pl.col(c) / pl.col(c).median().over("business_unit")).alias(c) for c in AMOUNTS
    )


def indicator_columns(frame: pl.DataFrame) -> list[str]:
    return [c for c in frame.columns if c in PHRASES or c.startswith(DEPARTMENT_PREFIX)]


def distinctions(frame: pl.DataFrame, segment_column: str = "segment_id") -> pl.DataFrame:
    """Per segment and indicator: segment mean, base mean, lift and distance (in base SDs),
    from a ``comparable`` frame with a segment column. Sorted by segment, then |distance|."""
    indicators = indicator_columns(frame)
    base = frame.select(
        *(pl.col(c).mean().alias(f"{c}|mean") for c in indicators),
        *(pl.col(c).std().alias(f"{c}|std") for c in indicators),
    ).row(0, named=True)
    means = frame.group_by(segment_column).agg(pl.col(c).mean() for c in indicators)
    long = means.unpivot(index=segment_column, variable_name="indicator", value_name="segment_mean")
    stats = pl.DataFrame(
        {
            "indicator": indicators,
            "base_mean": [base[f"{c}|mean"] for c in indicators],
            "base_std": [base[f"{c}|std"] for c in indicators],
        }
    )
    return (
        # an indicator nobody in the segment has (e.g. no e-mail received: no open rate) tells nothing
        long.join(stats, on="indicator")
        .filter(pl.col("segment_mean").is_not_null() & pl.col("base_mean").is_not_null())
        .with_columns(
            pl.when(pl.col("base_mean") != 0)
            .then(pl.col("segment_mean") / pl.col("base_mean"))
            .otherwise(None)
            .alias("lift"),
            # a constant indicator (std at rounding level) sets nothing apart
            pl.when(pl.col("base_std") > 1e-9 * (1 + pl.col("base_mean").abs()))
            .then((pl.col("segment_mean") - pl.col("base_mean")) / pl.col("base_std"))
            .otherwise(0.0)
            .alias("distance"),
        )
        .drop("base_std")
        .sort([segment_column, pl.col("distance").abs(), "indicator"], descending=[False, True, False])
    )


def top_phrases(rows: list[dict]) -> list[str]:
    """The phrases of a segment's most distinctive indicators, strongest first (``rows`` sorted by
    |distance| as ``distinctions`` returns them)."""
    phrases = []
    for row in rows:
        if abs(row["distance"]) < MIN_DISTANCE:
            break
        text = phrase(row["indicator"], row["distance"] > 0)
        if text and text not in phrases:
            phrases.append(text)
    return phrases


def propose_names(table: pl.DataFrame, segment_column: str = "segment_id") -> dict[int, str]:
    """segment -> proposed name; a segment close to the base on everything is "Mainstream
    customers". Two segments never share a name: the clashing one takes its next phrase."""
    names: dict[int, str] = {}

    def capitalised(text: str) -> str:
        return text[:1].upper() + text[1:]

    for (segment,), rows in table.group_by(segment_column, maintain_order=True):
        phrases = top_phrases(rows.to_dicts())
        count = NAME_PHRASES
        name = capitalised(", ".join(phrases[:count]) or "mainstream customers")
        while name in names.values() and count < len(phrases):
            count += 1
            name = capitalised(", ".join(phrases[:count]))
        if name in names.values():
            name = f"{name} ({segment})"
        names[int(segment)] = name
    return names


def summary(rows: list[dict], count: int = 5) -> str:
    """The segment's most distinctive indicators, for a table cell: "indicator xlift (+distance sd)"."""
    parts = []
    for row in rows[:count]:
        lift = "n/a" if row["lift"] is None else f"{row['lift']:.2f}"
        parts.append(f"{row['indicator']} x{lift} ({row['distance']:+.1f} sd)")
    return "; ".join(parts)
