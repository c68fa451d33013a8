"""The features layer on the session's end-to-end warehouse (tests/conftest.py ``refreshed``):
materialised and gated, numbers recomputed independently, and as-of correctness."""

import shutil
from datetime import date

import dagster as dg
import duckdb
import polars as pl
import pytest

from platform_assets.features import checks
from platform_assets.features.assets import channel_ltv_cac, customer_clv, customer_profile, customer_rfm
from platform_assets.features.indicators import INDICATORS, KEYS
from platform_assets.features.profile import CATCHMENT_COLUMNS
from platform_assets.lib.resources import resources_from_env
from platform_assets.lib.settings import REFERENCE_DATE_TAG
from tests.conftest import E2E_REFERENCE_DATE

REF = date.fromisoformat(E2E_REFERENCE_DATE)
FEATURE_TABLES = [
    "features.customer_profile",
    "features.customer_rfm",
    "features.customer_clv",
    "marketing.channel_ltv_cac",
]
SEGMENTS = {
    "Champions",
    "Loyal",
    "Potential loyalists",
    "New",
    "At risk",
    "Can't lose them",
    "Hibernating",
    "Lost",
}


def query(db, sql: str, params=None) -> pl.DataFrame:
    with duckdb.connect(str(db), read_only=True) as conn:
        return conn.sql(sql, params=params).pl()


def test_feature_tables_are_built_and_their_blocking_checks_pass(refreshed):
    result, db = refreshed
    evaluations = {e.check_name: e for e in result.get_asset_check_evaluations()}
    for check in checks.CHECKS:
        [key] = check.check_keys
        assert evaluations[key.name].passed, (key.name, evaluations[key.name].metadata)
    with duckdb.connect(str(db), read_only=True) as conn:
        for table in FEATURE_TABLES:
            assert conn.execute(f"select count(*) from {table}").fetchall()[0][0] > 0, table


def test_the_profile_has_40_documented_indicators_for_every_known_customer(refreshed):
    _, db = refreshed
    columns = query(
        db,
        "select column_name, comment from duckdb_columns() "
        "where schema_name = 'features' and table_name = 'customer_profile'",
    )
    documented = {i.name for i in (*KEYS, *INDICATORS)} | set(CATCHMENT_COLUMNS)
    undocumented = [
        c for c in columns["column_name"] if c not in documented and not c.startswith("spend_share_")
    ]
    assert undocumented == []
    assert columns["comment"].null_count() == 0
    assert len(columns) - len(KEYS) >= 40
    [(profiled, known)] = query(
        db,
        "select (select count(*) from features.customer_profile), "
        "(select count(*) from referential.dim_customer where created_at < ? or customer_id in "
        "(select customer_id from sales.fct_sales_lines where sold_date < ?))",
        [REF, REF],
    ).rows()
    assert profiled == known


def test_the_profile_carries_each_customers_catchment_and_unknown_when_not_located(refreshed):
    _, db = refreshed
    [(profiled, differ, unknown, not_located)] = query(
        db,
        "select count(*), count(*) filter (where p.nearest_store_id is distinct from c.nearest_store_id "
        "or p.distance_km is distinct from c.distance_km or p.distance_band is distinct from c.distance_band), "
        "count(*) filter (where p.distance_band = 'unknown'), count(*) filter (where not c.is_located) "
        "from features.customer_profile p join features.customer_catchment c using (customer_id)",
    ).rows()
    assert profiled > 0 and differ == 0
    assert unknown == not_located > 0  # the demo leaves some postcodes out: kept, as unknown


