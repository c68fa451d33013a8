"""The engine setting (CDP_ENGINE): validated, mapped to a dbt target, Spark refused with what to install
when it is missing; the profile's spark target and the Python session open Spark alike; the Spark
dialect of the typed raw columns. Fast: no JVM (tests/spark builds on Spark)."""

from pathlib import Path

import pytest
import yaml

from platform_assets.landing.contracts import CONTRACTS, col, spark_pattern, typed_sql
from platform_assets.lib import engine
from platform_assets.lib.resources import resources_from_env, settings_from_env
from platform_assets.lib.settings import DBT_PROJECT_DIR


def test_duckdb_is_the_default_engine_and_its_dbt_target_is_dev():
    settings = settings_from_env({})
    assert settings.engine == "duckdb"
    assert resources_from_env({})["dbt"].target == "dev"
    assert settings.spark_path == settings.data_path / "spark"


def test_an_unknown_engine_is_refused_naming_the_variable():
    with pytest.raises(ValueError, match="CDP_ENGINE: Input should be 'duckdb' or 'spark'"):
        settings_from_env({"CDP_ENGINE": "snowflake"})
    with pytest.raises(ValueError, match="CDP_ENGINE='snowflake'"):
        engine.dbt_target("snowflake")


def test_spark_selects_the_spark_target_and_its_own_folder(tmp_path, monkeypatch):
    monkeypatch.setattr("platform_assets.lib.resources.require", lambda engine: None)  # installed or not
    environ = {"CDP_ENGINE": "spark", "CDP_SPARK_DIR": str(tmp_path / "s"), "CDP_SPARK_MASTER": "local[1]"}
    resources = resources_from_env(environ)
    assert resources["dbt"].target == "spark"
    assert resources["platform"].spark_path == tmp_path / "s"
    assert resources["platform"].spark_master == "local[1]"


def test_spark_missing_is_refused_saying_what_to_install():
    def no_pyspark(module):
        return None if module == "pyspark" else object()

    missing = engine.missing_for("spark", which=lambda _: None, find_spec=no_pyspark)
    assert missing == [
        "the Python package pyspark",
        "java on PATH (Java 17, e.g. Debian's openjdk-17-jre-headless)",
    ]
    with pytest.raises(engine.EngineUnavailableError, match="make install-spark"):
        engine.require("spark", which=lambda _: None, find_spec=no_pyspark)
    assert engine.missing_for("duckdb", which=lambda _: None, find_spec=lambda _: None) == []
    engine.require("spark", which=lambda _: "/usr/bin/java", find_spec=lambda _: object())  # all there


def test_the_profile_and_the_python_session_open_spark_alike(monkeypatch):
    """lib/engine.spark_conf is the profile's spark target: the same catalog, UTC, no progress bars."""
    profile = yaml.safe_load((DBT_PROJECT_DIR / "profiles.yml").read_text())
    outputs = profile["customer_scoring"]["outputs"]
    assert set(outputs) == {engine.dbt_target(e) for e in engine.ENGINES}
    parameters = outputs["spark"]["server_side_parameters"]
    for variable in ("CDP_SPARK_DRIVER_MEMORY", "CDP_SPARK_SHUFFLE_PARTITIONS"):
        monkeypatch.delenv(variable, raising=False)
    conf = engine.spark_conf(Path("/x"))
    assert set(parameters) == set(conf)
    assert parameters["spark.ui.showConsoleProgress"] == conf["spark.ui.showConsoleProgress"] == "false"
    assert parameters["spark.sql.session.timeZone"] == conf["spark.sql.session.timeZone"] == "UTC"
    assert conf["spark.sql.warehouse.dir"] == "/x/warehouse"
    for key in ("spark.sql.warehouse.dir", "spark.hadoop.javax.jdo.option.ConnectionURL"):
        assert "CDP_SPARK_DIR" in parameters[key]
    # the sizes a bigger run sets, from the same variables with the same defaults
    for key, variable in (
        ("spark.driver.memory", "CDP_SPARK_DRIVER_MEMORY"),
        ("spark.sql.shuffle.partitions", "CDP_SPARK_SHUFFLE_PARTITIONS"),
    ):
        assert f"env_var('{variable}', '{conf[key]}')" in parameters[key]
        monkeypatch.setenv(variable, "8")
        assert engine.spark_conf(Path("/x"))[key] == "8"


