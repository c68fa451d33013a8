"""The retailer, in configuration: business units, dates, sources delivered and their file layout, CLV and
churn settings (per business unit where one differs), quality limits and the web analytics bot rule.

Everything the retailer decides lives in one YAML file (``CDP_RETAILER_CONFIG``; the demo's is
``platform_assets/retailers/demo.yml``), validated here with a schema. A bad file stops the code
location's first use of it with the file, the line and the key at fault (``RetailerConfigError``).
Nothing about countries, currencies, id formats or the sources a retailer delivers is written
anywhere else.
"""

from __future__ import annotations

import re
from datetime import date
from functools import cache
from pathlib import Path
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from platform_assets.lib.estimators import ModelSpec
from platform_assets.lib.profit_settings import AttributionSettings, CatchmentSettings, MarginMatrixSettings
from platform_assets.lib.settings import REPO_ROOT

RETAILERS_DIR = REPO_ROOT / "platform_assets" / "retailers"
DEMO_RETAILER = RETAILERS_DIR / "demo.yml"

# Sources the graph cannot run without: someone to score and what they bought (at least one of each).
CUSTOMER_SOURCES = ("crm_contacts", "ecommerce_accounts")
SALES_SOURCES = (("pos_receipts", "pos_receipt_lines"), ("ecommerce_orders", "ecommerce_order_lines"))


class RetailerConfigError(ValueError):
    """The retailer configuration is wrong: the message names the file, the line and the key."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class BusinessUnit(_Strict):
    """One business unit: the code its rows carry in the data's ``country_code`` columns."""

    code: str = Field(pattern=r"^[A-Z]{2,3}$", description="Code of the unit in the data (e.g. FR).")
    name: str = Field(min_length=1, description="Name shown to people.")
    country: str = Field(pattern=r"^[A-Z]{2}$", description="ISO 3166 alpha-2 country of the unit.")
    currency: str = Field(pattern=r"^[A-Z]{3}$", description="ISO 4217 currency of its amounts.")
    time_zone: str = Field(description="IANA time zone of its stores (local dates).")
    language: str = Field(pattern=r"^[a-z]{2,3}(-[A-Z]{2})?$", description="Language of its customers.")
    phone_region: str | None = Field(
        default=None,
        pattern=r"^[A-Z]{2}$",
        description="Region a phone written without its country code belongs to (default: country).",
    )

    @field_validator("time_zone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown IANA time zone {value!r}") from None
        return value

    @property
    def default_phone_region(self) -> str:
        return self.phone_region or self.country


class DateWindow(_Strict):
    """Plausible dates: a business date outside the window is a data error (quarantined or tested)."""

    earliest: date
    latest: date

    @model_validator(mode="after")
    def _ordered(self) -> DateWindow:
        if self.latest <= self.earliest:
            raise ValueError("latest must come after earliest")
        return self