def test_recency_frequency_monetary_match_an_independent_computation(refreshed):
    _, db = refreshed
    lines = query(
        db,
        "select customer_id, order_id, ordered_date, is_return, net_amount::double as net_amount "
        "from sales.fct_sales_lines where customer_id is not null and not is_cancelled and sold_date < ?",
        [REF],
    )
    orders = lines.group_by("customer_id", "order_id").agg(
        pl.col("ordered_date").min(),
        (~pl.col("is_return")).any().alias("is_purchase"),
        pl.col("net_amount").sum(),
    )
    expected = (
        orders.group_by("customer_id")
        .agg(
            pl.col("is_purchase").sum().alias("frequency"),
            pl.col("net_amount").sum().round(2).alias("monetary"),
            pl.col("ordered_date").filter(pl.col("is_purchase")).max().alias("last_purchase"),
        )
        .filter(pl.col("frequency") > 0)
    )
    profile = query(
        db,
        "select customer_id, frequency_lifetime, monetary_lifetime, last_purchase_date, recency_days "
        "from features.customer_profile where frequency_lifetime > 0",
    )
    joined = expected.join(profile, on="customer_id", how="full", coalesce=True)
    assert joined.height == expected.height == profile.height
    assert (joined["frequency"] == joined["frequency_lifetime"]).all()
    assert ((joined["monetary"] - joined["monetary_lifetime"]).abs() < 0.011).all()
    assert (joined["last_purchase"] == joined["last_purchase_date"]).all()
    assert ((REF - joined["last_purchase"]).dt.total_days() == joined["recency_days"]).all()


def test_rfm_scores_and_segments_follow_the_playbook(refreshed):
    _, db = refreshed
    rfm = query(db, "select * from features.customer_rfm")
    buyers = query(db, "select count(*) as n from features.customer_profile where frequency_lifetime > 0")
    assert rfm.height == buyers["n"][0]
    assert set(rfm["segment"]) <= SEGMENTS and len(set(rfm["segment"])) >= 6
    # within a business unit, a better score never means a worse value
    for score, value, better in (
        ("r_score", "recency_days", -1),
        ("f_score", "frequency", 1),
        ("m_score", "monetary", 1),
    ):
        ranges = rfm.group_by("business_unit", score).agg(
            pl.col(value).min().alias("lo"), pl.col(value).max().alias("hi")
        )
        for (bu,), group in ranges.sort(score).group_by(["business_unit"], maintain_order=True):
            lo, hi = group["lo"].to_list(), group["hi"].to_list()
            for i in range(len(lo) - 1):
                assert (hi[i] <= lo[i + 1]) if better == 1 else (lo[i] >= hi[i + 1]), (bu, score)
    champions = rfm.filter(pl.col("segment") == "Champions")
    assert champions["monetary"].median() > rfm["monetary"].median()


def test_clv_is_backtested_per_business_unit_into_ops_model_metrics(refreshed):
    result, db = refreshed
    clv = query(db, "select * from features.customer_clv")
    rfm = query(db, "select customer_id from features.customer_rfm")
    assert set(clv["customer_id"]) == set(rfm["customer_id"])
    metrics = query(db, "select * from ops.model_metrics where run_id = ?", [result.run_id])
    units = set(clv["business_unit"])
    for model in ("bgnbd", "clv"):
        spearman = metrics.filter((pl.col("model") == model) & (pl.col("metric") == "backtest_spearman"))
        assert set(spearman["business_unit"]) == units
        # a model no better than chance at ranking next year's buyers fails here
        assert spearman["value"].min() > 0.3, spearman
    errors = metrics.filter((pl.col("model") == "bgnbd") & (pl.col("metric") == "backtest_aggregate_error"))
    assert errors["value"].abs().max() < 0.5
    [event] = [e for e in result.get_asset_materialization_events() if e.asset_key == customer_clv.key]
    assert "backtest" in event.materialization.metadata
    # the top 10 % by predicted value hold far more than 10 % of it
    top = clv.filter(pl.col("value_tier").is_in(["top 1%", "top 5%", "top 10%"]))
    assert top["expected_value"].sum() > 0.3 * clv["expected_value"].sum()


def test_ltv_cac_divides_spend_by_the_customers_acquired(refreshed):
    _, db = refreshed
    table = query(db, "select * from marketing.channel_ltv_cac")
    spend = query(
        db,
        "select country_code as business_unit, acquisition_channel, sum(spend_amount::double) as spend "
        "from marketing.fct_marketing_spend where spend_date >= ? - 365 and spend_date < ? group by all",
        [REF, REF],
    )
    joined = spend.join(table, on=["business_unit", "acquisition_channel"])
    assert joined.height == spend.height > 0
    assert ((joined["spend"] - joined["marketing_spend_12m"]).abs() < 0.01).all()
    paid = joined.filter(pl.col("customers_acquired_12m") > 0)
    assert ((paid["cac_12m"] - paid["spend"] / paid["customers_acquired_12m"]).abs() < 0.01).all()
    assert (
        table.filter(~pl.col("is_paid_channel"))["ltv_cac_predicted"].null_count()
        == table.filter(~pl.col("is_paid_channel")).height
    )


