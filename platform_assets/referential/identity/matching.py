"""Who is the same person: deterministic rules first, then Splink (Fellegi-Sunter) for the rest.

Works on a DuckDB connection holding ``intermediate.int_customer_records_standardised``; returns
plain frames (edges, clusters, trained weights) for the asset to store.
"""

import logging
import time
from dataclasses import dataclass

import duckdb
import numpy as np
import polars as pl

from platform_assets.referential.identity.schema import CARDS, RECORDS

# Every record that gets a customer id: person records, plus loyalty cards (their holder's id).
ALL_RECORD_IDS = f"""
    select record_id from {RECORDS}
    union all
    select 'loyalty:' || loyalty_card_id from {CARDS}
"""


@dataclass(frozen=True)
class MatchingConfig:
    """Thresholds of the matching; the platform's ``match_threshold`` (CDP_MATCH_THRESHOLD) sets the link one."""

    # Splink match probability from which two records are linked. On the demo data 0.99 gave
    # pairwise precision 0.973, 0.9999 gives 0.9975 (recall 0.987): a false merge costs more.
    link_threshold: float = 0.9999
    predict_threshold: float = 0.5  # pairs kept for inspection below the link threshold
    # below ~1e7 sampled pairs, rare levels (phone exact) are never seen among non-matches at 2M records
    u_max_pairs: float = 1e7
    seed: int = 42

    @classmethod
    def with_threshold(cls, link_threshold: float | None) -> "MatchingConfig":
        """The defaults, with the configured link threshold when there is one."""
        return cls() if link_threshold is None else cls(link_threshold=link_threshold)


@dataclass(frozen=True)
class MatchResult:
    edges: pl.DataFrame  # record_id_l, record_id_r, rule, match_probability
    clusters: pl.DataFrame  # record_id, cluster_id
    match_weights: pl.DataFrame  # comparison, level, m, u, match_weight
    splink_pairs: int  # pairs scored by Splink above predict_threshold
    seconds: dict[str, float]  # wall time of each phase, for the asset's metadata and the benchmark


def _chain(conn: duckdb.DuckDBPyConnection, rule: str, source_sql: str, partition: str) -> pl.DataFrame:
    """Link the records sharing ``partition`` each to the next (ordered): enough for connectivity."""
    return conn.sql(
        f"""
        select record_id as record_id_l, next_record_id as record_id_r,
               '{rule}' as rule, null::double as match_probability
        from (
            select record_id, lead(record_id) over (partition by {partition} order by record_id) as next_record_id
            from ({source_sql})
        )
        where next_record_id is not null
        """
    ).pl()