class ColumnMapping(_Strict):
    """How one contract column is read from the retailer's file: exactly one of ``column`` (a
    rename), ``expression`` (DuckDB SQL over the file's columns, all text, and ``ordinality``, the
    row's 1-based number in its file) or ``value`` (a constant);
    ``format`` is the strptime pattern of a date or timestamp in the file (converted to the contract's);
    ``pattern`` a regular expression every value of a key or required column must match whole (the
    retailer's id format), else its row goes to quarantine (rule ``malformed_value``)."""

    column: str | None = None
    expression: str | None = None
    value: str | None = None
    format: str | None = None
    pattern: str | None = None

    @field_validator("pattern")
    @classmethod
    def _compiles(cls, pattern: str | None) -> str | None:
        """Checked by the engine that applies it (DuckDB's RE2: no look-arounds or back-references)."""
        if pattern is not None:
            import duckdb

            try:
                with duckdb.connect() as conn:  # its own: never leave a result on the default one
                    conn.execute("select regexp_full_match('', ?)", [pattern]).fetchall()
            except duckdb.Error as error:
                raise ValueError(f"not a regular expression DuckDB reads: {error}") from None
        return pattern

    @model_validator(mode="after")
    def _one_source(self) -> ColumnMapping:
        given = [k for k in ("column", "expression", "value") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError(f"give exactly one of column, expression or value (got {given or 'none'})")
        return self


class SourceDelivery(_Strict):
    """One source the retailer delivers: where its files are and how they map to the contract."""

    files: str = Field(description="Glob of its files, relative to the landing directory.")
    format: Literal["csv", "ndjson"] = "csv"
    delimiter: str = Field(default=",", description="Field separator; 'whitespace' for runs of blanks.")
    header: bool = Field(default=True, description="The first line names the columns.")
    file_columns: tuple[str, ...] | None = Field(
        default=None, description="Names of the file's columns in order, for a file without a header."
    )
    encoding: str = "utf-8"
    decimal_separator: Literal[".", ","] = "."
    columns: dict[str, str | ColumnMapping] = Field(
        default_factory=dict,
        description="Contract column -> file column (a rename) or a mapping; unmapped columns are "
        "read from the file column of the same name, and left empty when the file has none.",
    )
    distinct_on: tuple[str, ...] | None = Field(
        default=None, description="Contract columns: keep the first row of each (one file, many entities)."
    )
    max_quarantined_share: float | None = Field(
        default=None, ge=0, le=1, description="This source's limit (default: quality.max_quarantined_share)."
    )
    when_no_files: Literal["error", "empty"] = Field(
        default="error",
        description="When no file matches `files`: 'error' stops the load (a delivery went missing); "
        "'empty' loads the source as an empty table whose metadata says so (a feed switched on later).",
    )

    @property
    def patterns(self) -> dict[str, str]:
        """Contract column -> the regular expression its values must match (``pattern``)."""
        return {
            column: mapping.pattern
            for column, mapping in self.columns.items()
            if isinstance(mapping, ColumnMapping) and mapping.pattern is not None
        }

    @field_validator("encoding")
    @classmethod
    def _known_encoding(cls, value: str) -> str:
        import codecs

        try:
            codecs.lookup(value)
        except LookupError:
            raise ValueError(f"unknown encoding {value!r} (e.g. utf-8, latin-1, cp1252)") from None
        return value

    @model_validator(mode="after")
    def _header_or_names(self) -> SourceDelivery:
        if not self.header and not self.file_columns:
            raise ValueError("a file without a header needs file_columns")
        if self.format == "ndjson" and not self.header:
            raise ValueError("ndjson files name their fields: header must stay true")
        return self

    def mapping(self, contract_column: str) -> ColumnMapping:
        """How ``contract_column`` is read (a rename or the same name when not mapped)."""
        given = self.columns.get(contract_column, contract_column)
        return ColumnMapping(column=given) if isinstance(given, str) else given


TimeUnit = Literal["day", "week", "month"]
DAYS_PER_UNIT = {"day": 1.0, "week": 7.0, "month": 365.25 / 12}


class QualityLimits(_Strict):
    """How much bad data a load may hold and still be published, and what an empty value looks like."""

    max_quarantined_share: float = Field(
        default=0.05,
        ge=0,
        le=1,
        description="Share of a file's, or a load's, rows that may go to quarantine; above it the run "
        "does not publish (a blocking check names the file and the rule). Per source: a source's own "
        "max_quarantined_share.",
    )
    null_markers: tuple[str, ...] = Field(
        default=("NULL", "N/A", "-"),
        description="Values that mean 'no value' in an optional column: read as null, never quarantined "
        "(an empty value always is).",
    )


class ClvUnitSettings(_Strict):
    """What one business unit sets apart from the group's ``clv``."""

    horizon: Annotated[float, Field(gt=0)] = Field(description="Prediction horizon in the group's time unit.")


class ClvSettings(_Strict):
    """BG/NBD + Gamma-Gamma: the period they are fitted on and what they predict."""

    time_unit: TimeUnit = Field(default="week", description="Unit of t_x, T and the horizon.")
    horizon: Annotated[float, Field(gt=0)] = Field(default=52, description="Prediction horizon in units.")
    calibration_end: date | None = Field(
        default=None,
        description="Last day of the fitting period (T counts to it); default: the day before the "
        "reference date.",
    )
    by_business_unit: dict[str, ClvUnitSettings] = Field(
        default_factory=dict, description="A business unit's own horizon, by its code."
    )

    def horizon_of(self, business_unit: str) -> float:
        """The prediction horizon (in ``time_unit``) of ``business_unit``."""
        own = self.by_business_unit.get(business_unit)
        return own.horizon if own else self.horizon


class ChurnUnitSettings(_Strict):
    """How churn is judged in one business unit (``scores.customer_churn``): the horizon of silence
    that counts as churn and the playbook's band cut-offs. Unset keys take the group's ``churn``."""

    horizon_days: int | None = Field(
        default=None,
        ge=7,
        le=730,
        description="Fixed horizon in days; empty: learned each run as the horizon_quantile of the "
        "unit's gaps between purchase days, rounded up to 30 days, within horizon_bounds_days.",
    )
    horizon_quantile: float = Field(
        default=0.95,
        gt=0,
        lt=1,
        description="Quantile of the gaps between purchase days a learned horizon is.",
    )
    horizon_bounds_days: tuple[int, int] = Field(
        default=(60, 365), description="Shortest and longest learned horizon, in days."
    )
    band_cutoffs: tuple[int, int, int] = Field(
        default=(26, 51, 76),
        description="Lowest score (0-100) of the bands attention, moderate risk and high risk; below "
        "the first, healthy.",
    )

    @field_validator("horizon_bounds_days")
    @classmethod
    def _bounds_ordered(cls, bounds: tuple[int, int]) -> tuple[int, int]:
        if not 1 <= bounds[0] < bounds[1] <= 730:
            raise ValueError(f"{list(bounds)}: need 1 <= shortest < longest <= 730 days")
        return bounds

    @field_validator("band_cutoffs")
    @classmethod
    def _cutoffs_increase(cls, cutoffs: tuple[int, int, int]) -> tuple[int, int, int]:
        if not 0 < cutoffs[0] < cutoffs[1] < cutoffs[2] <= 100:
            raise ValueError(f"{list(cutoffs)}: need 0 < attention < moderate risk < high risk <= 100")
        return cutoffs


# The churn champion without a churn.model: strongly regularised for a few thousand training rows
# (scores/churn/model.py).
DEFAULT_CHURN_MODEL = ModelSpec(estimator="logistic_regression", parameters={"C": 0.01, "max_iter": 2000})


class ChallengerSettings(_Strict):
    """A challenger version of a score: its model, and the share of customers whose decisions it drives
    (``scores/champion_challenger``)."""

    model: ModelSpec = Field(description="The challenger's estimator and parameters (lib/estimators.py).")
    share: float = Field(
        default=0.5,
        gt=0,
        lt=1,
        description="Share of customers (a deterministic hash of the customer id) whose decision matrix "
        "the challenger drives; the others keep the champion's.",
    )


class PromotionRule(_Strict):
    """When a challenger may replace the champion: both conditions, evaluated each run
    (``ops.model_comparisons``); the ``promote_challenger`` job acts on it."""

    min_backtest_auc_gain: float = Field(
        default=0.005, ge=0, le=0.5, description="Backtest AUC the challenger must gain over the champion."
    )
    revenue_margin_per_contacted: float = Field(
        default=0.0,
        ge=0,
        description="Non-inferiority margin (currency per contacted customer): the challenger arm's "
        "incremental revenue per contacted customer minus the champion arm's must have its lower "
        "confidence bound above minus this margin.",
    )
    confidence: float = Field(default=0.95, gt=0.5, lt=1, description="Confidence of that bound (two-sided).")
    min_contacted_per_arm: int = Field(
        default=100,
        ge=1,
        description="Contacted customers (treatment) each arm needs in campaigns measured so far before "
        "the revenue condition is judged; fewer: not yet, and no promotion.",
    )


class ChurnSettings(ChurnUnitSettings):
    """The group's churn settings and, by business unit code, the keys a unit sets apart."""

    by_business_unit: dict[str, dict[str, object]] = Field(
        default_factory=dict,
        description="A business unit's own keys (any of those above), by its code; the others are the group's.",
    )
    model: ModelSpec = Field(
        default=DEFAULT_CHURN_MODEL,
        description="The champion's estimator until a challenger is promoted (ops.model_promotions).",
    )
    challenger: ChallengerSettings | None = Field(
        default=None, description="A challenger scoring every customer beside the champion; none: no test."
    )
    promotion: PromotionRule = Field(default_factory=PromotionRule, description="When a challenger wins.")
    training_rows: int = Field(
        default=200_000,
        ge=1_000,
        description="Most customers a model is trained on: a larger training set is a seeded random sample "
        "of this size (the backtest still judges every customer). At 1M customers, training on all "
        "of them costs minutes for no measurable gain in the backtest.",
    )

    @model_validator(mode="after")
    def _units_valid(self) -> ChurnSettings:
        for code in self.by_business_unit:
            self.of(code)  # a bad key or value of a unit stops here, under by_business_unit.<code>
        return self

    def of(self, business_unit: str) -> ChurnUnitSettings:
        """The settings ``business_unit`` runs with: its own keys over the group's."""
        group = self.model_dump(
            exclude={"by_business_unit", "model", "challenger", "promotion", "training_rows"}
        )
        own = self.by_business_unit.get(business_unit, {})
        try:
            return ChurnUnitSettings.model_validate({**group, **own})
        except ValidationError as error:
            problem = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in error.errors())
            raise ValueError(f"by_business_unit.{business_unit}: {problem}") from None


