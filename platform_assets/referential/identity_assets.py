"""Identity resolution as an asset: the crosswalk from every source record to a stable customer id."""

import time
from dataclasses import replace
from datetime import UTC, datetime

import dagster as dg
import duckdb
import polars as pl

from platform_assets.config import settings
from platform_assets.governance.ownership import PUBLISH, REFERENTIAL
from platform_assets.privacy.erasure import (
    LOG_TABLE,
    REQUESTS_MODEL,
    SUPPRESSION_TABLE,
    Erasure,
    find_erasures,
    load_suppression,
    record_keys,
)
from platform_assets.referential.identity.matching import MatchingConfig, match_weights_chart, resolve
from platform_assets.referential.identity.quality import match_quality
from platform_assets.referential.identity.stable_ids import IdAssignment, assign_customer_ids
from platform_assets.resources import Warehouse

RULE_PRIORITY = {"loyalty_card": 0, "email": 1, "phone": 2, "probabilistic": 3}


def _columns(columns: dict[str, str]) -> dg.TableSchema:
    return dg.TableSchema(columns=[dg.TableColumn(name, description=text) for name, text in columns.items()])


def _spec(schema: str, table: str, description: str, grain: str, columns: dict[str, str]) -> dg.AssetSpec:
    return dg.AssetSpec(
        key=[schema, table],
        description=description,
        group_name=REFERENTIAL.domain,
        owners=REFERENTIAL.owners,
        kinds={"duckdb", "splink", "python"},
        deps=[
            ["intermediate", "int_customer_records_standardised"],
            ["staging", "stg_loyalty__cards"],
            ["intermediate", "int_erasure_requests_standardised"],
        ]
        if table == "customer_xref"
        else [["referential", "customer_xref"]],
        metadata={
            **REFERENTIAL.metadata,
            "grain": grain,
            "dagster/table_name": f"{schema}.{table}",
            "dagster/column_schema": _columns(columns),
        },
    )


def _privacy_spec(table: str, description: str, grain: str, columns: dict[str, str]) -> dg.AssetSpec:
    """Erasure bookkeeping: written with the crosswalk (one transaction), owned by the publish
    domain that answers for privacy."""
    return dg.AssetSpec(
        key=["ops", table],
        description=description,
        group_name=PUBLISH.domain,
        owners=PUBLISH.owners,
        kinds={"duckdb", "python"},
        deps=[["intermediate", "int_erasure_requests_standardised"]],
        metadata={
            **PUBLISH.metadata,
            "grain": grain,
            "dagster/table_name": f"ops.{table}",
            "dagster/column_schema": _columns(columns),
        },
    )


