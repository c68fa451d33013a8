"""Configuration in one typed place: a Dagster resource whose fields are the retailer's settings.

Built once from the environment (``resources.py``) and handed to assets as the ``platform`` resource,
so a run's configuration shows in the UI and a test builds its own with no environment at all.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Literal

import dagster as dg
from pydantic import Field

if TYPE_CHECKING:
    from platform_assets.lib.retailer import RetailerConfig

REPO_ROOT = Path(__file__).resolve().parents[2]
DBT_PROJECT_DIR = REPO_ROOT / "dbt_project"
EXPECTATIONS_DIR = REPO_ROOT / "expectations"

REFERENCE_DATE_TAG = "cdp/reference_date"


class PlatformSettings(dg.ConfigurableResource):
    """Where the platform's files live and the retailer's tunable rules (see the README's table)."""

    data_dir: str = Field(description="Root of everything generated (models, exports, published files).")
    landing_dir: str = Field(description="Where the source systems drop their files.")
    published_dir: str = Field(description="analyst.duckdb, restricted.duckdb, manifest, snapshots/.")
    exports_dir: str = Field(description="Every file handed to other systems (erasure sweeps it).")
    ground_truth_dir: str = Field(description="The demo generator's truth: read only to measure quality.")
    retailer_config: str = Field(
        description="The retailer's YAML configuration: business units, dates, sources, CLV "
        "(platform_assets/lib/retailer.py)."
    )
    reference_date: str | None = Field(
        default=None,
        description="'As of' date of a run with no cdp/reference_date tag (ISO); unset: the latest full "
        "refresh's date, else the day after the newest sale (lib/reference_date.py).",
    )
    match_threshold: float | None = Field(
        default=None,
        gt=0,
        lt=1,
        description="Splink match probability from which two records are one person.",
    )
    lock_timeout: float = Field(
        default=300,
        ge=0,
        description="Seconds a step waits, retrying, while another process holds the working DuckDB file.",
    )
    snapshots_kept: int = Field(default=7, ge=1, description="Publications kept under snapshots/.")
    volume_tolerance: float = Field(
        default=0.5, gt=0, description="Share a table's row count may move from its recent average."
    )
    gx_max_rows: int = Field(default=200_000, ge=1, description="Above this, GX suites read a sample.")
    holdout_salt: str = Field(default="cdp-holdout-v1", description="Salt of the holdout draw.")
    dagster_ui_url: str = Field(
        default="http://localhost:3000", description="The Dagster UI the cockpits' data health page links to."
    )
    holdout_share: float = Field(default=0.10, gt=0, lt=1, description="Share of each audience held out.")
    engine: Literal["duckdb", "spark"] = Field(
        default="duckdb",
        description="Engine of the dbt models and of the Python steps' scans of the facts: duckdb (the "
        "working file) or spark (the profile's spark target, an optional install: lib/engine.py).",
    )
    spark_master: str = Field(
        default="local[2]",
        description="Spark master of the spark engine (local[2]: this machine's two cores).",
    )
    spark_dir: str | None = Field(
        default=None,
        description="Spark's tables and catalog (the spark engine); unset: <data_dir>/spark.",
    )

    @property
    def data_path(self) -> Path:
        return Path(self.data_dir)

    @property
    def spark_path(self) -> Path:
        """Spark's warehouse (Parquet tables) and metastore, as the profile's spark target reads them."""
        return Path(self.spark_dir) if self.spark_dir else self.data_path / "spark"

    def scans(self, conn):
        """The block in which a step's scans that grow with the facts run on this engine
        (``lib/engine_queries.py``): in ``conn`` on DuckDB, on Spark otherwise."""
        from platform_assets.lib.engine_queries import scans

        return scans(conn, self.engine, self.spark_path, self.spark_master)

    @property
    def landing_path(self) -> Path:
        return Path(self.landing_dir)

    @property
    def published_path(self) -> Path:
        return Path(self.published_dir)

    @property
    def exports_path(self) -> Path:
        return Path(self.exports_dir)

    @property
    def ground_truth_path(self) -> Path:
        return Path(self.ground_truth_dir)

    @property
    def models_path(self) -> Path:
        """Saved model artifacts (segmentation, churn, life moments), listed in ops.model_registry."""
        return self.data_path / "models"

    @property
    def analyst_path(self) -> Path:
        """The published analyst file: no direct identifiers, opened read-only by analysts."""
        return self.published_path / "analyst.duckdb"

    @property
    def restricted_path(self) -> Path:
        """The published restricted file: personal data, for referential and activation teams."""
        return self.published_path / "restricted.duckdb"

    @property
    def cockpits_path(self) -> Path:
        """The cockpits site (static HTML), beside the analyst file it is built from."""
        return self.published_path / "cockpits"

    @property
    def local_scores_path(self) -> Path | None:
        """The folder of the local score declarations (the retailer configuration's ``local_scores``,
        relative to that file), or None."""
        folder = self.retailer.local_scores
        return None if folder is None else Path(self.retailer_config).parent / folder

    @property
    def retailer(self) -> RetailerConfig:
        """The retailer configuration (validated; read once per process)."""
        from platform_assets.lib.retailer import load_retailer

        return load_retailer(self.retailer_config)