def test_typed_columns_in_the_spark_dialect():
    by_name = {(c.table, column.name): column for c in CONTRACTS for column in c.columns}
    instant = by_name[("ecommerce_orders", "ordered_at")]
    assert typed_sql(instant, "spark") == "try_cast(nullif(trim(`ordered_at`), '') as timestamp)"
    assert (
        typed_sql(instant) == "try_cast(nullif(trim(\"ordered_at\"), '') as timestamptz) at time zone 'UTC'"
    )
    assert "decimal(14, 2)" in typed_sql(by_name[("marketing_spend", "spend")], "spark")
    day = col("day", "date", "A day/month/year date.", fmt="%d/%m/%Y")
    assert typed_sql(day, "spark") == "cast(try_to_timestamp(nullif(trim(`day`), ''), 'dd/MM/yyyy') as date)"
    with pytest.raises(ValueError, match="no dialect 'oracle'"):
        typed_sql(day, "oracle")


def test_strptime_patterns_in_spark():
    assert spark_pattern("%Y-%m-%d %H:%M:%S") == "yyyy-MM-dd HH:mm:ss"
    assert spark_pattern("%Y%m%dT%H") == "yyyyMMdd'T'HH"
    with pytest.raises(ValueError, match="%j has no Spark equivalent"):
        spark_pattern("%Y-%j")


def test_sources_are_handed_over_as_parquet_and_models_read_back(tmp_path):
    """The graph's hand-off on Spark, without a JVM: DuckDB tables to Parquet folders dbt registers,
    and a Spark table's Parquet files (written here by DuckDB) back into the warehouse."""
    import duckdb

    handoff = engine.handoff_path(tmp_path / "spark")
    stale = handoff / "raw" / "gone"
    stale.mkdir(parents=True)
    with duckdb.connect() as conn:
        conn.execute("create schema raw; create table raw.a as select range as x from range(5)")
        written = engine.export_for_spark(conn, ["raw.a", "raw.not_built_yet"], handoff)
        assert written == {"raw.a": 5}  # a table not in the warehouse yet is not handed over
        assert not stale.exists()  # nor anything an earlier step left
        assert conn.execute(f"select count(*) from '{handoff}/raw/a/*.parquet'").fetchall() == [(5,)]

        files = engine.spark_table_files(tmp_path / "spark", "staging.b")
        assert files == tmp_path / "spark" / "warehouse" / "staging.db" / "b"
        files.mkdir(parents=True)
        for part in range(2):  # Spark writes a table as part files
            conn.execute(f"copy (select {part} as y) to '{files / f'part-{part}.parquet'}' (format parquet)")
        conn.execute("create schema staging; create view staging.b as select 1 as y")  # DuckDB's view
        assert engine.import_from_spark(conn, ["staging.b"], tmp_path / "spark") == {"staging.b": 2}
        assert conn.execute(
            "select table_type from information_schema.tables where table_name = 'b'"
        ).fetchall() == [("BASE TABLE",)]
        # a table there already (an earlier run on either engine, a DuckDB model materialised as a
        # table) is replaced too: ``drop view`` fails on a table (the 20k demo on a DuckDB warehouse)
        conn.execute("create or replace table staging.b as select 7 as y from range(3)")
        assert engine.import_from_spark(conn, ["staging.b"], tmp_path / "spark") == {"staging.b": 2}
        assert conn.execute("select sum(y) from staging.b").fetchall() == [(1,)]


def test_the_dbt_sources_of_the_manifest(tmp_path):
    manifest = tmp_path / "manifest.json"
    manifest.write_text(
        '{"sources": {"s1": {"schema": "raw", "identifier": "pos_receipts"}, '
        '"s2": {"schema": "referential", "identifier": "customer_xref"}}}'
    )
    assert engine.dbt_sources(manifest) == ["raw.pos_receipts", "referential.customer_xref"]