class WebBotRule(_Strict):
    """The web analytics bot rule (``staging.stg_web__events``): a cookie is a bot when its user agent
    matches ``user_agent_pattern``, when on any UTC day it has more than ``max_events_per_cookie_day``
    events, or more than ``max_events_per_cookie`` in the whole export. Its events are flagged
    (``is_bot``, ``bot_reason``), never deleted; stitching and the browsing features leave them out."""

    user_agent_pattern: str = Field(
        default="(?i)(bot|crawl|spider|slurp|headless|python-requests|curl/|wget/|scrapy|phantomjs)",
        min_length=1,
        description="Regular expression (DuckDB's RE2, searched anywhere in the user agent; (?i) for "
        "any case): crawlers, headless browsers, scripts.",
    )
    max_events_per_cookie_day: int = Field(
        default=300,
        gt=0,
        description="Events of one cookie on one UTC day above which it is a bot (a person browsing a "
        "shop makes tens a day, a scraper thousands).",
    )
    max_events_per_cookie: int = Field(
        default=2000,
        gt=0,
        description="Events of one cookie in the whole export above which it is a bot (a slow crawler "
        "under the daily threshold; a person makes about 30 a year).",
    )

    @field_validator("user_agent_pattern")
    @classmethod
    def _compiles(cls, pattern: str) -> str:
        """Checked by the engine that applies it (DuckDB's RE2: no look-arounds or back-references)."""
        import duckdb

        try:
            with duckdb.connect() as conn:
                conn.execute("select regexp_matches('', ?)", [pattern]).fetchall()
        except duckdb.Error as error:
            raise ValueError(f"not a regular expression DuckDB reads: {error}") from None
        return pattern


