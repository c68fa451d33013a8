"""What the Dagster UI shows of an identity resolution run: one metadata dict per table written."""

import dagster as dg
import polars as pl

from platform_assets.lib.metadata import markdown_table
from platform_assets.privacy.tables import LOG_TABLE, SUPPRESSION_TABLE
from platform_assets.referential.identity.matching import match_weights_chart
from platform_assets.referential.identity.resolution import IdentityRun
from platform_assets.referential.identity.schema import HISTORY, IDS, QUALITY, WEIGHTS, XREF


def run_metadata(run: IdentityRun) -> dict[str, dict]:
    """Table (``schema.table``) -> the metadata of its materialisation."""
    xref, history, quality, erasure = run.xref, run.history, run.quality, run.erasure
    customers = xref["customer_id"].n_unique()
    rules = xref.group_by("match_rule").len().sort("len", descending=True)
    weights = run.match.match_weights
    shown_weights = weights.select(
        "comparison", "comparison_level", "m_probability", "u_probability", pl.col("match_weight").round(2)
    )
    return {
        XREF: {
            "dagster/row_count": xref.height,
            "customers": customers,
            "records_per_customer": round(xref.height / max(customers, 1), 3),
            "link_threshold": run.config.link_threshold,
            "corroborated_link_threshold": run.config.corroborated_link_threshold,
            "splink_pairs_scored": run.match.splink_pairs,
            "records_by_rule": dg.MetadataValue.md(markdown_table(rules)),
            "too_little_identity": int(xref["is_too_little_identity"].sum()),
            "resolve_seconds": run.resolve_seconds,
            "phase_seconds": dg.MetadataValue.json(run.match.seconds),
            # identifiers present, comparisons and blocks built from them, training steps skipped and why
            "matching_plan": dg.MetadataValue.json(run.match.plan),
            "skipped": dg.MetadataValue.json(
                {
                    step: why
                    for step, why in run.match.plan.get("training", {}).items()
                    if why.startswith("skipped")
                }
                | {
                    f"identifier:{c}": "absent: no record carries it"
                    for c in run.match.plan.get("absent_identifiers", [])
                }
            ),
            **(
                {f"quality_{k}": v for k, v in quality.as_dict().items()}
                if quality
                else {"quality": "no ground truth"}
            ),
            "run_seconds": run.run_seconds,
        },
        IDS: {
            "dagster/row_count": run.registry_before + run.issued.height,
            "issued_this_run": run.issued.height,
            "retired_this_run": len(run.ids.retired),
        },
        HISTORY: {
            "dagster/row_count": run.row_counts[HISTORY],
            "changes_this_run": history.height,
            "merges": int((history["reason"] == "merge").sum()),
            "splits": int((history["reason"] == "split").sum()),
        },
        QUALITY: {
            "dagster/row_count": run.row_counts.get(QUALITY, 0),
            **(quality.as_dict() if quality else {"ground_truth": "absent"}),
        },
        WEIGHTS: {
            "dagster/row_count": run.row_counts[WEIGHTS],
            "match_weights_chart": dg.MetadataValue.md(match_weights_chart(weights)),
            "match_weights": dg.MetadataValue.md(markdown_table(shown_weights)),
        },
        SUPPRESSION_TABLE: {
            "dagster/row_count": run.row_counts[SUPPRESSION_TABLE],
            "added_this_run": erasure.new_suppression.height,
            "restored_from": erasure.restored_from or "working file",
        },
        LOG_TABLE: {
            "dagster/row_count": run.row_counts[LOG_TABLE],
            "requests_applied_this_run": erasure.new_log.height,
            "customers_erased_this_run": len(erasure.erased_customer_ids),
            "records_erased_this_run": erasure.erased_records,
        },
    }
