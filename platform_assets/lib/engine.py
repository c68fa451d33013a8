"""The engine the dbt models (and Splink) run on: DuckDB (the default) or Spark (``CDP_ENGINE=spark``).

DuckDB stays the working warehouse of the Python assets and the published files either way. On Spark,
the dbt project builds with the ``spark`` target of ``dbt_project/profiles.yml`` (dbt-spark's session
method: Spark runs inside dbt's own process, ``local[2]`` unless ``CDP_SPARK_MASTER`` says otherwise),
and tables cross between the engines as Parquet files (``export_for_spark``, ``import_from_spark``).
Spark is an optional install (``make install-spark``: the ``spark`` dependency group, Java 17).

The Spark session settings are the profile's (``spark_conf``; ``tests/spark`` checks they agree):
console progress bars off (dagster-dbt reads dbt's log lines), the session in UTC, tables as Parquet
under ``<spark_dir>/warehouse`` and their catalog in an embedded Derby metastore under ``<spark_dir>``,
which one process at a time can open (more need a Hive metastore or a Thrift server: the README's
"Going to a cluster").
"""

from __future__ import annotations

import importlib.util
import os
import shutil
from collections.abc import Iterable
from pathlib import Path
from typing import Literal

from platform_assets.lib.tables import relation_exists, table_exists

Engine = Literal["duckdb", "spark"]
ENGINES: tuple[str, ...] = ("duckdb", "spark")

# engine -> the dbt target of dbt_project/profiles.yml
DBT_TARGETS = {"duckdb": "dev", "spark": "spark"}


class EngineUnavailableError(RuntimeError):
    """The engine asked for is not installed on this machine."""


def dbt_target(engine: str) -> str:
    """The profiles.yml target that builds the dbt models on ``engine``."""
    if engine not in DBT_TARGETS:
        raise ValueError(f"CDP_ENGINE={engine!r}: use one of {', '.join(ENGINES)}")
    return DBT_TARGETS[engine]


def missing_for(engine: str, which=shutil.which, find_spec=importlib.util.find_spec) -> list[str]:
    """What ``engine`` needs that this machine lacks (nothing for DuckDB)."""
    if engine != "spark":
        return []
    missing = [
        f"the Python package {name}"
        for name in ("pyspark", "dbt.adapters.spark")
        if not _has(name, find_spec)
    ]
    if which("java") is None:
        missing.append("java on PATH (Java 17, e.g. Debian's openjdk-17-jre-headless)")
    return missing


def _has(module: str, find_spec) -> bool:
    try:
        return find_spec(module) is not None
    except ModuleNotFoundError:  # a parent package is missing
        return False


def require(engine: str, **probes) -> None:
    """Refuses an engine this machine cannot run, saying what to install."""
    missing = missing_for(engine, **probes)
    if missing:
        raise EngineUnavailableError(
            f"CDP_ENGINE={engine} needs {'; '.join(missing)}: run `make install-spark` "
            "(the optional `spark` dependency group) with Java 17 installed, or unset CDP_ENGINE for DuckDB"
        )


def spark_conf(spark_dir: Path | str, master: str = "local[2]") -> dict[str, str]:
    """The Spark session settings of the ``spark`` target of profiles.yml (its server_side_parameters),
    for a Python process that opens the same catalog (the tests, Splink on Spark)."""
    spark_dir = Path(spark_dir)
    return {
        "spark.master": master,
        "spark.app.name": "customer_scoring_dbt",
        "spark.ui.showConsoleProgress": "false",
        "spark.ui.enabled": "false",
        "spark.sql.session.timeZone": "UTC",
        # as the profile: CDP_SPARK_SHUFFLE_PARTITIONS and CDP_SPARK_DRIVER_MEMORY size a bigger run
        "spark.sql.shuffle.partitions": os.environ.get("CDP_SPARK_SHUFFLE_PARTITIONS") or "4",
        "spark.driver.memory": os.environ.get("CDP_SPARK_DRIVER_MEMORY") or "2g",
        "spark.sql.warehouse.dir": str(spark_dir / "warehouse"),
        "spark.hadoop.javax.jdo.option.ConnectionURL": (
            f"jdbc:derby:;databaseName={spark_dir / 'metastore_db'};create=true"
        ),
        "spark.driver.extraJavaOptions": f"-Dderby.system.home={spark_dir}",
    }


def spark_session(spark_dir: Path | str, master: str = "local[2]"):
    """The process's Spark session on the catalog under ``spark_dir`` (created on first use). dbt-spark's
    session method, run in the same process (``dbt.cli.main.dbtRunner``), reuses it."""
    require("spark")
    from pyspark.sql import SparkSession

    Path(spark_dir).mkdir(parents=True, exist_ok=True)
    from splink.backends.spark import similarity_jar_location

    # with Splink's jar of similarity functions: Splink on Spark in the same process (tests) finds them
    builder = SparkSession.builder.enableHiveSupport().config("spark.jars", similarity_jar_location())
    for key, value in spark_conf(spark_dir, master).items():
        builder = builder.config(key, value)
    session = builder.getOrCreate()
    session.sparkContext.setLogLevel("ERROR")
    return session