class ForecastSettings(_Strict):
    """The weekly demand forecast per department and store (``forecasts.demand_weekly``)."""

    horizon_weeks: int = Field(
        default=8, ge=1, le=26, description="Weeks forecast after the last complete one."
    )
    interval: float = Field(default=0.8, gt=0.5, lt=1, description="Coverage of the forecast interval.")
    backtest_weeks: int = Field(
        default=8,
        ge=1,
        le=26,
        description="Last known weeks the backtest forecasts from before them, each run.",
    )
    min_history_weeks: int = Field(
        default=80,
        ge=60,
        description="Complete weeks of sales needed before the backtest (a year of lags, then the weeks "
        "to learn from); fewer: the table is left empty and says why.",
    )


# What counts as a customer's activity for the retention of inactive customers
# (platform_assets/privacy/dormancy.py says which table and date each kind reads).
ACTIVITY_KINDS = ("purchase", "email_engagement", "web_visit", "consent_choice", "record_update")


class RetentionSettings(_Strict):
    """How long personal data is kept (platform_assets/privacy/retention.py): a category without a
    period keeps everything."""

    campaign_exports_days: int | None = Field(
        default=None,
        ge=1,
        description="Campaign export folders (exports/activation/<day>/) more than this many days before the "
        "run's reference date are removed, and logged in ops.retention_log; none: kept.",
    )
    access_bundles_days: int | None = Field(
        default=None,
        ge=1,
        description="Access bundles (exports/privacy/access/<request>/) answered more than this many days before "
        "the run's reference date are deleted; the request stays, answered_bundle_deleted. None: kept.",
    )
    inactive_customer_years: int | None = Field(
        default=None,
        ge=1,
        description="A customer with no activity (see activity) in this many years before the run's reference "
        "date loses their direct identifiers in the restricted file, the exports and the kept snapshots; their "
        "facts stay under their customer id. None: kept.",
    )
    activity: tuple[Literal[ACTIVITY_KINDS], ...] = Field(
        default=ACTIVITY_KINDS,
        min_length=1,
        description="What counts as activity for inactive_customer_years: purchase (a sales line), "
        "email_engagement (an open or a click), web_visit (a web event of a cookie linked to them), "
        "consent_choice (a consent choice they made), record_update (a source record of theirs created or "
        "updated).",
    )
    landing_files_days: dict[str, Annotated[int, Field(ge=1)]] = Field(
        default_factory=dict,
        description="Source table -> days: that source's landing files delivered (modified) more than this "
        "many days before the run's reference date are removed, never the source's newest file. A source is "
        "reloaded whole each run, so the removed files' rows leave the warehouse at the next run: for feeds "
        "whose old rows may go (web events), not sales. A source not listed, or not delivered: kept.",
    )

    @field_validator("activity")
    @classmethod
    def _distinct_kinds(cls, kinds: tuple[str, ...]) -> tuple[str, ...]:
        if repeated := sorted({k for k in kinds if kinds.count(k) > 1}):
            raise ValueError(f"activity kind(s) {repeated} appear more than once")
        return kinds


