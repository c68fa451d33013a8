"""Every dbt model built on Spark gives the tables DuckDB gives (issue 28's equality test).

For two shapes of data, a generated retailer (400 customers) and the public CDNOW log (one business
unit; no web shop, e-mail, loyalty, consent or catalogue delivered), the Python assets the dbt
models read (landing, retailer tables, identity resolution, erasure) are materialised on DuckDB;
the dbt sources are handed to Spark as the graph's dbt step hands them (lib/engine.py: Parquet files
registered by dbt's on-run-start) and the whole dbt project is built there (``dbt build --target spark``: seeds, models and, for the demo, their tests; dbt-spark's
session method in this process); every model is read back from Spark's Parquet files and compared with DuckDB's: built, row count, the same rows
(every column), revenue per business unit. The customer profile's query in Spark SQL
(``features.profile.profile_query``) runs on that catalog and gives ``customer_profile``'s rows on DuckDB.

Slow (a JVM, ~460 dbt nodes per shape): marker ``spark``, run by ``make test-spark`` only.
"""

from __future__ import annotations

import json
import shutil
from datetime import date, timedelta
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from platform_assets.lib import engine
from platform_assets.lib.retailer import RETAILERS_DIR
from platform_assets.lib.settings import DBT_PROJECT_DIR, REFERENCE_DATE_TAG
from tests.dbt_parse import dbt_target_dir

pytestmark = pytest.mark.spark

CUSTOMERS = 400
CDNOW = DBT_PROJECT_DIR.parents[1] / "shared" / "datasets" / "cdnow" / "CDNOW_sample.txt"
SHAPES = {"demo": "2026-11-01", "cdnow": "1998-07-01"}
# columns that hold the run or the machine, not the data
RUN_COLUMNS = {"load_id", "_load_id", "loaded_at", "_loaded_at", "linked_run_id", "linked_at", "source_file"}


@pytest.fixture(scope="module")
def spark(tmp_path_factory):
    pytest.importorskip("pyspark")
    engine.require("spark")
    spark_dir = tmp_path_factory.mktemp("spark")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("CDP_SPARK_DIR", str(spark_dir))  # the profile's spark target reads it
        session = engine.spark_session(spark_dir)
        yield session, spark_dir
    session.stop()


def _land(shape: str, root: Path) -> Path:
    if shape == "demo":
        from platform_assets.demo.generator import generate

        generate(
            root,
            customers=CUSTOMERS,
            seed=11,
            start=date(2023, 11, 1),
            end=date(2026, 10, 31),
            progress=False,
        )
        return RETAILERS_DIR / "demo.yml"
    assert CDNOW.exists(), f"CDNOW sample missing: {CDNOW}"
    (root / "landing" / "cdnow").mkdir(parents=True)
    shutil.copy(CDNOW, root / "landing" / "cdnow" / CDNOW.name)
    return RETAILERS_DIR / "cdnow.yml"


def _upstream_of_dbt(defs: dg.Definitions) -> dg.AssetSelection:
    """Every asset a dbt model reads, and the dbt models themselves, without their checks."""
    graph = defs.resolve_asset_graph()
    dbt_keys = [k for k in graph.get_all_asset_keys() if "dbt" in graph.get(k).kinds]
    return (
        dg.AssetSelection.assets(*dbt_keys)
        .upstream()
        .materializable()
        .required_multi_asset_neighbors()
        .without_checks()
    )


def _build_on_duckdb(shape: str, root: Path, retailer: Path) -> Path:
    from platform_assets.definitions import build_defs
    from platform_assets.lib.resources import resources_from_env

    db = root / "warehouse" / "cdp.duckdb"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("CDP_DATA_DIR", str(root))
        mp.setenv("CDP_LANDING_DIR", str(root / "landing"))
        mp.setenv("CDP_DUCKDB_PATH", str(db))
        mp.setenv("CDP_RETAILER_CONFIG", str(retailer))
        defs = build_defs(resources_from_env())
        job = dg.define_asset_job("upstream_of_dbt", selection=_upstream_of_dbt(defs))
        result = (
            dg.Definitions.merge(defs, dg.Definitions(jobs=[job]))
            .resolve_job_def("upstream_of_dbt")
            .execute_in_process(
                instance=dg.DagsterInstance.ephemeral(), tags={REFERENCE_DATE_TAG: SHAPES[shape]}
            )
        )
    assert result.success
    return db


