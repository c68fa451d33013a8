"""Contracts of every landing source: one place, used by the loader, dbt sources and the docs.

A contract says what a source holds: its columns (names, types, required), key and descriptions.
Where the retailer's files are and how they are laid out (files, format, delimiter, encoding,
column mappings) is the retailer configuration's (``platform_assets/lib/retailer.py``; the demo's
in ``platform_assets/retailers/demo.yml``). The raw tables keep every value as text (nothing is
lost at load). ``typed_sql`` is the one definition of how a raw
column is typed: the quarantine rules move a row whose value does not parse, and the dbt staging
models read the same expressions (macro ``typed``, rendered by ``render_sources``) and normalise.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

LogicalType = Literal["string", "integer", "decimal", "date", "timestamp", "boolean"]

# Warehouse type of a logical type, unless the column says otherwise ('timestamptz': an ISO 8601
# instant with its offset, kept in UTC without a zone).
WAREHOUSE_TYPES = {
    "integer": "integer",
    "decimal": "decimal(12, 2)",
    "date": "date",
    "timestamp": "timestamptz",
}


@dataclass(frozen=True)
class Column:
    name: str
    type: LogicalType
    description: str
    required: bool = False
    # strptime pattern for dates and timestamps, when the export does not use ISO 8601
    format: str | None = None
    # warehouse type when not WAREHOUSE_TYPES' (a decimal's precision; 'timestamp': local, no zone)
    sql_type: str | None = None
    # a business date, judged against the retailer's plausible window (not a birth or master date)
    in_date_window: bool = True

    @property
    def warehouse_type(self) -> str | None:
        return self.sql_type or WAREHOUSE_TYPES.get(self.type)


def typed_sql(column: Column, dialect: str = "duckdb") -> str:
    """SQL typing the raw text of ``column`` (blank is null; null when it does not parse), in DuckDB's
    dialect (the warehouse, the quarantine rules) or Spark's (``dialect="spark"``: the dbt staging models
    on Spark, whose session runs in UTC with ANSI mode off, as dbt-spark sets it)."""
    if dialect == "spark":
        return _typed_spark(column)
    if dialect != "duckdb":
        raise ValueError(f"typed_sql: no dialect {dialect!r} (duckdb or spark)")
    value = "nullif(trim(" + '"' + column.name.replace('"', '""') + '"' + "), '')"
    sql_type = column.warehouse_type
    if column.type in ("date", "timestamp") and column.format:
        pattern = column.format.replace("'", "''")
        parsed = f"try_strptime({value}, '{pattern}')"
        return f"cast({parsed} as date)" if column.type == "date" else parsed
    if sql_type == "timestamptz":
        return f"try_cast({value} as timestamptz) at time zone 'UTC'"
    return f"try_cast({value} as {sql_type})" if sql_type else value


# strptime directives and the Java datetime letters Spark parses them with
_JAVA_PATTERN = {"%Y": "yyyy", "%m": "MM", "%d": "dd", "%H": "HH", "%M": "mm", "%S": "ss", "%%": "%"}


def _typed_spark(column: Column) -> str:
    value = "nullif(trim(`" + column.name.replace("`", "``") + "`), '')"
    sql_type = column.warehouse_type
    if column.type in ("date", "timestamp") and column.format:
        pattern = spark_pattern(column.format).replace("'", "''")
        parsed = f"try_to_timestamp({value}, '{pattern}')"
        return f"cast({parsed} as date)" if column.type == "date" else parsed
    if sql_type in ("timestamptz", "timestamp"):  # an instant: the session in UTC keeps its UTC wall time
        return f"try_cast({value} as timestamp)"
    return f"try_cast({value} as {sql_type})" if sql_type else value


def spark_pattern(strptime: str) -> str:
    """A strptime pattern as Spark's (Java) datetime pattern; a directive it cannot say is an error."""
    import re

    out, pos = [], 0
    for match in re.finditer(r"%.", strptime):
        literal = strptime[pos : match.start()]
        out.append(f"'{literal}'" if re.search(r"[A-Za-z]", literal) else literal)
        if match.group() not in _JAVA_PATTERN:
            raise ValueError(f"format {strptime!r}: {match.group()} has no Spark equivalent here")
        out.append(_JAVA_PATTERN[match.group()])
        pos = match.end()
    out.append(strptime[pos:])
    return "".join(out)