class PrivacySettings(_Strict):
    """The retailer's privacy policy."""

    retention: RetentionSettings = RetentionSettings()


class MomentCatalogue(_Strict):
    """Where one life moment shows in the retailer's catalogue, by the names of its categories
    (``referential.dim_product``: ``category_name`` and ``department_name``)."""

    signal_categories: tuple[str, ...] = Field(
        min_length=1,
        description="Categories bought (and browsed) in the weeks before the moment: its lead-in.",
    )
    departments: tuple[str, ...] = Field(
        min_length=1, description="Departments the moment's burst of big baskets spends in."
    )


class LifeMomentCatalogue(_Strict):
    """Each life moment scored (``scores.customer_life_moments``) and where it shows in the catalogue.
    How an entry is seen (a burst in the departments; a move: a new home store) is the model's."""

    moving: MomentCatalogue
    renovation: MomentCatalogue
    new_garden: MomentCatalogue


class RetailerConfig(_Strict):
    """The whole retailer: see ``platform_assets/retailers/demo.yml`` for a commented example."""

    name: str
    business_units: tuple[BusinessUnit, ...] = Field(min_length=1)
    dates: DateWindow
    sources: dict[str, SourceDelivery]
    clv: ClvSettings = ClvSettings()
    churn: ChurnSettings = ChurnSettings()
    quality: QualityLimits = QualityLimits()
    web_bots: WebBotRule = WebBotRule()
    forecast: ForecastSettings = ForecastSettings()
    privacy: PrivacySettings = PrivacySettings()
    life_moments: LifeMomentCatalogue | None = Field(
        default=None,
        description="The catalogue's categories of each life moment; without them no moment is scored.",
    )
    local_scores: str | None = Field(
        default=None,
        min_length=1,
        description="Folder of the business units' local score declarations (<unit code>/<score>.yml, "
        "platform_assets/scores/local/README.md), relative to this file; none: no local score.",
    )
    attribution: AttributionSettings = AttributionSettings()
    margin_matrix: MarginMatrixSettings = MarginMatrixSettings()
    catchment: CatchmentSettings = CatchmentSettings()

    @field_validator("business_units")
    @classmethod
    def _unique_codes(cls, units: tuple[BusinessUnit, ...]) -> tuple[BusinessUnit, ...]:
        codes = [u.code for u in units]
        if repeated := sorted({c for c in codes if codes.count(c) > 1}):
            raise ValueError(f"business unit code(s) {repeated} appear more than once")
        return units

    @property
    def units_by_code(self) -> dict[str, BusinessUnit]:
        return {u.code: u for u in self.business_units}

    @property
    def currencies(self) -> tuple[str, ...]:
        return tuple(sorted({u.currency for u in self.business_units}))

    def patterns(self, table: str) -> dict[str, str]:
        """Contract column -> the regular expression its values must match (``pattern``), for ``table``."""
        delivery = self.sources.get(table)
        return delivery.patterns if delivery else {}

    def max_quarantined_share(self, table: str) -> float:
        """The share of ``table``'s rows, per file and per load, that may go to quarantine."""
        delivery = self.sources.get(table)
        own = delivery.max_quarantined_share if delivery else None
        return self.quality.max_quarantined_share if own is None else own

    def delivers(self, table: str) -> bool:
        return table in self.sources

    def undelivered(self, tables: tuple[str, ...]) -> tuple[str, ...]:
        """Those of ``tables`` this retailer does not deliver."""
        return tuple(t for t in tables if not self.delivers(t))

    @property
    def absent_sources(self) -> tuple[str, ...]:
        """Contract tables this retailer does not deliver (their raw tables are empty), in contract order."""
        from platform_assets.landing.contracts import CONTRACTS

        return tuple(c.table for c in CONTRACTS if c.table not in self.sources)