def _build_on_spark(shape: str, spark_dir: Path, db: Path, root: Path) -> dict:
    from dbt.cli.main import dbtRunner

    manifest = json.loads((dbt_target_dir() / "manifest.json").read_text())
    sources = sorted({f"{s['schema']}.{s['identifier']}" for s in manifest["sources"].values()})
    with duckdb.connect(str(db), read_only=True) as conn:  # as the graph's dbt step hands them over
        engine.export_for_spark(conn, sources, engine.handoff_path(spark_dir))
    target = root / "dbt_spark"
    # the dbt tests on Spark (one Spark job each: minutes) for the demo; the models and seeds for CDNOW
    skipped = ["unit_test"] if shape == "demo" else ["unit_test", "test"]
    args = ["build", "--target", "spark", "--exclude-resource-type", *skipped]
    args += ["--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR)]
    args += ["--target-path", str(target), "--log-path", str(target / "logs")]
    dbtRunner().invoke(args)
    return {
        "manifest": json.loads((target / "manifest.json").read_text()),
        "results": json.loads((target / "run_results.json").read_text())["results"],
    }


@pytest.fixture(scope="module", params=list(SHAPES))
def built(request, spark, tmp_path_factory):
    """(shape, the DuckDB warehouse, a DuckDB copy of every model Spark built, dbt's manifest and results)."""
    _, spark_dir = spark
    shape = request.param
    root = tmp_path_factory.mktemp(shape)
    retailer = _land(shape, root)
    db = _build_on_duckdb(shape, root, retailer)
    dbt = _build_on_spark(shape, spark_dir, db, root)
    models = {
        f"{n['schema']}.{n['alias']}": n["unique_id"]
        for n in dbt["manifest"]["nodes"].values()
        if n["resource_type"] == "model" and n["config"]["materialized"] != "ephemeral"
    }
    ok = {r["unique_id"] for r in dbt["results"] if r["status"] == "success"}
    from_spark = root / "from_spark.duckdb"
    with duckdb.connect(str(from_spark)) as conn:  # as the graph's dbt step reads them back
        engine.import_from_spark(conn, [t for t, uid in models.items() if uid in ok], spark_dir)
    return shape, db, from_spark, models, dbt["results"]


def _compared(db: Path, from_spark: Path) -> duckdb.DuckDBPyConnection:
    conn = duckdb.connect()
    conn.execute(f"attach '{db}' as duck (read_only)")
    conn.execute(f"attach '{from_spark}' as spark (read_only)")
    return conn


def test_every_model_and_seed_builds_and_every_test_passes_on_spark(built):
    shape, _, _, models, results = built
    by_id = {r["unique_id"]: r for r in results}
    assert len(models) >= 25
    not_built = [uid for uid in models.values() if by_id.get(uid, {}).get("status") != "success"]
    assert not_built == []
    seeds = [r for r in results if r["unique_id"].startswith("seed.")]
    assert seeds and all(r["status"] == "success" for r in seeds)
    tests = [r for r in results if r["unique_id"].startswith("test.")]
    assert len(tests) >= (200 if shape == "demo" else 0)  # CDNOW: models and seeds only (time)
    assert [r["unique_id"] for r in tests if r["status"] in ("error", "fail")] == []


def test_every_model_has_the_same_row_count(built):
    _, db, from_spark, models, _ = built
    with _compared(db, from_spark) as conn:
        counts = {
            table: conn.execute(
                f"select (select count(*) from duck.{table}), (select count(*) from spark.{table})"
            ).fetchall()[0]
            for table in models
        }
    assert {t: c for t, c in counts.items() if c[0] != c[1]} == {}
    assert sum(c[0] for c in counts.values()) > 0


def _columns(conn, catalog: str, table: str) -> dict[str, str]:
    schema, name = table.split(".")
    return dict(
        conn.execute(
            "select column_name, data_type from information_schema.columns "
            "where table_catalog = ? and table_schema = ? and table_name = ? order by ordinal_position",
            [catalog, schema, name],
        ).fetchall()
    )


def _comparable(column: str, data_type: str) -> str:
    """A column as both engines' values compare: floats to 9 decimals, times without a zone."""
    quoted = f'"{column}"'
    if data_type in ("DOUBLE", "FLOAT"):
        return f"round({quoted}, 9)"
    if data_type.startswith("TIMESTAMP"):
        return f"{quoted}::timestamp"
    return quoted


def test_every_model_holds_the_same_rows(built):
    """Every column of every row, both ways (EXCEPT ALL: duplicates count)."""
    _, db, from_spark, models, _ = built
    differing = {}
    with _compared(db, from_spark) as conn:
        for table in models:
            duck, spark = _columns(conn, "duck", table), _columns(conn, "spark", table)
            assert list(duck) == list(spark), table
            select = ", ".join(_comparable(c, t) for c, t in duck.items() if c not in RUN_COLUMNS)
            only = [
                conn.execute(
                    f"select count(*) from (select {select} from {a}.{table} except all select {select} from {b}.{table})"
                ).fetchall()[0][0]
                for a, b in (("duck", "spark"), ("spark", "duck"))
            ]
            if any(only):
                differing[table] = only
    assert differing == {}


def test_revenue_per_business_unit_is_the_same(built):
    shape, db, from_spark, _, _ = built
    query = (
        "select country_code, currency_code, count(*), sum(net_amount) from {}.sales.fct_sales_lines "
        "where not is_cancelled group by all order by all"
    )
    with _compared(db, from_spark) as conn:
        duck = conn.execute(query.format("duck")).fetchall()
        spark = conn.execute(query.format("spark")).fetchall()
    assert duck == spark
    assert len(duck) == (3 if shape == "demo" else 1)  # the demo's FR, PL, UK; CDNOW's US


def test_identity_resolution_with_splink_on_spark_finds_the_same_customers(built, spark):
    """Deterministic rules and Splink (trained and scored on Spark) against the same on DuckDB, over
    the same standardised records: pairwise precision and recall against the demo's ground truth
    within 0.001 (CDNOW has none: the same number of customers)."""
    from platform_assets.referential.identity.matching import MatchingConfig, resolve
    from platform_assets.referential.identity.quality import measure, read_ground_truth

    shape, db, _, _, _ = built
    _, spark_dir = spark
    copy = db.parent / "identity_on_both.duckdb"
    shutil.copy(db, copy)  # resolve() leaves scratch tables only, dropped: a copy all the same
    with duckdb.connect(str(copy)) as conn:
        on_duckdb = resolve(conn, MatchingConfig())
        on_spark = resolve(conn, MatchingConfig(engine="spark", spark_dir=str(spark_dir)))
    # the records' personal data handed to Spark are not left on disk
    assert not engine.splink_handoff_folder(spark_dir).exists()
    assert on_spark.plan["comparisons"] == on_duckdb.plan["comparisons"]
    assert on_spark.clusters.height == on_duckdb.clusters.height
    truth = read_ground_truth(db.parents[1] / "ground_truth")
    if shape == "cdnow":
        assert truth is None
        assert on_spark.clusters["cluster_id"].n_unique() == on_duckdb.clusters["cluster_id"].n_unique()
        return
    duck, spark_quality = (
        measure(m.clusters.rename({"cluster_id": "customer_id"}), truth) for m in (on_duckdb, on_spark)
    )
    print(
        f"identity precision/recall: DuckDB {duck.precision:.5f}/{duck.recall:.5f}, "
        f"Spark {spark_quality.precision:.5f}/{spark_quality.recall:.5f}"
    )
    assert on_spark.splink_pairs > 0
    assert abs(spark_quality.precision - duck.precision) <= 0.001
    assert abs(spark_quality.recall - duck.recall) <= 0.001
    assert duck.precision > 0.95 and duck.recall > 0.9


def test_splink_reads_the_records_from_a_file_not_from_rows_held_in_its_plans(spark, tmp_path):
    """An Arrow table handed to Spark becomes a LocalRelation: its rows sit in every plan Splink
    builds on it, hashed at each query (at 20k customers the training had not ended after 24 min).
    The records are read from a Parquet file instead."""
    from platform_assets.referential.identity.matching import MatchingConfig, _spark_records

    _, spark_dir = spark
    with duckdb.connect() as conn:
        conn.execute(
            "create table splink_records as select 'crm:' || range as record_id, 'x' as city_std from range(50)"
        )
        records = _spark_records(conn, MatchingConfig(engine="spark", spark_dir=str(spark_dir)))
    plan = records.as_spark_dataframe()._jdf.queryExecution().analyzed().toString()
    assert "LocalRelation" not in plan and "parquet" in plan.lower()
    assert records.as_spark_dataframe().count() == 50


def test_a_python_steps_scan_on_spark_gives_duckdbs_weekly_series(built, spark):
    """The forecast's weekly sums run on Spark (lib/engine_queries.py) over the tables dbt built there
    (sales lines, products: read from Spark's files) give the series DuckDB sums; a table the Python
    assets wrote (business units) is read from a copy, removed with the results when the block ends."""
    import numpy as np

    from platform_assets.forecasts import series
    from platform_assets.lib import engine_queries

    shape, db, _, _, _ = built
    _, spark_dir = spark
    ref = date.fromisoformat(SHAPES[shape])
    with duckdb.connect(str(db), read_only=True) as conn:
        on_duckdb = series.weekly(conn, ref, 4, False)
        with engine_queries.scans(conn, "spark", spark_dir) as scan:
            on_spark = series.weekly(conn, ref, 4, False, scan)
            units = conn.sql(
                scan(
                    "select b.currency_code, count(*) as lines from sales.fct_sales_lines l "
                    "join referential.business_units b using (country_code) group by all order by all",
                    ["sales.fct_sales_lines", "referential.business_units"],
                )
            ).fetchall()
            copies = list((engine_queries.scans_folder(spark_dir)).glob("*/inputs/*/*"))
        expected = conn.execute(
            "select b.currency_code, count(*) from sales.fct_sales_lines l "
            "join referential.business_units b using (country_code) group by all order by all"
        ).fetchall()
    assert on_spark.keys.equals(on_duckdb.keys) and on_spark.weeks == on_duckdb.weeks
    assert np.array_equal(on_spark.units, on_duckdb.units)
    # CDNOW delivers no store and no catalogue: no series on either engine
    assert len(on_duckdb.weeks) > 52 if shape == "demo" else on_duckdb.weeks == []
    assert units == expected and len(units) == (3 if shape == "demo" else 1)
    assert [p.name for p in copies] == ["business_units"]  # the dbt models were read from Spark's files
    assert not any(engine_queries.scans_folder(spark_dir).iterdir())


def _same_frames(on_spark, on_duckdb, key: list[str]) -> None:
    """Same columns, types and rows (sorted by ``key``; floats to 9 decimals)."""
    import polars as pl

    def rounded(frame):
        return frame.sort(key).with_columns(pl.col(pl.Float64).round(9))

    assert on_spark.columns == on_duckdb.columns
    assert rounded(on_spark).equals(rounded(on_duckdb)), (on_spark.head(3), on_duckdb.head(3))


def test_the_features_scans_on_spark_give_duckdbs_rows(built, spark):
    """The browsing per customer and department (web events) and the CLV summaries (orders), each
    scanned on Spark, as of the shape's reference date and 90 days before, give DuckDB's rows."""
    from platform_assets.features import browsing, lifetime_value
    from platform_assets.lib import engine_queries
    from platform_assets.lib.retailer import ClvSettings

    shape, db, _, _, _ = built
    _, spark_dir = spark
    ref = date.fromisoformat(SHAPES[shape])
    checked = 0
    with (
        duckdb.connect(str(db), read_only=True) as conn,
        engine_queries.scans(conn, "spark", spark_dir) as scan,
    ):
        for as_of in (ref, ref - timedelta(days=90)):
            periods = lifetime_value.clv_periods(ClvSettings(time_unit="week", horizon=52), as_of)
            duck, on_spark = (
                lifetime_value.customer_summaries(conn, periods, s) for s in (engine_queries.on_duckdb, scan)
            )
            for part in ("now", "fit", "history"):
                _same_frames(getattr(on_spark, part), getattr(duck, part), ["customer_id"])
            checked += duck.now.height
            if shape == "demo":  # CDNOW delivers no web analytics export
                duck, on_spark = (
                    browsing.department_browsing(conn, as_of, s).pl()
                    for s in (engine_queries.on_duckdb, scan)
                )
                _same_frames(on_spark, duck, ["customer_id", "department_id"])
                assert duck.height > 0
    assert checked > 0


def test_the_profit_scans_on_spark_give_duckdbs_rows(built, spark):
    """The attribution's credits per order (orders and every touch) and the margin matrix (its window
    of sales lines scanned on Spark, classified in DuckDB) give DuckDB's rows."""
    from platform_assets.lib import engine_queries
    from platform_assets.lib.retailer import load_retailer
    from platform_assets.profit import attribution, margin_matrix

    shape, db, _, _, _ = built
    _, spark_dir = spark
    ref = date.fromisoformat(SHAPES[shape])
    retailer = load_retailer(RETAILERS_DIR / ("demo.yml" if shape == "demo" else "cdnow.yml"))
    with (
        duckdb.connect(str(db), read_only=True) as conn,
        engine_queries.scans(conn, "spark", spark_dir) as scan,
    ):
        credits = attribution.credits_sql(retailer.attribution, ref)
        duck, on_spark = (
            conn.sql(s(credits, attribution.CREDITS_READS)).pl() for s in (engine_queries.on_duckdb, scan)
        )
        _same_frames(on_spark, duck, ["order_channel", "order_id", "channel", "campaign_code"])
        assert duck.height > 0
        duck, on_spark = (
            conn.sql(margin_matrix.margin_matrix_sql(retailer.margin_matrix, ref, s)).pl()
            for s in (engine_queries.on_duckdb, scan)
        )
        _same_frames(on_spark, duck, ["business_unit", "product_id"])
        assert duck.height > 0  # CDNOW too: its products have sales, without a catalogue


def test_the_dormancy_scan_on_spark_gives_duckdbs_latest_activities(built, spark):
    """Each customer's latest activity per kind (every sales line, e-mail and web event, record update),
    which the retention step and the audiences read, scanned on Spark: DuckDB's rows."""
    from platform_assets.lib import engine_queries
    from platform_assets.lib.retailer import load_retailer
    from platform_assets.privacy import dormancy

    shape, db, _, _, _ = built
    _, spark_dir = spark
    ref = date.fromisoformat(SHAPES[shape])
    kinds = load_retailer(RETAILERS_DIR / "demo.yml").privacy.retention.activity
    with (
        duckdb.connect(str(db), read_only=True) as conn,
        engine_queries.scans(conn, "spark", spark_dir) as scan,
    ):
        duck, on_spark = (
            conn.sql(dormancy.activity_sql(conn, kinds, ref - timedelta(days=365), s)).pl()
            for s in (engine_queries.on_duckdb, scan)
        )
    _same_frames(on_spark, duck, ["customer_id", "kind"])
    assert duck["kind"].n_unique() >= (3 if shape == "demo" else 1)


def test_the_catchment_scans_on_spark_give_duckdbs_rows(built, spark, tmp_path):
    """Each customer's nearest store (customers x stores, haversine) and each store's buyers and revenue
    by band (the window's orders), scanned on Spark: DuckDB's rows."""
    from platform_assets.lib import engine_queries
    from platform_assets.lib.retailer import load_retailer
    from platform_assets.profit import catchment

    shape, db, _, _, _ = built
    _, spark_dir = spark
    ref = date.fromisoformat(SHAPES[shape])
    settings = load_retailer(RETAILERS_DIR / ("demo.yml" if shape == "demo" else "cdnow.yml")).catchment
    copy = tmp_path / "catchment.duckdb"
    shutil.copy(db, copy)  # the store catchment reads the customers' table: written here
    with duckdb.connect(str(copy)) as conn, engine_queries.scans(conn, "spark", spark_dir) as scan:
        customers = catchment.customer_catchment_sql(settings, ref)
        duck, on_spark = (
            conn.sql(s(customers, catchment.CUSTOMER_READS)).pl() for s in (engine_queries.on_duckdb, scan)
        )
        _same_frames(on_spark, duck, ["customer_id"])
        conn.execute(f"create schema features; create table {catchment.CUSTOMER_TABLE} as {customers}")
        stores = catchment.store_catchment_sql(settings, ref)
        duck_stores, spark_stores = (
            conn.sql(s(stores, catchment.STORE_READS)).pl() for s in (engine_queries.on_duckdb, scan)
        )
        _same_frames(spark_stores, duck_stores, ["store_id", "band_order"])
    assert duck.height > 0
    if shape == "demo":  # CDNOW delivers no postcodes and no stores: nobody is located
        assert duck["nearest_store_id"].is_not_null().sum() > 0 and duck_stores.height > 0


# The customer profile's query in Spark SQL (features/profile.py, ``profile_query(dialect="spark")``)
# on the catalog Spark built, against ``customer_profile`` on the DuckDB warehouse.
PROFILE_RETAILERS = {"demo": "demo.yml", "cdnow": "cdnow.yml"}


def _absent_sources(shape: str, conn: duckdb.DuckDBPyConnection) -> tuple[str, ...]:
    """The sources the profile nulls, as the features asset finds them: the retailer's, and the web
    analytics export when it delivered no event."""
    from platform_assets.lib.retailer import load_retailer

    absent = load_retailer(RETAILERS_DIR / PROFILE_RETAILERS[shape]).absent_sources
    if "web_events" not in absent:
        [(events,)] = conn.execute("select count(*) from staging.stg_web__events").fetchall()
        absent += () if events else ("web_events",)
    return absent


def _profile_differences(duck, spark) -> dict[str, int]:
    """Column -> rows of either side the other lacks (customer id and that column; floats to 9 decimals)."""
    conn = duckdb.connect()
    conn.register("duck", duck)
    conn.register("spark", spark)
    types = dict(conn.execute("select column_name, column_type from (describe duck)").fetchall())
    differing = {}
    for column, data_type in types.items():
        value = f'round("{column}", 9)' if data_type in ("DOUBLE", "FLOAT") else f'"{column}"'
        only = sum(
            conn.execute(
                f"select count(*) from (select customer_id, {value} from {a} except all "
                f"select customer_id, {value} from {b})"
            ).fetchall()[0][0]
            for a, b in (("duck", "spark"), ("spark", "duck"))
        )
        if only:
            differing[column] = only
    return differing


def test_the_profile_query_on_spark_gives_the_profile_duckdb_gives(built, spark):
    """As of the shape's reference date and 90 days before: the same customers, columns (names,
    order, types as DuckDB reads Spark's result back) and values, the indicators of the sources a
    retailer does not deliver null on both (CDNOW)."""
    from datetime import timedelta

    from platform_assets.features import profile

    shape, db, _, _, _ = built
    session, _ = spark
    reference_date = date.fromisoformat(SHAPES[shape])
    with duckdb.connect(str(db), read_only=True) as conn:
        absent = _absent_sources(shape, conn)
        departments = profile.departments(conn)
        for as_of in (reference_date, reference_date - timedelta(days=90)):
            duck = profile.customer_profile(conn, as_of, absent).to_arrow_table()
            spark_rows = session.sql(
                profile.profile_query(as_of, departments, absent, dialect="spark")
            ).toArrow()
            assert spark_rows.schema.names == duck.schema.names
            assert {f.name: str(f.type) for f in spark_rows.schema} == {
                f.name: str(f.type) for f in duck.schema
            }
            assert spark_rows.num_rows == duck.num_rows > 300
            assert _profile_differences(duck, spark_rows) == {}
            nulled = profile.null_indicators(absent)
            filled = {n for n in duck.schema.names if duck[n].null_count < duck.num_rows}
            if shape == "demo":  # every source delivered: the browsing, e-mail and consent columns compared
                assert nulled == []
                assert {"web_sessions_90d", "email_open_rate_12m", "has_email_consent", "age_years"} <= filled
            else:  # CDNOW: no web shop, e-mail, loyalty, consent, acquisition or browsing data
                assert len(nulled) >= 20
                assert not set(nulled) & {
                    n for n in spark_rows.schema.names if spark_rows[n].null_count < spark_rows.num_rows
                }
            assert {
                "frequency_lifetime",
                "monetary_12m",
                "trend_days_between_purchases",
                "last_gap_days",
            } <= filled


# Each per-dialect fragment of the profile's SQL (features/dialects.py) on crafted values, corners
# included (29 February birthdays, month ends, ties, nulls, halves of a cent), run by both engines.
FRAGMENT_CASES = {
    "days, weekend, whole years": """
        select k, $days(a, b) as days, $is_weekend(a) as weekend, $years_between(b, a) as years
        from (
            select k, cast(a as date) as a, cast(b as date) as b from (values
                (1, '2024-03-01', '2024-02-28'), (2, '2026-02-28', '2000-02-29'), (3, '2024-02-28', '2000-02-29'),
                (4, '2024-02-29', '2000-02-29'), (5, '2026-03-30', '2000-03-31'), (6, '2024-02-29', '1999-02-28'),
                (7, '2026-06-14', '2010-06-15'), (8, '2026-06-15', '2010-06-15'), (9, '2026-01-01', '2027-01-01'),
                (10, '2026-12-05', '2026-06-15'), (11, '2026-12-06', null), (12, '2026-12-07', '2026-12-31')
            ) as t(k, a, b)
        )""",
    "the two latest days, the gap between them": """
        select k, $days($item(two, 1), $item(two, 2)) as gap, $item(two, 1) as latest, $item(two, 2) as second
        from (
            select k, $max_two(d) as two
            from (
                select k, cast(d as date) as d from (values
                    (1, '2026-01-01'), (2, '2026-01-01'), (2, '2026-03-01'), (2, '2026-02-01')
                ) as t(k, d)
            )
            group by k
        )""",
    "exact integers, microseconds": """
        select k, cast($div(cast(n as $int128()) * (n + 1) * (2 * n + 1), 6) as bigint) as squares,
            $epoch_us(ts) * 4 + 1 as choice
        from (
            select k, cast(n as bigint) as n, cast(ts as timestamp) as ts from (values
                (1, 1, '1997-01-01 00:00:00'), (2, 3650, '2026-11-01 23:59:59.123456')
            ) as t(k, n, ts)
        )""",
    "ratios of decimals, cents of doubles": """
        select k, $ratio(a, b) as ratio, $round_cents(cast(x as double)) as cents,
            $round_cents($ratio(a, cast(3 as bigint))) as third
        from (
            select k, cast(a as decimal(38, 2)) as a, cast(b as decimal(38, 2)) as b, x from (values
                (1, 1.00, 3.00, 1.005), (2, 10.01, 2.00, 5.005), (3, 2.67, 7.00, 2.675), (4, -2.68, 0.07, -2.675),
                (5, 100.00, 3.00, 0.125), (6, 0.01, 99999999.99, 12.3449999)
            ) as t(k, a, b, x)
        )""",
    "first by an order, any value": """
        select k, $first_by(v, n desc, amount desc, v) as first, $any_value(w) as any
        from (
            select k, v, cast(n as bigint) as n, cast(amount as decimal(18, 2)) as amount, w from (values
                (1, 'b', 2, 10.00, null), (1, 'a', 2, 10.00, 'x'), (1, 'c', 1, 99.00, null),
                (2, null, 3, 1.00, null), (2, 'z', 3, 1.00, null), (2, 'y', 3, 0.50, 'w'),
                (3, 'q', null, 5.00, 'u'), (3, 'p', 1, 5.00, 'u')
            ) as t(k, v, n, amount, w)
        )
        group by k""",
}


@pytest.mark.parametrize("case", list(FRAGMENT_CASES))
def test_each_dialect_fragment_gives_the_same_values_on_both_engines(spark, case):
    from platform_assets.features.dialects import render

    session, _ = spark
    sql = FRAGMENT_CASES[case] + " order by k"
    on_duckdb = duckdb.sql(render(sql, "duckdb")).fetchall()
    on_spark = [tuple(row) for row in session.sql(render(sql, "spark")).collect()]
    assert on_spark == on_duckdb
    assert len(on_duckdb) >= 2


def test_the_profile_scanned_on_spark_is_duckdbs_with_its_types(built, spark):
    """``customer_profile`` with the Spark scan (the query over views of the tables it reads, read back
    with the types DuckDB binds its own query to): the same columns, types and rows as on DuckDB."""
    from platform_assets.features import profile
    from platform_assets.lib import engine_queries

    shape, db, _, _, _ = built
    _, spark_dir = spark
    ref = date.fromisoformat(SHAPES[shape])
    with (
        duckdb.connect(str(db), read_only=True) as conn,
        engine_queries.scans(conn, "spark", spark_dir) as scan,
    ):
        absent = _absent_sources(shape, conn)
        duck, on_spark = (
            profile.customer_profile(conn, ref, absent, s).pl() for s in (engine_queries.on_duckdb, scan)
        )
    assert on_spark.schema == duck.schema
    _same_frames(on_spark, duck, ["customer_id"])
    assert duck.height > 0 and duck["frequency_lifetime"].sum() > 0


def _comparable_frame(frame):
    """A frame as both engines' results compare: integers as Int64, decimals and floats as doubles to 9
    decimals, times without a zone; rows sorted."""
    import polars as pl

    columns = []
    for name, dtype in frame.schema.items():
        column = pl.col(name)
        if dtype.is_integer():
            column = column.cast(pl.Int64)
        elif dtype.is_float() or isinstance(dtype, pl.Decimal):
            column = column.cast(pl.Float64).round(9)
        elif isinstance(dtype, pl.Datetime) and dtype.time_zone:
            column = column.dt.replace_time_zone(None)
        columns.append(column)
    comparable = frame.select(columns)
    return comparable.sort(comparable.columns, nulls_last=True)


@pytest.fixture(scope="module")
def scores_scan(built, spark):
    """(shape, reference date, the shape's DuckDB warehouse, a scan on Spark): one block for the scores'
    tests of a shape, so that each table is handed to Spark once."""
    from platform_assets.lib import engine_queries

    shape, db, _, _, _ = built
    _, spark_dir = spark
    with (
        duckdb.connect(str(db), read_only=True) as conn,
        engine_queries.scans(conn, "spark", spark_dir) as scan,
    ):
        yield shape, date.fromisoformat(SHAPES[shape]), conn, scan
    assert not any(engine_queries.scans_folder(spark_dir).iterdir())  # copies and results removed


class _OnBoth:
    """Reads a frame with a function of ``scan`` on Spark and on DuckDB, asserts they are the same
    (columns in order, types, rows as ``_comparable_frame`` has them) and keeps both."""

    def __init__(self, scan):
        self.scan, self.frames, self.on_spark = scan, {}, {}

    def __call__(self, what: str, read) -> None:
        from platform_assets.lib.engine_queries import on_duckdb

        on_spark, on_duckdb_ = read(self.scan), read(on_duckdb)
        pairs = on_duckdb_.items() if isinstance(on_duckdb_, dict) else [(None, on_duckdb_)]
        if isinstance(on_duckdb_, dict):
            assert list(on_spark) == list(on_duckdb_), what
        for key, duck in pairs:
            name = what if key is None else f"{what} {key}"
            other = on_spark if key is None else on_spark[key]
            assert other.columns == duck.columns, name
            # the same types (lib/engine_queries.with_types_of): code downstream computes with them
            differing = {c: (t, duck.schema[c]) for c, t in other.schema.items() if duck.schema[c] != t}
            assert differing == {}, f"{name}: types (Spark, DuckDB) {differing}"
            left, right = _comparable_frame(other), _comparable_frame(duck)
            assert left.equals(right), f"{name}: {left.join(right, on=left.columns, how='anti').head(3)}"
            self.frames[name], self.on_spark[name] = duck, other

    def rows(self) -> dict[str, int]:
        return {name: frame.height for name, frame in self.frames.items()}


def test_the_churn_scans_on_spark_give_duckdbs_frames(scores_scan):
    """The churn model's reads of the sales lines, orders, e-mail and web events (scores/churn/data.py)
    on Spark give DuckDB's frames, at the reference date and at an earlier training cutoff. CDNOW has
    no web source (browsing is not read) and no e-mail (no e-mail sent)."""
    from datetime import timedelta

    from platform_assets.lib import web_events
    from platform_assets.scores.churn import data

    shape, ref, conn, scan = scores_scan
    earlier = ref - timedelta(days=180)
    both = _OnBoth(scan)
    both("gaps", lambda s: data.inter_purchase_gaps(conn, ref, s))
    both(f"behaviour {ref}", lambda s: data.behaviour_as_of(conn, ref, s))
    both(f"behaviour {earlier}", lambda s: data.behaviour_as_of(conn, earlier, s))
    both("buyers", lambda s: data.buyers_between(conn, earlier, ref, s))
    web_start = web_events.history_start(conn, ref)
    if web_start is not None:
        both("browsing", lambda s: data.browsing_as_of(conn, [earlier, ref], web_start, s))
    rows = both.rows()
    print(f"churn frames on both engines ({shape}): {rows}")
    assert all(n > 0 for name, n in rows.items() if not name.startswith("browsing")), rows
    sent = both.frames[f"behaviour {ref}"]["sent_recent"].sum()
    if shape == "demo":
        assert rows[f"browsing {ref}"] > 0 and rows[f"browsing {earlier}"] > 0 and sent > 0
    else:
        assert web_start is None and sent == 0


def test_the_appetence_scans_on_spark_give_duckdbs_frames(scores_scan):
    """The appetence model's reads (scores/appetence/data.py) on Spark give DuckDB's frames: the run's
    history of purchase days and web events, the rows at the scoring cutoff (every customer) and at the
    earliest training cutoff (a sample of customers: a table of the step's, copied to Spark), the
    purchases of the label window. CDNOW delivers no catalogue (no department: no rows on either)."""
    from platform_assets.lib import engine_queries, web_events
    from platform_assets.scores.appetence import data, scoring

    shape, ref, conn, scan = scores_scan
    cuts = scoring.cutoffs(ref)
    earliest = scoring.training_cutoffs(cuts["backtest_training"])[-1]
    both = _OnBoth(scan)
    # with the web events where there are (the run reads them when the web data path built its table,
    # which the fixture does not materialise)
    browsing = web_events.history_start(conn, ref) is not None
    with (
        data.History(conn, earliest, ref, browsing) as on_duckdb,
        data.History(conn, earliest, ref, browsing, scan) as on_spark,
    ):
        histories = {engine_queries.on_duckdb: on_duckdb, scan: on_spark}
        both("history days", lambda s: conn.sql(f"select * from {histories[s].days}").pl())
        if browsing:
            both("history events", lambda s: conn.sql(f"select * from {histories[s].events}").pl())
        population = data.population(conn, earliest, on_duckdb)
        sample = scoring.training_sample(population, max(population.height // 2, 1))
        both(
            "rows scoring", lambda s: data.rows_as_of(conn, cuts["scoring"], browsing, None, histories[s], s)
        )
        both("rows sample", lambda s: data.rows_as_of(conn, earliest, browsing, sample, histories[s], s))
    both("bought", lambda s: data.bought_between(conn, cuts["backtest_evaluation"], ref, s))
    rows = both.rows()
    print(f"appetence frames on both engines ({shape}): {rows}")
    if shape == "demo":
        assert browsing and all(n > 0 for n in rows.values()), rows
        sampled = both.frames["rows sample"]["customer_id"].unique()
        assert 0 < sampled.len() <= population.height // 2 and sampled.is_in(sample["customer_id"]).all()
        assert both.frames["rows scoring"]["product_views_365d"].sum() > 0
    else:
        assert not browsing and set(rows.values()) == {0}, rows


def test_the_life_moment_scans_on_spark_give_duckdbs_frames(scores_scan):
    """The life moments' reads of the sales lines and web events (scores/life_moments/signals.py) on
    Spark give DuckDB's frames: the entries seen before the reference date, the covariates at it and
    at an earlier cutoff, the browsing at both. CDNOW (no catalogue, no web source): the demo's
    moments find no signal line and no entry on either engine."""
    from datetime import timedelta

    from platform_assets.lib import web_events
    from platform_assets.lib.retailer import load_retailer
    from platform_assets.scores.life_moments import signals

    shape, ref, conn, scan = scores_scan
    earlier = ref - timedelta(days=150)
    moments = signals.moments(load_retailer(RETAILERS_DIR / "demo.yml").life_moments)
    both = _OnBoth(scan)
    both("entries", lambda s: signals.entries(conn, ref, moments, s))
    both(f"covariates {ref}", lambda s: signals.covariates(conn, ref, moments, s))
    both(f"covariates {earlier}", lambda s: signals.covariates(conn, earlier, moments, s))
    web_start = web_events.history_start(conn, ref)
    if web_start is not None:
        both("browsing", lambda s: signals.browsing(conn, [earlier, ref], web_start, moments, s))
    rows = both.rows()
    print(f"life moment frames on both engines ({shape}): {rows}")
    assert rows[f"covariates {ref}"] > 0 and rows[f"covariates {earlier}"] > 0
    # entries come sorted from Spark's files too, as the DuckDB query returns them
    entries = both.frames["entries"]
    assert both.on_spark["entries"].equals(entries) and entries.equals(entries.sort(entries.columns))
    covariates = both.frames[f"covariates {ref}"]
    if shape == "demo":
        assert set(entries["moment"]) == set(signals.MOMENT_NAMES)
        assert covariates["renovation_signal_lines_90d"].sum() > 0 and rows[f"browsing {ref}"] > 0
    else:
        assert (
            web_start is None and entries.height == 0 and covariates["renovation_signal_lines_90d"].sum() == 0
        )


def test_the_last_scans_of_the_facts_on_spark_give_duckdbs_rows(built, spark, tmp_path):
    """The campaign results' members with their sales in the windows, the cookies the web stitching is
    measured on, and a local score's target events of each declared kind (purchase, e-mail, web),
    scanned on Spark: DuckDB's rows."""
    from types import SimpleNamespace

    from platform_assets.activation import results
    from platform_assets.activation.columns import AUDIENCE_HISTORY as HISTORY_COLUMNS
    from platform_assets.activation.store import AUDIENCE_HISTORY
    from platform_assets.lib import engine_queries
    from platform_assets.referential import web_stitching
    from platform_assets.scores.local import data
    from platform_assets.scores.local.declaration import EmailTarget, PurchaseTarget, WebTarget

    shape, db, _, _, _ = built
    _, spark_dir = spark
    ref = date.fromisoformat(SHAPES[shape])
    copy = tmp_path / "last_scans.duckdb"
    shutil.copy(db, copy)  # the members read the platform's audience history: none yet, written empty
    with duckdb.connect(str(copy)) as conn, engine_queries.scans(conn, "spark", spark_dir) as scan:
        columns = ", ".join(f"null::{type_} as {name}" for name, type_, _ in HISTORY_COLUMNS)
        conn.execute(f"create table {AUDIENCE_HISTORY} as select {columns} where false")
        members = results.members_sql(ref)
        duck, on_spark = (
            conn.sql(s(members, results.MEMBERS_READS)).pl() for s in (engine_queries.on_duckdb, scan)
        )
        _same_frames(on_spark, duck, ["campaign_code", "customer_id"])
        duck_cookies, spark_cookies = (
            conn.sql(s(web_stitching.COOKIES_SQL, web_stitching.COOKIES_READS)).pl()
            for s in (engine_queries.on_duckdb, scan)
        )
        _same_frames(spark_cookies, duck_cookies, ["cookie_id"])
        targets = [
            PurchaseTarget(event="purchase", horizon_days=120, departments=("Kitchen",)),
            EmailTarget(event="email", horizon_days=90, event_types=("open", "click")),
            WebTarget(event="web", horizon_days=90, event_types=("product_view",)),
        ]
        events = {}
        for target in targets:
            score = SimpleNamespace(declaration=SimpleNamespace(target=target), path="test")
            start = ref - timedelta(days=target.horizon_days)
            duck_events, spark_events = (
                data.had_event(conn, score, start, ref, s) for s in (engine_queries.on_duckdb, scan)
            )
            assert spark_events == duck_events, target.event
            events[target.event] = len(duck_events)
    if shape == "demo":  # CDNOW has no campaign, web event, e-mail or catalogue
        assert duck.height > 0 and min(events.values()) > 0