# The graph on Spark (CDP_ENGINE=spark): a dbt step hands the sources the Python assets wrote to DuckDB
# over as Parquet files, which dbt registers on Spark before it builds (macros/portable.sql,
# register_spark_sources: dbt's own process, the only one that opens Spark's catalog), and reads back
# every model it built from the Parquet files of Spark's warehouse, so that the Python assets after it
# read them in DuckDB as before. No Spark session in the Dagster process: Derby's catalog allows one.


def handoff_path(spark_dir: Path | str) -> Path:
    """Where the sources are handed to Spark: ``<spark_dir>/handoff/<schema>/<table>/``."""
    return Path(spark_dir) / "handoff"


def dbt_sources(manifest_path: Path | str) -> list[str]:
    """Every dbt source of the manifest, as ``schema.table``."""
    import json

    manifest = json.loads(Path(manifest_path).read_text())
    return sorted({f"{s['schema']}.{s['identifier']}" for s in manifest["sources"].values()})


def export_for_spark(conn, tables: Iterable[str], folder: Path) -> dict[str, int]:
    """Writes each DuckDB table that exists (``schema.table``) as ``folder/<schema>/<table>/data.parquet``,
    in place of what ``folder`` held; the rows written per table."""
    existing = {
        f"{schema}.{name}"
        for schema, name in conn.execute(
            "select table_schema, table_name from information_schema.tables where table_catalog = current_database()"
        ).fetchall()
    }
    shutil.rmtree(folder, ignore_errors=True)  # what the warehouse no longer holds is not handed over
    written = {}
    for table in tables:
        if table not in existing:
            continue  # not built yet: no dbt node of this step reads it
        parquet_copy(conn, table, folder)
        written[table] = conn.execute(f"select count(*) from {table}").fetchall()[0][0]
    return written


def parquet_copy(conn, table: str, folder: Path) -> Path:
    """Writes DuckDB's ``schema.table`` (a view too) as ``folder/<schema>/<table>/data.parquet``; that folder."""
    schema, name = table.split(".")
    target = folder / schema / name
    target.mkdir(parents=True, exist_ok=True)
    conn.execute(f"copy (select * from {table}) to '{target / 'data.parquet'}' (format parquet)")
    return target


def spark_table_files(spark_dir: Path | str, table: str) -> Path:
    """The folder of a managed Spark table's Parquet files (``<warehouse>/<schema>.db/<table>``)."""
    schema, name = table.split(".")
    return Path(spark_dir) / "warehouse" / f"{schema}.db" / name


def import_from_spark(conn, tables: Iterable[str], spark_dir: Path | str) -> dict[str, int]:
    """Replaces each DuckDB table (``schema.table``; a view of that name too) with the rows of the
    Spark table of that name, read from its Parquet files; the rows read per table."""
    read = {}
    for table in tables:
        schema, name = table.split(".")
        files = spark_table_files(spark_dir, table)
        conn.execute(f"create schema if not exists {schema}")
        # a view DuckDB's dbt built there (``drop view`` fails on a table, as an earlier Spark run left)
        if relation_exists(conn, table) and not table_exists(conn, table):
            conn.execute(f"drop view {schema}.{name}")
        conn.execute(
            f"create or replace table {schema}.{name} as select * from read_parquet('{files}/*.parquet')"
        )
        read[table] = conn.execute(f"select count(*) from {schema}.{name}").fetchall()[0][0]
    return read


def splink_handoff_folder(spark_dir: Path | str | None) -> Path:
    """Where the records Splink matches are handed to Spark, a Parquet file a run (its own name: a
    plan Spark cached for an earlier run's file is never taken for it): ``<spark_dir>/splink/handoff``."""
    return Path(spark_dir or ".") / "splink" / "handoff"


def python_spark_session(spark_dir: Path | str | None, master: str = "local[2]"):
    """A Spark session for a Python step (identity resolution's Splink, a scan on the engine:
    ``engine_queries.py``): Splink's jar of similarity functions, no metastore (dbt's process owns the
    catalog: the step's tables live in the session's memory), scratch under ``<spark_dir>/python``.
    An existing session of the process is reused."""
    require("spark")
    from pyspark.sql import SparkSession
    from splink.backends.spark import similarity_jar_location

    scratch = Path(spark_dir or ".") / "python"
    scratch.mkdir(parents=True, exist_ok=True)
    conf = {
        key: value
        for key, value in spark_conf(spark_dir or ".", master).items()
        if not key.startswith("spark.hadoop.javax.jdo") and key != "spark.driver.extraJavaOptions"
    }
    builder = SparkSession.builder.config("spark.jars", similarity_jar_location())
    for key, value in {**conf, "spark.sql.warehouse.dir": str(scratch)}.items():
        builder = builder.config(key, value)
    session = builder.getOrCreate()
    session.sparkContext.setLogLevel("ERROR")
    return session