SPECS = [
    _spec(
        "referential",
        "customer_xref",
        "Crosswalk: every source record (CRM contact, web account, guest order, e-mail subscriber, loyalty "
        "card) -> its stable customer_id, with the rule or Splink probability that linked it.",
        "one row per source record",
        {
            "record_id": "`<source_system>:<source_id>`, as in int_customer_records_standardised.",
            "source_system": "crm, ecommerce (account), ecommerce_guest (guest order), emailing (subscriber) or "
            "loyalty (card).",
            "source_id": "Id of the record in its source system.",
            "customer_id": "Stable customer id the record belongs to.",
            "match_rule": "How the record joined its customer: first_record, email, phone, loyalty_card, "
            "probabilistic (Splink) or too_little_identity.",
            "match_probability": "Splink match probability of a probabilistic link; null for deterministic rules.",
            "is_too_little_identity": "True when the record carries too little identity to be matched.",
            "linked_run_id": "Dagster run that last linked the record.",
            "linked_at": "When the record was last linked (UTC).",
        },
    ),
    _spec(
        "referential",
        "customer_ids",
        "Registry of every customer id ever issued: when, by which run, from which anchor record, and its "
        "status (active, merged into another id, retired).",
        "one row per customer id ever issued",
        {
            "customer_id": "Customer id.",
            "issued_seq": "Order of issue (smaller = issued earlier); the survivor of a merge is the earliest.",
            "issued_run_id": "Dagster run that issued the id.",
            "issued_at": "When the id was issued (UTC).",
            "anchor_record_id": "The record the id was derived from (smallest record id of its first cluster).",
            "status": "active, merged (into merged_into) or retired (its records are all gone).",
            "merged_into": "The id this one was merged into, when merged.",
        },
    ),
    _spec(
        "referential",
        "customer_id_history",
        "Every merge and split of existing customer ids: old id, new id, reason, records moved, run.",
        "one row per id change",
        {
            "old_customer_id": "The id the records had.",
            "new_customer_id": "The id they have now.",
            "reason": "merge or split.",
            "records": "Records moved.",
            "run_id": "Dagster run that made the change.",
            "changed_at": "When (UTC).",
        },
    ),
    _spec(
        "ops",
        "identity_match_quality",
        "Match quality of each run against the demo generator's ground truth (when present): pairwise "
        "precision, recall, F1, false merges, cluster purity.",
        "one row per run",
        {
            "run_id": "Dagster run measured.",
            "measured_at": "When (UTC).",
            "link_threshold": "Splink match probability from which two records were linked.",
            "records": "Records compared with the ground truth.",
            "clusters": "Customers (clusters) among them.",
            "true_entities": "True persons among them.",
            "true_pairs": "Pairs put together that are the same person.",
            "predicted_pairs": "Pairs put together.",
            "actual_pairs": "Pairs that are the same person.",
            "precision": "true_pairs / predicted_pairs.",
            "recall": "true_pairs / actual_pairs.",
            "f1": "Harmonic mean of precision and recall.",
            "false_merges": "Clusters holding more than one true person.",
            "cluster_purity": "Share of records in their cluster's majority person.",
        },
    ),
    _spec(
        "ops",
        "identity_match_weights",
        "Trained Fellegi-Sunter parameters of each run (m, u, match weight per comparison level).",
        "one row per run and comparison level",
        {
            "comparison": "Compared attribute (Splink comparison).",
            "comparison_level": "Level of agreement within the comparison.",
            "comparison_vector_value": "Splink's index of the level.",
            "m_probability": "P(level | same person), trained by EM.",
            "u_probability": "P(level | different persons), estimated by sampling.",
            "match_weight": "log2(m / u): evidence the level brings.",
            "run_id": "Dagster run that trained the weights.",
            "link_threshold": "Match probability from which two records were linked in that run.",
        },
    ),
    _privacy_spec(
        "erasure_suppression",
        "Persistent suppression list of the right to erasure: sha256 of every identifier of every person "
        "erased. A source record matching one never becomes a customer again, even once the request file "
        "is gone. Kept across runs (and in the restricted published file).",
        "one row per hashed identifier",
        {
            "key_type": "record (source record id), email or phone (as the request gave them) or customer_id.",
            "key_hash": "Hex sha256 of the standardised identifier.",
            "erasure_request_id": "The request that put the identifier on the list.",
            "added_run_id": "Dagster run that added it.",
            "added_at": "When it was added (UTC).",
        },
    ),
    _privacy_spec(
        "erasure_log",
        "Audit log of right-to-erasure requests: when each request was applied and what it removed, with "
        "hashed identifiers only.",
        "one row per erasure request",
        {
            "erasure_request_id": "Erasure request id (consent/erasure_requests.csv).",
            "email_sha256": "Hex sha256 of the request's standardised e-mail (null when none).",
            "phone_sha256": "Hex sha256 of the request's phone in E.164 (null when none).",
            "country_code": "Business unit that received the request.",
            "requested_at": "When the request was received (UTC).",
            "customer_id_sha256": "Hex sha256 of each customer id erased by the request.",
            "customers_erased": "Customers (identity clusters) erased.",
            "records_erased": "Source records of those customers removed from the referential.",
            "applied_run_id": "Dagster run that applied the request.",
            "applied_at": "When it was applied (UTC).",
        },
    ),
]


def _without_erased(ids: IdAssignment, erased: set[str]) -> IdAssignment:
    """The id assignment with the erased customers gone: no crosswalk row, no new id, no history."""
    kept = sorted(erased)
    return replace(
        ids,
        assignments=ids.assignments.filter(~pl.col("customer_id").is_in(kept)),
        issued=ids.issued.filter(~pl.col("customer_id").is_in(kept)),
        history=ids.history.filter(
            ~pl.col("old_customer_id").is_in(kept) & ~pl.col("new_customer_id").is_in(kept)
        ),
        retired=[c for c in ids.retired if c not in erased],
    )