# --- as-of correctness -------------------------------------------------------------------------

PAST = date(2026, 5, 1)
# Every dated input of the features layer, and the column that dates its rows.
DATED_INPUTS = {
    "sales.fct_sales_lines": "sold_date",
    "sales.fct_orders": "ordered_date",
    "marketing.fct_email_events": "event_at",
    "marketing.fct_marketing_spend": "spend_date",
    "marketing.dim_customer_acquisition": "acquired_at",
    "intermediate.int_consent_choices": "collected_at",
    "staging.stg_loyalty__cards": "issued_on",
}


def _features_as_of(db, day: date, monkeypatch) -> dict[str, pl.DataFrame]:
    monkeypatch.setenv("CDP_DUCKDB_PATH", str(db))
    result = dg.materialize(
        [customer_profile, customer_rfm, customer_clv, channel_ltv_cac, *checks.CHECKS],
        resources=resources_from_env(),
        instance=dg.DagsterInstance.ephemeral(),
        tags={REFERENCE_DATE_TAG: day.isoformat()},
    )
    assert result.success
    assert all(e.passed for e in result.get_asset_check_evaluations())
    keys = {"marketing.channel_ltv_cac": ["business_unit", "acquisition_channel"]}
    return {t: query(db, f"select * from {t}").sort(keys.get(t, ["customer_id"])) for t in FEATURE_TABLES}


def _assert_same(left: pl.DataFrame, right: pl.DataFrame, table: str) -> None:
    assert left.columns == right.columns, table
    assert left.height == right.height, table
    for column in left.columns:
        a, b = left[column], right[column]
        if a.dtype.is_float():
            assert ((a - b).abs() <= 1e-6 * (1 + b.abs())).fill_null(a.is_null() & b.is_null()).all(), (
                table,
                column,
            )
        else:
            assert a.equals(b), (table, column)


@pytest.fixture(scope="module")
def as_of_past(refreshed, tmp_path_factory):
    """The features as of PAST on the full warehouse, and on a copy cut of everything dated PAST or later."""
    _, db = refreshed
    full, cut = (tmp_path_factory.mktemp(name) / "cdp.duckdb" for name in ("full", "cut"))
    shutil.copy(db, full)
    shutil.copy(db, cut)
    with duckdb.connect(str(cut)) as conn:
        for table, column in DATED_INPUTS.items():
            schema, name = table.split(".")
            if conn.execute(
                "select 1 from duckdb_views() where schema_name = ? and view_name = ?", [schema, name]
            ).fetchall():  # staging models are views over raw text: cut a typed copy instead
                conn.execute(f"create table {schema}.{name}__cut as select * from {table}")
                conn.execute(f"drop view {table}")
                conn.execute(f"alter table {schema}.{name}__cut rename to {name}")
            conn.execute(f"delete from {table} where {column} >= ?", [PAST])
    with pytest.MonkeyPatch.context() as mp:
        return _features_as_of(full, PAST, mp), _features_as_of(cut, PAST, mp)


def test_a_past_reference_date_gives_what_that_day_would_have_given(as_of_past):
    on_full, on_cut = as_of_past
    for table in FEATURE_TABLES:
        _assert_same(on_full[table], on_cut[table], table)


def test_a_past_reference_date_sees_nothing_after_it(as_of_past, refreshed):
    on_full, _ = as_of_past
    _, db = refreshed
    profile = on_full["features.customer_profile"]
    assert (profile["reference_date"] == PAST).all()
    assert profile["last_purchase_date"].max() < PAST
    assert (profile["recency_days"].drop_nulls() >= 1).all()
    today = query(db, "select count(*) as n from features.customer_profile")["n"][0]
    assert profile.height < today  # customers who arrived after PAST are not there yet
