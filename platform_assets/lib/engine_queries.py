"""A Python step's scan on the run's engine: DuckDB, or Spark reading the same tables.

The Python assets write DuckDB tables either way (the working file the analysts' copy is published
from). What grows with the facts — a scan of every sales line or web event — runs where the dbt models
run: on DuckDB (the default) in the working file; on Spark (``CDP_ENGINE=spark``) in a Spark session of
the run's process, which its steps share (``lib/engine.py``: no metastore, dbt's process owns the
catalog). There the query
reads the same schema-qualified tables: a dbt model from the Parquet files Spark built it into (when
they hold the rows the working file holds), any other table from a Parquet copy of the working file's.
The step gets back a DuckDB query over the result's Parquet files and writes its table from it as it
does on DuckDB; copies and results are removed when the block ends.

    with warehouse.connect() as conn, platform.scans(conn) as scan:  # lib/settings.py
        rows = replace_table(conn, TABLE, scan(duckdb_sql, reads=[...]))

``spark_sql`` defaults to ``duckdb_sql`` translated by sqlglot (the library Splink's own SQL goes
through), which refuses what it cannot translate rather than dropping it; the result is read with the
types DuckDB binds ``duckdb_sql`` to (``with_types_of``).
"""

from __future__ import annotations

import re
import shutil
import time
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
from dagster import get_dagster_logger

from platform_assets.lib import engine as engines


class Scan:
    """Where a step's scans run: ``scan(duckdb_sql, reads, spark_sql=None)`` is the SQL DuckDB runs to
    read the query's result. This one, the DuckDB engine's: the query itself, in the working file."""

    engine = "duckdb"

    def __call__(self, duckdb_sql: str, reads: Iterable[str] = (), spark_sql: str | None = None) -> str:
        return duckdb_sql


on_duckdb = Scan()


def to_spark(duckdb_sql: str) -> str:
    """``duckdb_sql`` in Spark SQL (sqlglot); a construct without a Spark form is an error, not a guess."""
    import sqlglot

    [translated] = sqlglot.transpile(
        duckdb_sql, read="duckdb", write="spark", unsupported_level=sqlglot.ErrorLevel.RAISE
    )
    return translated


def scans_folder(spark_dir: Path | str) -> Path:
    """Where a step's copies and results live while it runs: ``<spark_dir>/scans/<step>/``."""
    return Path(spark_dir) / "scans"


def view_name(table: str) -> str:
    """The session's temporary view of ``schema.table`` (``schema__table``): a view, not a table of a
    catalog, so that nothing is written to or dropped from a metastore the session may share with dbt."""
    return table.replace(".", "__")


def on_views(duckdb_sql: str) -> str:
    """``duckdb_sql`` in Spark SQL, reading each schema-qualified table from its view (``view_name``,
    aliased by the table's name or its own alias); common table expressions, which have no schema, are
    left as they are. The renaming is done on sqlglot's tree: the SQL it writes back is its own."""
    import sqlglot
    from sqlglot import exp

    tree = sqlglot.parse_one(duckdb_sql, read="duckdb")
    for table in tree.find_all(exp.Table):
        if table.db and not table.catalog:
            table.replace(exp.to_table(view_name(f"{table.db}.{table.name}")).as_(table.alias_or_name))
    return to_spark(tree.sql(dialect="duckdb"))


def written_on_views(spark_sql: str, tables: Iterable[str]) -> str:
    """A query written in Spark SQL by hand (sqlglot does not write every Spark construct back), each of
    ``tables`` renamed to its view in the text: its qualified name, with an alias of its own or read
    through unqualified columns (a column qualified by the bare table name would not resolve)."""
    for table in sorted(tables, key=len, reverse=True):
        schema, name = table.split(".")
        pattern = rf"(?<![\w.`]){re.escape(schema)}\.{re.escape(name)}(?![\w`])"
        spark_sql = re.sub(pattern, view_name(table), spark_sql)
    return spark_sql