def _yaml_lines(text: str) -> dict[tuple, int]:
    """Line (1-based) of every key and list item of a YAML document, by its path."""
    import yaml

    lines: dict[tuple, int] = {}

    def walk(node, path: tuple) -> None:
        lines[path] = node.start_mark.line + 1
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                lines[(*path, key.value)] = key.start_mark.line + 1
                walk(value, (*path, key.value))
                lines[(*path, key.value)] = key.start_mark.line + 1
        elif isinstance(node, yaml.SequenceNode):
            for i, item in enumerate(node.value):
                walk(item, (*path, i))

    root = yaml.compose(text)
    if root is not None:
        walk(root, ())
    return lines


def _document_path(loc: tuple) -> tuple:
    """A pydantic error location without the union branch names it adds ('str', 'ColumnMapping')."""
    return tuple(
        p for p in loc if not (isinstance(p, str) and (re.match(r"^(str|[A-Z]\w*)$", p) or "[" in p))
    )


def source_problems(config: RetailerConfig) -> list[tuple[tuple, str]]:
    """(path in the document, problem) for sources the contracts do not know or cannot run with."""
    from platform_assets.landing.contracts import CONTRACTS_BY_TABLE

    problems: list[tuple[tuple, str]] = []
    for table, delivery in config.sources.items():
        contract = CONTRACTS_BY_TABLE.get(table)
        if contract is None:
            known = ", ".join(sorted(CONTRACTS_BY_TABLE))
            problems.append((("sources", table), f"unknown source {table!r} (known sources: {known})"))
            continue
        for column in delivery.columns:
            if column not in contract.column_names:
                problems.append(
                    (("sources", table, "columns", column), f"{column!r} is not a column of {table}")
                )
        for column in delivery.patterns:
            if column in contract.column_names and not (
                column in contract.primary_key or column in contract.required_columns
            ):
                problems.append(
                    (
                        ("sources", table, "columns", column, "pattern"),
                        f"a pattern is for key or required columns; {column!r} of {table} is optional",
                    )
                )
        for column in delivery.distinct_on or ():
            if column not in contract.column_names:
                problems.append((("sources", table, "distinct_on"), f"{column!r} is not a column of {table}"))
    if not any(s in config.sources for s in CUSTOMER_SOURCES):
        problems.append(
            (("sources",), f"no customer source: deliver at least one of {', '.join(CUSTOMER_SOURCES)}")
        )
    if not any(all(s in config.sources for s in pair) for pair in SALES_SOURCES):
        pairs = " or ".join(" + ".join(pair) for pair in SALES_SOURCES)
        problems.append((("sources",), f"no sales source: deliver {pairs}"))
    return problems