def _erasure(conn: duckdb.DuckDBPyConnection, ids: IdAssignment, run_id: str, now: datetime) -> Erasure:
    suppression, restored = load_suppression(conn, settings().restricted_path)
    requests = conn.sql(f"select * from {REQUESTS_MODEL}").pl()
    logged = set()
    if _table_exists(conn, *LOG_TABLE.split(".")):
        logged = set(conn.sql(f"select erasure_request_id from {LOG_TABLE}").pl()["erasure_request_id"])
    found = find_erasures(
        ids.assignments, record_keys(conn, ids.assignments), requests, suppression, logged, run_id, now
    )
    # A restored list goes back into the working file with this run's additions (else the dbt
    # models, which read the working file's list, would forget every earlier erasure).
    return replace(found, restored_from=restored, restored_suppression=suppression if restored else None)


def _table_exists(conn: duckdb.DuckDBPyConnection, schema: str, table: str) -> bool:
    return bool(
        conn.execute(
            "select 1 from duckdb_tables() where schema_name = ? and table_name = ?", [schema, table]
        ).fetchall()
    )


def _previous_state(conn: duckdb.DuckDBPyConnection) -> tuple[pl.DataFrame, pl.DataFrame]:
    previous = pl.DataFrame(schema={"record_id": pl.String, "customer_id": pl.String})
    registry = pl.DataFrame(schema={"customer_id": pl.String, "issued_seq": pl.Int64})
    if _table_exists(conn, "referential", "customer_xref"):
        previous = conn.sql("select record_id, customer_id from referential.customer_xref").pl()
    if _table_exists(conn, "referential", "customer_ids"):
        registry = conn.sql("select customer_id, issued_seq from referential.customer_ids").pl()
    return previous, registry


def link_rules(edges: pl.DataFrame) -> pl.DataFrame:
    """For each record, the strongest link that ties it to its cluster (and its best probability)."""
    ends = pl.concat(
        [
            edges.select(pl.col("record_id_l").alias("record_id"), "rule", "match_probability"),
            edges.select(pl.col("record_id_r").alias("record_id"), "rule", "match_probability"),
        ]
    ).with_columns(pl.col("rule").replace_strict(RULE_PRIORITY, return_dtype=pl.Int64).alias("priority"))
    return (
        ends.sort(
            ["record_id", "priority", "match_probability"], descending=[False, False, True], nulls_last=True
        )
        .group_by("record_id", maintain_order=True)
        .first()
        .select("record_id", pl.col("rule").alias("match_rule"), "match_probability")
    )


def _ground_truth() -> pl.DataFrame | None:
    path = settings().ground_truth_dir / "source_records.csv"
    if not path.exists():
        return None
    truth = pl.read_csv(path, infer_schema=False)
    return truth.select(
        (pl.col("source_system") + ":" + pl.col("source_id")).alias("record_id"),
        pl.col("person_id").alias("entity_id"),
    )