# Columns whose values the retailer configuration must know: a business unit code, a currency.
BUSINESS_UNIT_COLUMN = "country_code"
CURRENCY_COLUMN = "currency"


@dataclass(frozen=True)
class SourceContract:
    system: str  # source system
    entity: str  # what one row is, plural
    description: str
    columns: tuple[Column, ...]
    primary_key: tuple[str, ...]
    grain: str = ""
    notes: tuple[str, ...] = field(default_factory=tuple)
    # A file with a header and no rows is refused (a failed export) unless the source may be empty.
    may_be_empty: bool = False
    # NDJSON only: a line that is not a JSON object goes to quarantine (rule malformed_json, with its
    # file and line) instead of refusing the whole file; for high-volume exports (web analytics).
    quarantines_malformed_lines: bool = False

    @property
    def table(self) -> str:
        """Table name in the ``raw`` schema (and the dbt source table)."""
        return f"{self.system}_{self.entity}"

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    @property
    def required_columns(self) -> list[str]:
        return [c.name for c in self.columns if c.required]


def col(
    name: str,
    type_: LogicalType,
    description: str,
    *,
    required: bool = False,
    fmt: str | None = None,
    sql_type: str | None = None,
    in_date_window: bool = True,
):
    return Column(name, type_, description, required, fmt, sql_type, in_date_window)


# Lineage columns the loader adds to every raw table.
LINEAGE_COLUMNS = (
    col("_source_file", "string", "Landing file the row was read from, relative to the landing directory."),
    col(
        "_row_number",
        "integer",
        "1-based data row number in that file (file line = row number + 1 header line).",
    ),
    col("_load_id", "string", "Identifier of the load (the Dagster run id) that read the row."),
    col("_loaded_at", "timestamp", "UTC time the row was loaded."),
)