def deterministic_edges(conn: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    """Links no model needs to weigh: a loyalty card and its contact, a shared phone, and a shared
    e-mail when nothing contradicts it.

    E-mail addresses are shared (households, a typo that lands on someone else's address), so named
    records sharing one link only when first and last names agree and their phones do not differ
    (Splink weighs the rest),
    and a nameless record (an e-mail subscriber) joins one named record only: it never bridges two.
    """
    named = f"select * from {RECORDS} where email_std is not null and last_name_std is not null"
    # namesakes sharing an address but with different phones are two people until Splink says otherwise
    unambiguous = f"""
        select * from ({named})
        qualify count(distinct phone_e164) over (partition by email_std, last_name_std, first_name_std) <= 1
    """
    nameless = f"select * from {RECORDS} where email_std is not null and last_name_std is null"
    frames = [
        _chain(conn, "email", unambiguous, "email_std, last_name_std, first_name_std"),
        _chain(conn, "phone", f"select * from {RECORDS} where phone_e164 is not null", "phone_e164"),
        # subscribers whose address no named record carries: one customer per address
        _chain(
            conn, "email", f"{nameless} and email_std not in (select email_std from ({named}))", "email_std"
        ),
        conn.sql(
            f"""
            select nameless.record_id as record_id_l, min(named.record_id) as record_id_r,
                   'email' as rule, null::double as match_probability
            from ({nameless}) as nameless
            join ({named}) as named using (email_std)
            group by nameless.record_id
            """
        ).pl(),
        conn.sql(
            f"""
            select 'loyalty:' || loyalty_card_id as record_id_l, 'crm:' || crm_contact_id as record_id_r,
                   'loyalty_card' as rule, null::double as match_probability
            from {CARDS}
            where crm_contact_id is not null
            """
        ).pl(),
    ]
    return pl.concat(frames)


# Candidate pairs Splink scores: records equal on one of these (and not joined by the rules yet).
# Measured at 1M customers (3.2M records): last name + postcode alone made 77M pairs and first + last
# name + city 36M (Smiths of London); with the first initial and the postcode they make 12M and 8M,
# and scoring fell from 199 s to 25 s with the same recall (0.9818) and a higher precision
# (0.9824 -> 0.9834); on the 20k demo the clusters are the same.
PREDICTION_BLOCKS = (
    ("email_std",),
    ("phone_e164",),
    ("last_name_std", "postcode_std", "substr(first_name_std, 1, 1)"),
    ("birth_date", "substr(first_name_std, 1, 3)"),
    ("first_name_std", "last_name_std", "postcode_std"),
)


def _splink_settings():
    import splink.comparison_library as cl
    from splink import SettingsCreator, block_on
    from splink.blocking_rule_library import And, Not

    def unsettled(*columns: str):
        """Pairs of the blocking rule that the deterministic rules have not already joined: scoring
        them could add no link (their records are connected anyway), and they were most of the work."""
        return And(block_on(*columns), Not(block_on("rule_cluster_id")))

    return SettingsCreator(
        link_type="dedupe_only",
        unique_id_column_name="record_id",
        comparisons=[
            cl.JaroWinklerAtThresholds("first_name_std", [0.92, 0.80]).configure(
                term_frequency_adjustments=True
            ),
            cl.JaroWinklerAtThresholds("last_name_std", [0.92, 0.80]).configure(
                term_frequency_adjustments=True
            ),
            cl.LevenshteinAtThresholds("email_std", [1, 2]),
            cl.ExactMatch("phone_e164"),
            cl.ExactMatch("postcode_std"),
            cl.AbsoluteDateDifferenceAtThresholds(
                "birth_date", input_is_string=False, metrics=["day", "month", "year"], thresholds=[1, 1, 5]
            ),
            cl.ExactMatch("city_std").configure(term_frequency_adjustments=True),
        ],
        blocking_rules_to_generate_predictions=[unsettled(*columns) for columns in PREDICTION_BLOCKS],
        retain_matching_columns=False,
        retain_intermediate_calculation_columns=False,
    )


class _Stopwatch(dict):
    """Seconds per named phase: ``lap(name)`` closes the phase that ran since the previous lap."""

    def __init__(self):
        super().__init__()
        self._last = time.perf_counter()

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        self[name] = round(self.get(name, 0.0) + now - self._last, 1)
        self._last = now


def probabilistic_edges(
    conn: duckdb.DuckDBPyConnection,
    config: MatchingConfig,
    rule_clusters: pl.DataFrame,
    watch: _Stopwatch | None = None,
) -> tuple[pl.DataFrame, pl.DataFrame, int]:
    """Train Splink (prior from rules, u by sampling, m by EM) and score the candidate pairs that
    the deterministic rules left in different clusters (``rule_clusters``: record_id, cluster_id)."""
    from splink import DuckDBAPI, Linker, block_on

    watch = watch if watch is not None else _Stopwatch()

    conn.register("splink_rule_clusters", rule_clusters)
    conn.execute(
        f"""
        create or replace temp table splink_records as
        select r.record_id, r.first_name_std, r.last_name_std, r.email_std, r.phone_e164, r.postcode_std,
               r.birth_date, r.city_std, c.cluster_id as rule_cluster_id
        from {RECORDS} as r
        inner join splink_rule_clusters as c using (record_id)
        where not r.has_too_little_identity and r.last_name_std is not null
        """
    )
    conn.unregister("splink_rule_clusters")
    [(n_records,)] = conn.execute("select count(*) from splink_records").fetchall()
    if n_records < 2:  # nobody with a name to compare (e.g. a purchase log: customer numbers only)
        conn.execute("drop table if exists splink_records")
        empty = pl.DataFrame(
            schema={
                "record_id_l": pl.String,
                "record_id_r": pl.String,
                "rule": pl.String,
                "match_probability": pl.Float64,
            }
        )
        return empty, match_weights_table(None), 0
    api = DuckDBAPI(connection=conn)
    records = api.register("splink_records", dataset_display_name="records")
    linker = Linker(records, _splink_settings(), log_level=logging.WARNING)
    watch.lap("splink_setup")
    linker.training.estimate_probability_two_random_records_match(
        [block_on("first_name_std", "last_name_std", "birth_date"), block_on("email_std")], recall=0.7
    )
    watch.lap("splink_prior")
    linker.training.estimate_u_using_random_sampling(max_pairs=config.u_max_pairs, seed=config.seed)
    watch.lap("splink_u_sampling")
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("phone_e164"))
    linker.training.estimate_parameters_using_expectation_maximisation(
        block_on("last_name_std", "birth_date")
    )
    watch.lap("splink_em")
    predictions = linker.inference.predict(threshold_match_probability=config.predict_threshold)
    watch.lap("splink_predict")
    scored = conn.sql(
        f"""
        select record_id_l, record_id_r, 'probabilistic' as rule, match_probability
        from {predictions.physical_name}
        """
    ).pl()
    weights = match_weights_table(linker)
    linker.table_management.delete_tables_created_by_splink_from_db()
    conn.execute("drop table if exists splink_records")
    watch.lap("splink_collect")
    return scored, weights, scored.height