@dg.multi_asset(specs=SPECS, pool="duckdb_writer", name="identity_resolution")
def identity_resolution(context: dg.AssetExecutionContext, warehouse: Warehouse):
    """Deterministic rules (loyalty card, e-mail, phone), then Splink for the rest; connected
    components; stable ids against the previous crosswalk; merges and splits recorded."""
    configured = settings().match_threshold
    config = MatchingConfig() if configured is None else MatchingConfig(link_threshold=configured)
    now = datetime.now(UTC).replace(tzinfo=None)
    started = time.perf_counter()
    with warehouse.connect() as conn:
        result = resolve(conn, config)
        resolved_s = time.perf_counter() - started
        previous, registry = _previous_state(conn)
        ids = assign_customer_ids(result.clusters, previous, registry)
        # the right to erasure, once, here: nothing downstream ever sees an erased person
        erasure = _erasure(conn, ids, context.run_id, now)
        ids = _without_erased(ids, erasure.erased_customer_ids)
        flags = conn.sql(
            "select record_id, has_too_little_identity from intermediate.int_customer_records_standardised"
        ).pl()
        xref = ids.assignments.join(link_rules(result.edges), on="record_id", how="left").join(
            flags, on="record_id", how="left"
        )
        xref = xref.with_columns(
            pl.col("record_id").str.splitn(":", 2).struct.field("field_0").alias("source_system"),
            pl.col("record_id").str.splitn(":", 2).struct.field("field_1").alias("source_id"),
            pl.col("has_too_little_identity").fill_null(False).alias("is_too_little_identity"),
            pl.when(pl.col("match_rule").is_null() & pl.col("has_too_little_identity").fill_null(False))
            .then(pl.lit("too_little_identity"))
            .otherwise(pl.col("match_rule").fill_null("first_record"))
            .alias("match_rule"),
            pl.lit(context.run_id).alias("linked_run_id"),
            pl.lit(now).alias("linked_at"),
        ).select(
            "record_id",
            "source_system",
            "source_id",
            "customer_id",
            "match_rule",
            "match_probability",
            "is_too_little_identity",
            "linked_run_id",
            "linked_at",
        )
        next_seq = int(registry["issued_seq"].max() or 0) + 1 if registry.height else 1
        issued = ids.issued.with_row_index("offset").select(
            "customer_id",
            (pl.col("offset").cast(pl.Int64) + next_seq).alias("issued_seq"),
            pl.lit(context.run_id).alias("issued_run_id"),
            pl.lit(now).alias("issued_at"),
            "anchor_record_id",
        )
        history = ids.history.with_columns(
            pl.col("records").cast(pl.Int64),
            pl.lit(context.run_id).alias("run_id"),
            pl.lit(now).alias("changed_at"),
        )
        truth = _ground_truth()
        quality = None
        if truth is not None:
            quality = match_quality(
                xref.select("record_id", pl.col("customer_id").alias("cluster_id")).join(
                    truth, on="record_id"
                )
            )
        weights = result.match_weights.with_columns(
            pl.lit(context.run_id).alias("run_id"), pl.lit(config.link_threshold).alias("link_threshold")
        )
        _write(
            conn, xref, issued, history, ids.retired, weights, quality, context.run_id, now, config, erasure
        )
        counts = {
            table: conn.execute(f"select count(*) from {table}").fetchall()[0][0]
            for table in (
                "referential.customer_id_history",
                "ops.identity_match_weights",
                SUPPRESSION_TABLE,
                LOG_TABLE,
                *(["ops.identity_match_quality"] if quality else []),
            )
        }
    rules = xref.group_by("match_rule").len().sort("len", descending=True)
    customers = xref["customer_id"].n_unique()
    common = {"run_seconds": round(time.perf_counter() - started, 1)}
    yield dg.MaterializeResult(
        asset_key=["referential", "customer_xref"],
        metadata={
            "dagster/row_count": xref.height,
            "customers": customers,
            "records_per_customer": round(xref.height / max(customers, 1), 3),
            "link_threshold": config.link_threshold,
            "splink_pairs_scored": result.splink_pairs,
            "records_by_rule": dg.MetadataValue.md(_md(rules)),
            "too_little_identity": int(xref["is_too_little_identity"].sum()),
            "resolve_seconds": round(resolved_s, 1),
            "phase_seconds": dg.MetadataValue.json(result.seconds),
            **(
                {f"quality_{k}": v for k, v in quality.as_dict().items()}
                if quality
                else {"quality": "no ground truth"}
            ),
            **common,
        },
    )
    yield dg.MaterializeResult(
        asset_key=["referential", "customer_ids"],
        metadata={
            "dagster/row_count": registry.height + issued.height,
            "issued_this_run": issued.height,
            "retired_this_run": len(ids.retired),
        },
    )
    yield dg.MaterializeResult(
        asset_key=["referential", "customer_id_history"],
        metadata={
            "dagster/row_count": counts["referential.customer_id_history"],
            "changes_this_run": history.height,
            "merges": int((history["reason"] == "merge").sum()),
            "splits": int((history["reason"] == "split").sum()),
        },
    )
    yield dg.MaterializeResult(
        asset_key=["ops", "identity_match_quality"],
        metadata={
            "dagster/row_count": counts.get("ops.identity_match_quality", 0),
            **(quality.as_dict() if quality else {"ground_truth": "absent"}),
        },
    )
    yield dg.MaterializeResult(
        asset_key=["ops", "identity_match_weights"],
        metadata={
            "dagster/row_count": counts["ops.identity_match_weights"],
            "match_weights_chart": dg.MetadataValue.md(match_weights_chart(result.match_weights)),
            "match_weights": dg.MetadataValue.md(
                _md(
                    result.match_weights.select(
                        "comparison",
                        "comparison_level",
                        "m_probability",
                        "u_probability",
                        pl.col("match_weight").round(2),
                    )
                )
            ),
        },
    )
    yield dg.MaterializeResult(
        asset_key=["ops", "erasure_suppression"],
        metadata={
            "dagster/row_count": counts[SUPPRESSION_TABLE],
            "added_this_run": erasure.new_suppression.height,
            "restored_from": erasure.restored_from or "working file",
        },
    )
    yield dg.MaterializeResult(
        asset_key=["ops", "erasure_log"],
        metadata={
            "dagster/row_count": counts[LOG_TABLE],
            "requests_applied_this_run": erasure.new_log.height,
            "customers_erased_this_run": len(erasure.erased_customer_ids),
            "records_erased_this_run": erasure.erased_records,
        },
    )