CONTRACTS: tuple[SourceContract, ...] = (
    SourceContract(
        system="pos",
        entity="receipts",
        description="Till receipts (tickets) from the stores' point-of-sale system, one file per month.",
        grain="one row per receipt",
        primary_key=("ticket_id",),
        columns=(
            col("ticket_id", "string", "Receipt id: store code, business date and sequence.", required=True),
            col("store_code", "string", "Store where the receipt was rung up.", required=True),
            col("register_no", "integer", "Till number in the store."),
            col(
                "ticket_ts",
                "timestamp",
                "Local store time of the receipt (no zone).",
                required=True,
                sql_type="timestamp",
            ),
            col("loyalty_card_no", "string", "Loyalty card scanned at the till, empty when none was."),
            col(
                "customer_number",
                "string",
                "The customer's number as the till knows it when no loyalty card is scanned (the "
                "CRM contact with that customer_number); empty when unknown.",
            ),
            col("total_amount", "decimal", "Receipt total in the store's currency, returns negative."),
            col("currency", "string", "ISO 4217 currency code."),
        ),
    ),
    SourceContract(
        system="pos",
        entity="receipt_lines",
        description="Receipt lines from the point-of-sale system; returns are negative lines.",
        grain="one row per receipt line",
        primary_key=("ticket_id", "line_no"),
        columns=(
            col("ticket_id", "string", "Receipt the line belongs to.", required=True),
            col("line_no", "integer", "Line number within the receipt, from 1.", required=True),
            col("sku", "string", "Product sold or returned.", required=True),
            col("qty", "integer", "Quantity, negative for a return.", required=True),
            col("unit_price", "decimal", "Shelf price per unit in the store's currency.", required=True),
            col("discount_amount", "decimal", "Discount granted on the line (positive number, 0 when none)."),
            col(
                "line_amount",
                "decimal",
                "Amount paid: qty * unit_price - discount (negative for a return).",
                required=True,
            ),
            col("is_return", "string", "'Y' for a return line, 'N' otherwise.", required=True),
        ),
    ),
    SourceContract(
        system="ecommerce",
        entity="accounts",
        description="Web-shop customer accounts.",
        grain="one row per account",
        primary_key=("account_id",),
        columns=(
            col("account_id", "string", "Web-shop account id (hexadecimal).", required=True),
            col("customer_number", "string", "The retailer's own customer number, when the account has one."),
            col("login_email", "string", "E-mail used to log in.", required=True),
            col("first_name", "string", "First name as typed by the customer."),
            col("last_name", "string", "Last name as typed by the customer."),
            col("phone", "string", "Phone as typed by the customer (free format)."),
            col("birth_date", "date", "Birth date (ISO), optional.", in_date_window=False),
            col(
                "country_code", "string", "Web shop the account belongs to (ISO 3166 alpha-2).", required=True
            ),
            col("created_at", "timestamp", "Account creation, ISO 8601 UTC.", required=True),
        ),
    ),
    SourceContract(
        system="ecommerce",
        entity="orders",
        description="Web-shop orders with their delivery address, one file per month. Guest orders have no account.",
        grain="one row per order",
        primary_key=("order_id",),
        columns=(
            col("order_id", "string", "Order number.", required=True),
            col("account_id", "string", "Account that placed the order; empty for a guest checkout."),
            col("customer_email", "string", "E-mail given at checkout.", required=True),
            col("ordered_at", "timestamp", "Order time, ISO 8601 UTC.", required=True),
            col("country_code", "string", "Web shop (ISO 3166 alpha-2).", required=True),
            col("order_status", "string", "completed, cancelled or returned."),
            col("delivery_first_name", "string", "Delivery first name."),
            col("delivery_last_name", "string", "Delivery last name."),
            col("delivery_street", "string", "Delivery street address."),
            col("delivery_postcode", "string", "Delivery postcode."),
            col("delivery_city", "string", "Delivery city."),
            col("delivery_phone", "string", "Delivery phone (free format)."),
            col("currency", "string", "ISO 4217 currency code."),
            col("order_total", "decimal", "Order total including shipping, in the shop's currency."),
            col("shipping_fee", "decimal", "Shipping fee."),
        ),
    ),
    SourceContract(
        system="ecommerce",
        entity="order_lines",
        description="Web-shop order lines, one file per month; a return is a 'return' line on the original order number.",
        grain="one row per order line",
        primary_key=("order_id", "line_number"),
        columns=(
            col("order_id", "string", "Order the line belongs to.", required=True),
            col("line_number", "integer", "Line number within the order.", required=True),
            col("sku", "string", "Product.", required=True),
            col("quantity", "integer", "Quantity, negative on a return line.", required=True),
            col("unit_price", "decimal", "Price per unit.", required=True),
            col("discount", "decimal", "Discount on the line (positive, 0 when none)."),
            col("line_type", "string", "'sale' or 'return'.", required=True),
            col(
                "line_at",
                "timestamp",
                "When the line was booked (return date for returns), ISO 8601 UTC.",
                required=True,
            ),
        ),
    ),
    SourceContract(
        system="crm",
        entity="contacts",
        description="CRM contacts keyed in by store staff and the call centre: accents, typos, format variations and gaps.",
        grain="one row per CRM contact",
        primary_key=("contact_id",),
        columns=(
            col("contact_id", "string", "CRM contact id.", required=True),
            col("customer_number", "string", "The retailer's own customer number (an identifier)."),
            col("salutation", "string", "Mr, Mrs, Ms, M., Mme, Pan, Pani… as keyed."),
            col("first_name", "string", "First name, any case, accents sometimes lost."),
            col("last_name", "string", "Last name, any case, accents sometimes lost."),
            col("email", "string", "E-mail, may carry typos or spaces."),
            col("phone", "string", "Phone in national or international format, spaces and dots."),
            col("street", "string", "Street address."),
            col("address_line_2", "string", "Second address line (building, flat, c/o)."),
            col("postcode", "string", "Postcode in the country's format (or not)."),
            col("city", "string", "City."),
            col("country_code", "string", "Business unit country (ISO 3166 alpha-2).", required=True),
            col("birth_date", "date", "Birth date (ISO).", in_date_window=False),
            col("created_at", "timestamp", "Contact creation, ISO 8601 UTC.", required=True),
            col("updated_at", "timestamp", "Last update, ISO 8601 UTC."),
            col("origin", "string", "Where the contact was captured: store, web, call_centre, event."),
        ),
    ),
    SourceContract(
        system="loyalty",
        entity="cards",
        description="Loyalty cards and the CRM contact they are registered to.",
        grain="one row per card",
        primary_key=("card_number",),
        columns=(
            col("card_number", "string", "13-digit card number printed on the card.", required=True),
            col("contact_id", "string", "CRM contact the card is registered to.", required=True),
            col("issued_at", "date", "Issue date (ISO).", required=True),
            col("issuing_store_code", "string", "Store that issued the card."),
            col("card_status", "string", "active, lost or closed."),
        ),
    ),
    SourceContract(
        system="emailing",
        entity="events",
        description="E-mail service provider events (sent, open, click, unsubscribe, bounce), newline-delimited JSON per month.",
        grain="one row per e-mail event",
        primary_key=("event_id",),
        columns=(
            col("event_id", "string", "Event id.", required=True),
            col("subscriber_id", "string", "ESP subscriber id.", required=True),
            col("email", "string", "Subscriber e-mail address.", required=True),
            col("campaign_id", "string", "Campaign the e-mail belongs to.", required=True),
            col("event_type", "string", "sent, open, click, unsubscribe or bounce.", required=True),
            col("event_at", "timestamp", "Event time, ISO 8601 UTC.", required=True),
            col("bounce_type", "string", "For a bounce: hard (the address is dead) or soft; else empty."),
        ),
    ),
    SourceContract(
        system="marketing",
        entity="spend",
        description="Paid marketing spend per day, country and channel.",
        grain="one row per day, country and channel",
        primary_key=("spend_date", "country_code", "channel"),
        columns=(
            col("spend_date", "date", "Day of the spend (ISO).", required=True),
            col("country_code", "string", "Business unit country.", required=True),
            col("channel", "string", "Acquisition channel.", required=True),
            col(
                "spend",
                "decimal",
                "Amount spent in the currency below.",
                required=True,
                sql_type="decimal(14, 2)",
            ),
            col("currency", "string", "ISO 4217 currency code.", required=True),
        ),
    ),
    SourceContract(
        system="marketing",
        entity="acquisitions",
        description="Attribution export: the channel that acquired each customer, keyed by the record it created.",
        grain="one row per acquired source record",
        primary_key=("source_system", "source_id"),
        columns=(
            col(
                "source_system",
                "string",
                "System of the record created on acquisition: crm or ecommerce.",
                required=True,
            ),
            col("source_id", "string", "Id of that record (contact_id or account_id).", required=True),
            col("acquisition_channel", "string", "Channel credited with the acquisition.", required=True),
            col("campaign_code", "string", "Campaign code when known."),
            col("acquired_at", "timestamp", "Acquisition time, ISO 8601 UTC.", required=True),
        ),
    ),
    SourceContract(
        system="catalog",
        entity="categories",
        description="Product category tree (department > category).",
        grain="one row per category",
        primary_key=("category_id",),
        columns=(
            col("category_id", "string", "Category code.", required=True),
            col("parent_category_id", "string", "Parent category, empty for a top-level department."),
            col("category_name", "string", "Category name (English).", required=True),
            col("level", "integer", "1 for a department, 2 for a category.", required=True),
        ),
    ),
    SourceContract(
        system="catalog",
        entity="products",
        description="Group product catalogue.",
        grain="one row per product (SKU)",
        primary_key=("sku",),
        columns=(
            col("sku", "string", "Stock keeping unit, 8 digits.", required=True),
            col("product_name", "string", "Product name.", required=True),
            col("category_id", "string", "Level-2 category.", required=True),
            col("brand", "string", "Brand."),
            col("price_tier", "string", "entry, standard or premium."),
            col("launched_on", "date", "Launch date (ISO).", in_date_window=False),
        ),
    ),
    SourceContract(
        system="catalog",
        entity="prices",
        description="List and cost price of each product per country, in the country's currency.",
        grain="one row per product and country",
        primary_key=("sku", "country_code"),
        columns=(
            col("sku", "string", "Product.", required=True),
            col("country_code", "string", "Business unit country.", required=True),
            col("currency", "string", "ISO 4217 currency code.", required=True),
            col("list_price", "decimal", "Shelf price including tax.", required=True),
            col("cost_price", "decimal", "Purchase cost.", required=True),
        ),
    ),
    SourceContract(
        system="erp",
        entity="stores",
        description="Store master from the ERP, web shops included (store_type 'web').",
        grain="one row per store or web shop",
        primary_key=("store_code",),
        columns=(
            col("store_code", "string", "Store code (country + number, or WEB-<country>).", required=True),
            col("store_name", "string", "Store name.", required=True),
            col("store_type", "string", "store or web.", required=True),
            col("country_code", "string", "Business unit country.", required=True),
            col("city", "string", "City."),
            col("postcode", "string", "Postcode."),
            col("timezone", "string", "IANA time zone of the store.", required=True),
            col("currency", "string", "ISO 4217 currency code.", required=True),
            col("opened_on", "date", "Opening date (ISO).", in_date_window=False),
            col("surface_m2", "integer", "Sales surface in square metres, empty for web shops."),
        ),
    ),
    SourceContract(
        system="consent",
        entity="preferences",
        description="Consent management platform: latest opt-in / opt-out per record and channel.",
        grain="one row per source record and channel",
        primary_key=("source_system", "source_id", "channel"),
        columns=(
            col("source_system", "string", "crm or ecommerce.", required=True),
            col("source_id", "string", "contact_id or account_id.", required=True),
            col("channel", "string", "email, sms, phone or post.", required=True),
            col("status", "string", "opt_in or opt_out.", required=True),
            col("collected_at", "timestamp", "When the choice was collected, ISO 8601 UTC.", required=True),
        ),
    ),
    SourceContract(
        system="consent",
        entity="erasure_requests",
        description="Right-to-erasure requests, identified by the e-mail and/or phone the person gave.",
        may_be_empty=True,  # a day without any request is normal
        grain="one row per request",
        primary_key=("request_id",),
        columns=(
            col("request_id", "string", "Request id.", required=True),
            col("email", "string", "E-mail of the person asking."),
            col("phone", "string", "Phone of the person asking."),
            col("country_code", "string", "Business unit that received the request.", required=True),
            col("requested_at", "timestamp", "When the request was received, ISO 8601 UTC.", required=True),
        ),
    ),
    SourceContract(
        system="consent",
        entity="access_requests",
        description="Right-of-access and portability requests, identified by what the person gave: e-mail, "
        "phone and/or a customer number (a CRM contact, web account or loyalty card number, or their customer id).",
        may_be_empty=True,  # a day without any request is normal
        grain="one row per request",
        primary_key=("request_id",),
        columns=(
            col("request_id", "string", "Request id.", required=True),
            col("email", "string", "E-mail of the person asking."),
            col("phone", "string", "Phone of the person asking."),
            col(
                "customer_reference",
                "string",
                "A customer number the person gave: CRM contact, web account or loyalty card number, or customer id.",
            ),
            col("country_code", "string", "Business unit that received the request.", required=True),
            col("received_at", "timestamp", "When the request was received, ISO 8601 UTC.", required=True),
        ),
    ),
    SourceContract(
        system="campaigns",
        entity="campaigns",
        description="Campaigns the CRM team ran from its campaign tool, each with a control group.",
        may_be_empty=True,  # a retailer that never ran a measured campaign
        grain="one row per campaign",
        primary_key=("campaign_code",),
        columns=(
            col("campaign_code", "string", "Campaign code.", required=True),
            col("campaign_name", "string", "Campaign name."),
            col("country_code", "string", "Business unit the campaign ran in.", required=True),
            col("channel", "string", "email, sms, phone or post.", required=True),
            col("offer", "string", "Offer made to the treated contacts."),
            col("sent_on", "date", "Day the campaign was sent (ISO).", required=True),
            col(
                "measurement_days", "integer", "Days after sent_on over which it is measured.", required=True
            ),
            col(
                "cost_per_contact",
                "decimal",
                "Cost of one contact in the currency below.",
                required=True,
                sql_type="decimal(12, 4)",
            ),
            col("currency", "string", "ISO 4217 currency code.", required=True),
        ),
    ),
    SourceContract(
        system="campaigns",
        entity="contact_log",
        description="Contact log of the campaign tool: every targeted CRM contact, treated or held out as control.",
        may_be_empty=True,
        grain="one row per campaign and CRM contact",
        primary_key=("campaign_code", "contact_id"),
        columns=(
            col("campaign_code", "string", "Campaign (campaigns.csv).", required=True),
            col("contact_id", "string", "CRM contact targeted.", required=True),
            col("contact_group", "string", "treatment (contacted) or control (held out).", required=True),
            col("contacted_at", "timestamp", "When the contact was sent, ISO 8601 UTC; empty for control."),
        ),
    ),
)