def unit_setting_problems(config: RetailerConfig) -> list[tuple[tuple, str]]:
    """(path, problem) for score settings set apart for a business unit the retailer does not have."""
    codes = sorted(u.code for u in config.business_units)
    return [
        ((section, "by_business_unit", code), f"{code!r} is not one of the business units {codes}")
        for section in ("clv", "churn")
        for code in getattr(config, section).by_business_unit
        if code not in codes
    ]


def retention_problems(config: RetailerConfig) -> list[tuple[tuple, str]]:
    """(path, problem) for landing retention periods of tables that are no source (a typo). A known source
    the retailer does not deliver (a variant without it) is allowed: it has no file to remove."""
    from platform_assets.landing.contracts import CONTRACTS_BY_TABLE

    return [
        (
            ("privacy", "retention", "landing_files_days", table),
            f"unknown source {table!r} (known sources: {', '.join(sorted(CONTRACTS_BY_TABLE))})",
        )
        for table in config.privacy.retention.landing_files_days
        if table not in CONTRACTS_BY_TABLE
    ]


def _error_line(lines: dict[tuple, int], path: tuple) -> int | None:
    while path and path not in lines:
        path = path[:-1]
    return lines.get(path)


def parse_retailer(text: str, source: str) -> RetailerConfig:
    """The configuration in ``text`` (``source`` names it in errors)."""
    import yaml

    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise RetailerConfigError(f"{source}: not valid YAML: {error}") from None
    if not isinstance(document, dict):
        raise RetailerConfigError(f"{source}: expected a mapping of settings at the top level")
    try:
        config = RetailerConfig.model_validate(document)
        problems = source_problems(config) + unit_setting_problems(config) + retention_problems(config)
    except ValidationError as error:
        errors = [(_document_path(e["loc"]), e["msg"]) for e in error.errors()]
        # a mapping that is neither a string nor a valid mapping: report the mapping's own problem
        specific = {path for path, msg in errors if not msg.startswith("Input should be a valid string")}
        problems = [
            (path, msg)
            for path, msg in errors
            if not (path in specific and msg.startswith("Input should be a valid string"))
        ]
    if not problems:
        return config
    lines = _yaml_lines(text)
    described = []
    for path, message in problems:
        line = _error_line(lines, path)
        where = f"line {line}, " if line else ""
        key = ".".join(str(p) for p in path) or "(top level)"
        described.append(f"{source}: {where}{key}: {message.removeprefix('Value error, ')}")
    raise RetailerConfigError("invalid retailer configuration:\n  " + "\n  ".join(described))


@cache
def load_retailer(path: str | Path) -> RetailerConfig:
    """The retailer configuration in the YAML file at ``path`` (read once per process)."""
    path = Path(path)
    if not path.is_file():
        raise RetailerConfigError(f"{path}: retailer configuration file not found (CDP_RETAILER_CONFIG)")
    return parse_retailer(path.read_text(encoding="utf-8"), str(path))


def describe(config: RetailerConfig, path: str) -> str:
    """A few lines saying what the configuration at ``path`` delivers (for ``python -m``)."""
    units = ", ".join(f"{u.code} ({u.currency}, {u.time_zone})" for u in config.business_units)
    absent = sorted(config.absent_sources)
    return "\n".join(
        [
            f"{path}: valid — {config.name}",
            f"  business units: {units}",
            f"  plausible dates: {config.dates.earliest} to {config.dates.latest}",
            f"  sources delivered ({len(config.sources)}): {', '.join(sorted(config.sources))}",
            f"  not delivered ({len(absent)}): {', '.join(absent) or 'none'}",
        ]
    )


if __name__ == "__main__":  # python -m platform_assets.lib.retailer FILE: check a configuration
    import sys

    if len(sys.argv) != 2:
        sys.exit("usage: python -m platform_assets.lib.retailer RETAILER.yml")
    try:
        print(describe(load_retailer(sys.argv[1]), sys.argv[1]))
    except RetailerConfigError as error:
        sys.exit(str(error))