def _md(frame: pl.DataFrame) -> str:
    header = "| " + " | ".join(frame.columns) + " |\n|" + "---|" * frame.width + "\n"
    return header + "\n".join("| " + " | ".join(str(v) for v in row) + " |" for row in frame.iter_rows())


def _write(conn, xref, issued, history, retired, weights, quality, run_id, now, config, erasure) -> None:
    """All identity tables (and the erasure bookkeeping) change together or not at all."""
    conn.execute("create schema if not exists referential")
    conn.execute("create schema if not exists ops")
    conn.execute("begin transaction")
    try:
        conn.register("xref_frame", xref)
        conn.execute(
            "create or replace table referential.customer_xref as select * from xref_frame order by record_id"
        )
        conn.execute(
            "create table if not exists referential.customer_ids (customer_id varchar primary key, issued_seq bigint, "
            "issued_run_id varchar, issued_at timestamp, anchor_record_id varchar, status varchar, merged_into varchar)"
        )
        conn.register("issued_frame", issued)
        conn.execute("insert into referential.customer_ids select *, 'active', null from issued_frame")
        conn.register("history_frame", history)
        conn.execute(
            "create table if not exists referential.customer_id_history (old_customer_id varchar, "
            "new_customer_id varchar, reason varchar, records bigint, run_id varchar, changed_at timestamp)"
        )
        conn.execute("insert into referential.customer_id_history select * from history_frame")
        conn.execute(
            "update referential.customer_ids set status = 'merged', merged_into = h.new_customer_id "
            "from history_frame h where h.reason = 'merge' and customer_ids.customer_id = h.old_customer_id"
        )
        if retired:
            conn.execute(
                "update referential.customer_ids set status = 'retired' where list_contains(?, customer_id)",
                [retired],
            )
        conn.register("weights_frame", weights)
        conn.execute(
            "create table if not exists ops.identity_match_weights as select * from weights_frame limit 0"
        )
        conn.execute("insert into ops.identity_match_weights select * from weights_frame")
        row = {"run_id": run_id, "measured_at": now, "link_threshold": config.link_threshold}
        row.update(quality.as_dict() if quality else {})
        conn.register("quality_frame", pl.DataFrame([row]))
        if quality:
            conn.execute(
                "create table if not exists ops.identity_match_quality as select * from quality_frame limit 0"
            )
            conn.execute("insert into ops.identity_match_quality select * from quality_frame")
        _write_erasure(conn, erasure)
        conn.execute("commit")
    except BaseException:
        conn.execute("rollback")
        raise


def _write_erasure(conn: duckdb.DuckDBPyConnection, erasure: Erasure) -> None:
    """Appends the new suppression entries and log rows, then removes every erased id (this run's
    and earlier ones, known by their hash) from the id registry and its history."""
    rows = erasure.new_suppression
    if erasure.restored_suppression is not None:
        rows = pl.concat([erasure.restored_suppression.select(rows.columns), rows])
    conn.register("suppression_frame", rows)
    conn.execute(f"create table if not exists {SUPPRESSION_TABLE} as select * from suppression_frame limit 0")
    conn.execute(f"insert into {SUPPRESSION_TABLE} select * from suppression_frame")
    conn.register("erasure_log_frame", erasure.new_log)
    conn.execute(f"create table if not exists {LOG_TABLE} as select * from erasure_log_frame limit 0")
    conn.execute(f"insert into {LOG_TABLE} select * from erasure_log_frame")
    erased = f"(select key_hash from {SUPPRESSION_TABLE} where key_type = 'customer_id')"
    conn.execute(f"delete from referential.customer_ids where sha256(customer_id) in {erased}")
    conn.execute(
        f"delete from referential.customer_id_history "
        f"where sha256(old_customer_id) in {erased} or sha256(new_customer_id) in {erased}"
    )