# The web analytics export: event types and page types the contract knows (staging tests them).
WEB_EVENT_TYPES = ("session_start", "page_view", "product_view", "search", "cart_add", "cart_remove", "login")
WEB_PAGE_TYPES = ("home", "category", "product", "search", "cart", "checkout", "account")

CONTRACTS += (
    SourceContract(
        system="web",
        entity="events",
        description="Web analytics export (clickstream): sessions, page and product views, searches, cart "
        "adds and removes, logins, keyed by an anonymous browser cookie; gzip-compressed newline-delimited "
        "JSON, one file per day.",
        grain="one row per web event",
        primary_key=("event_id",),
        quarantines_malformed_lines=True,
        columns=(
            col("event_id", "string", "Event id, unique across files.", required=True),
            col("event_at", "timestamp", "Event time, ISO 8601 UTC.", required=True),
            col("cookie_id", "string", "Anonymous browser cookie id.", required=True),
            col("session_id", "string", "Visit (session) id, unique per visit.", required=True),
            col("event_type", "string", ", ".join(WEB_EVENT_TYPES) + ".", required=True),
            col(
                "country_code",
                "string",
                "Web shop (business unit code) the event happened on.",
                required=True,
            ),
            col("account_id", "string", "E-commerce account that logged in, on login events; else empty."),
            col("page_type", "string", ", ".join(WEB_PAGE_TYPES) + "; empty on session_start."),
            col(
                "category_id",
                "string",
                "Level-2 catalogue category on category pages, product views and cart events.",
            ),
            col("sku", "string", "Catalogue SKU on product views and cart events."),
            col("search_query", "string", "Text typed in the site search, on search events."),
            col("utm_source", "string", "Campaign source on session_start (empty for a direct visit)."),
            col(
                "utm_medium",
                "string",
                "cpc, social, email, referral or display on session_start; empty when direct.",
            ),
            col(
                "utm_campaign",
                "string",
                "Campaign code on session_start (the e-mail tool's campaign_id for e-mail links).",
            ),
            col("user_agent", "string", "Browser user agent (personal data: staging only)."),
            col("ip_address", "string", "Client IP address (personal data: staging only)."),
        ),
    ),
    SourceContract(
        system="reference",
        entity="postcode_centroids",
        description="Postcode centroids: the national postcode files the retailer buys (catchment areas).",
        grain="one row per business unit and postcode",
        primary_key=("country_code", "postcode"),
        columns=(
            col("country_code", "string", "Business unit the postcode belongs to.", required=True),
            col("postcode", "string", "Postcode as the country writes it.", required=True),
            col(
                "latitude",
                "decimal",
                "Latitude of the centroid (WGS 84, degrees).",
                required=True,
                sql_type="double",
            ),
            col(
                "longitude",
                "decimal",
                "Longitude of the centroid (WGS 84, degrees).",
                required=True,
                sql_type="double",
            ),
        ),
    ),
)

CONTRACTS_BY_TABLE = {c.table: c for c in CONTRACTS}