def match_weights_table(linker) -> pl.DataFrame:
    """Trained m, u and match weight of every comparison level (the prior on the first row); no
    rows without a trained ``linker`` (None)."""
    records = (
        []
        if linker is None
        else [r.as_dict() for r in linker.visualisations.match_weights_chart().raw_records]
    )
    return pl.DataFrame(
        [
            {
                "comparison": r["comparison_name"],
                "comparison_level": r["label_for_charts"],
                "comparison_vector_value": int(r["comparison_vector_value"]),
                "m_probability": r["m_probability"],
                "u_probability": r["u_probability"],
                "match_weight": r["log2_bayes_factor"],
            }
            for r in records
        ],
        schema={
            "comparison": pl.String,
            "comparison_level": pl.String,
            "comparison_vector_value": pl.Int64,
            "m_probability": pl.Float64,
            "u_probability": pl.Float64,
            "match_weight": pl.Float64,
        },
    )


def connected_clusters(record_ids: pl.Series, edges: pl.DataFrame) -> pl.DataFrame:
    """Connected components of the record graph: one cluster per group of linked records."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    ids = record_ids.sort()
    index = pl.DataFrame({"record_id": ids, "node": np.arange(len(ids))})
    linked = (
        edges.join(index.rename({"record_id": "record_id_l", "node": "l"}), on="record_id_l")
        .join(index.rename({"record_id": "record_id_r", "node": "r"}), on="record_id_r")
        .select("l", "r")
    )
    n = len(ids)
    graph = coo_matrix(
        (np.ones(linked.height, dtype=np.int8), (linked["l"].to_numpy(), linked["r"].to_numpy())), (n, n)
    )
    _, labels = connected_components(graph, directed=False)
    return index.with_columns(pl.Series("cluster_id", labels, dtype=pl.Int64)).select(
        "record_id", "cluster_id"
    )


def resolve(conn: duckdb.DuckDBPyConnection, config: MatchingConfig) -> MatchResult:
    watch = _Stopwatch()
    deterministic = deterministic_edges(conn)
    record_ids = conn.sql(ALL_RECORD_IDS).pl()["record_id"]
    rule_clusters = connected_clusters(record_ids, deterministic)
    watch.lap("deterministic_rules")
    scored, weights, n_scored = probabilistic_edges(conn, config, rule_clusters, watch)
    linked = scored.filter(pl.col("match_probability") >= config.link_threshold)
    edges = pl.concat([deterministic, linked])
    clusters = connected_clusters(record_ids, edges)
    watch.lap("connected_components")
    return MatchResult(edges, clusters, weights, n_scored, dict(watch))


def match_weights_chart(weights: pl.DataFrame) -> str:
    """Splink's match-weights chart as markdown: one bar per comparison level (log2 Bayes factor)."""
    from platform_assets.lib.charts import figure_markdown, horizontal_bars

    shown = weights.filter(pl.col("comparison_vector_value") != -1)  # null levels weigh 0
    labels = [
        f"{c}: {lvl}" if lvl else "prior (two random records match)"
        for c, lvl in zip(shown["comparison"], shown["comparison_level"], strict=True)
    ]
    fig = horizontal_bars(
        labels, shown["match_weight"].to_list(), "Trained match weights", "match weight (log2 Bayes factor)"
    )
    return figure_markdown(fig, "match weights")