class SparkScan(Scan):
    """The scans of the Spark engine: ``spark_sql`` (or the translation of ``duckdb_sql``) run on a Spark
    session over views of the tables ``reads``, its result written as Parquet under ``folder`` and read
    with the column types of ``duckdb_sql`` (bound on ``conn``; None: Spark's types)."""

    engine = "spark"

    def __init__(self, conn: duckdb.DuckDBPyConnection, session, spark_dir: Path | str, folder: Path):
        self.conn, self.session, self.spark_dir, self.folder = conn, session, spark_dir, folder
        self.views: set[str] = set()

    def __call__(
        self, duckdb_sql: str | None, reads: Iterable[str] = (), spark_sql: str | None = None
    ) -> str:
        reads = tuple(reads)
        for table in reads:
            if view_name(table) not in self.views:
                files = spark_table(self.conn, table, self.spark_dir, self.folder / "inputs")
                self.session.read.parquet(str(files)).createOrReplaceTempView(view_name(table))
                self.views.add(view_name(table))
        result = self.folder / "results" / uuid.uuid4().hex
        query = written_on_views(spark_sql, reads) if spark_sql else on_views(duckdb_sql)
        started = time.perf_counter()
        self.session.sql(query).write.parquet(str(result))
        # in the step's log: which engine scanned what, and for how long
        get_dagster_logger().info(
            f"scanned on Spark ({self.session.sparkContext.master}): {', '.join(reads)} "
            f"in {time.perf_counter() - started:.1f}s"
        )
        files = f"select * from read_parquet('{result}/*.parquet')"
        return files if duckdb_sql is None else with_types_of(self.conn, duckdb_sql, files)

    def close(self) -> None:
        for view in self.views:  # the session outlives the block in this process
            self.session.catalog.dropTempView(view)
        self.session.catalog.clearCache()
        shutil.rmtree(self.folder, ignore_errors=True)  # copies of personal data are not left on disk


@contextmanager
def scans(
    conn: duckdb.DuckDBPyConnection, engine: str, spark_dir: Path | str, master: str = "local[2]"
) -> Iterator[Scan]:
    """The block in which a step's scans run on ``engine``: ``on_duckdb``, or a ``SparkScan`` over
    ``conn``'s tables whose files are removed when the block ends."""
    if engine != "spark":
        yield on_duckdb
        return
    scan = SparkScan(
        conn,
        engines.python_spark_session(spark_dir, master),
        spark_dir,
        scans_folder(spark_dir) / uuid.uuid4().hex,
    )
    try:
        yield scan
    finally:
        scan.close()


def with_types_of(conn: duckdb.DuckDBPyConnection, duckdb_sql: str, result_sql: str) -> str:
    """``result_sql`` (a scan's result) with each column cast to its type in ``duckdb_sql`` bound on
    ``conn`` (binding reads no row): Spark's sum of integers is a bigint where DuckDB's is a hugeint, its
    decimals have other precisions, its times a zone. Tables, and the code computing with the frames,
    get the same types whichever engine scanned; the same names in the same order, or an error."""
    bound = conn.sql(duckdb_sql)
    casts = ", ".join(
        f'cast("{name}" as {type_}) as "{name}"'
        for name, type_ in zip(bound.columns, bound.types, strict=True)
    )
    return f"select {casts} from ({result_sql})"


def spark_table(conn: duckdb.DuckDBPyConnection, table: str, spark_dir: Path | str, copies: Path) -> Path:
    """The Parquet folder Spark reads ``table`` from: the files of Spark's own table when it holds the
    rows of the working file's (a dbt model built on Spark, read back unchanged), else a copy of the
    working file's table or view written under ``copies``."""
    files = engines.spark_table_files(spark_dir, table)
    if any(files.glob("*.parquet")):
        [(spark_rows,)] = conn.execute(f"select count(*) from read_parquet('{files}/*.parquet')").fetchall()
        [(rows,)] = conn.execute(f"select count(*) from {table}").fetchall()
        if spark_rows == rows:
            return files
    return engines.parquet_copy(conn, table, copies)
