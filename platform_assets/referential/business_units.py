"""The retailer's business units and plausible dates as warehouse tables, from its configuration.

``referential.business_units`` (one row per configured unit) is what the dbt models join for a unit's
name, currency and time zone and what every country and currency test of the staging and marts
models refers to; ``referential.plausible_dates`` (one row) is the date window the marts' date
tests read; ``referential.web_bot_rule`` (one row) the thresholds of the web analytics bot rule
``staging.stg_web__events`` applies. Nothing about a unit is written anywhere else: adding one to the YAML adds its row.
"""

from __future__ import annotations

from platform_assets.lib.retailer import RetailerConfig
from platform_assets.lib.tables import comment_statements

UNITS_TABLE = "referential.business_units"
DATES_TABLE = "referential.plausible_dates"
BOT_RULE_TABLE = "referential.web_bot_rule"

UNIT_COLUMNS = {
    "country_code": ("varchar", "Code of the business unit as the data's country_code columns carry it."),
    "business_unit_name": ("varchar", "Name of the business unit."),
    "iso_country_code": ("varchar", "ISO 3166 alpha-2 country of the unit."),
    "currency_code": ("varchar", "ISO 4217 currency of the unit's prices and amounts."),
    "time_zone": ("varchar", "IANA time zone of the unit's stores."),
    "language_code": ("varchar", "Language of the unit's customers."),
    "default_phone_region": ("varchar", "Region a phone written without its country code belongs to."),
    "calling_code": ("varchar", "International calling code of that region (without +)."),
    "national_prefix": ("varchar", "Trunk prefix dialled before a national number (null when none)."),
    "national_number_digits": ("integer", "Digits of a national significant mobile number."),
}
DATE_COLUMNS = {
    "earliest_date": ("date", "First plausible business date: anything earlier is a data error."),
    "latest_date": ("date", "Last plausible business date: anything later is a data error."),
}

BOT_RULE_COLUMNS = {
    "user_agent_pattern": ("varchar", "A cookie whose user agent matches this RE2 expression is a bot."),
    "max_events_per_cookie_day": ("integer", "A cookie with more events than this on one UTC day is a bot."),
    "max_events_per_cookie": ("integer", "A cookie with more events than this in the whole export is a bot."),
}

DESCRIPTIONS = {
    UNITS_TABLE: "The retailer's business units, from its configuration (platform.retailer.business_units).",
    DATES_TABLE: "The plausible business date window, from the retailer's configuration (dates).",
    BOT_RULE_TABLE: "The web analytics bot rule staging applies, from the retailer's configuration (web_bots).",
}
TABLES = {UNITS_TABLE: UNIT_COLUMNS, DATES_TABLE: DATE_COLUMNS, BOT_RULE_TABLE: BOT_RULE_COLUMNS}


def phone_plan(region: str) -> tuple[str, str | None, int]:
    """(calling code, national prefix or None, digits of a national mobile number) of ``region``,
    from the ``phonenumbers`` metadata (the SQL phone normaliser reads them)."""
    import phonenumbers

    metadata = phonenumbers.PhoneMetadata.metadata_for_region(region)
    if metadata is None:
        raise ValueError(f"phonenumbers has no numbering plan for region {region!r}")
    example = phonenumbers.example_number_for_type(region, phonenumbers.PhoneNumberType.MOBILE)
    digits = len(str(example.national_number)) if example is not None else None
    return str(phonenumbers.country_code_for_region(region)), metadata.national_prefix, digits


def unit_rows(config: RetailerConfig) -> list[tuple]:
    """One row per configured business unit, in ``UNIT_COLUMNS`` order."""
    rows = []
    for unit in config.business_units:
        region = unit.default_phone_region
        rows.append(
            (
                unit.code,
                unit.name,
                unit.country,
                unit.currency,
                unit.time_zone,
                unit.language,
                region,
                *phone_plan(region),
            )
        )
    return rows


def write_referential(conn, config: RetailerConfig) -> dict[str, int]:
    """Replaces the three tables (one transaction) from ``config``; returns their row counts."""
    conn.execute("create schema if not exists referential")
    conn.execute("begin transaction")
    try:
        for table, columns in TABLES.items():
            typed = ", ".join(f"{name} {type_}" for name, (type_, _) in columns.items())
            conn.execute(f"create or replace table {table} ({typed})")
        placeholders = ", ".join("?" * len(UNIT_COLUMNS))
        conn.executemany(f"insert into {UNITS_TABLE} values ({placeholders})", unit_rows(config))
        conn.execute(f"insert into {DATES_TABLE} values (?, ?)", [config.dates.earliest, config.dates.latest])
        bots = config.web_bots
        conn.execute(
            f"insert into {BOT_RULE_TABLE} values (?, ?, ?)",
            [bots.user_agent_pattern, bots.max_events_per_cookie_day, bots.max_events_per_cookie],
        )
        for table, columns in TABLES.items():
            for statement in comment_statements(
                table, DESCRIPTIONS[table], {c: d for c, (_, d) in columns.items()}
            ):
                conn.execute(statement)
        conn.execute("commit")
    except Exception:
        conn.execute("rollback")
        raise
    return {UNITS_TABLE: len(config.business_units), DATES_TABLE: 1, BOT_RULE_TABLE: 1}
