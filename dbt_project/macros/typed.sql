{#- Generated from platform_assets/landing/contracts.py (typed_sql) by
    `python -m platform_assets.landing.render_sources`: edit the contracts, not this file.
    A raw column in its contract type, parsed as the quarantine rules parse it, in the
    dialect of the target's adapter (duckdb, spark). -#}
{% macro typed(source_name, table_name, column_name) -%}
{%- set expressions = {
    "pos.receipts.register_no": {"duckdb": "try_cast(nullif(trim(\"register_no\"), '') as integer)", "spark": "try_cast(nullif(trim(`register_no`), '') as integer)"},
    "pos.receipts.ticket_ts": {"duckdb": "try_cast(nullif(trim(\"ticket_ts\"), '') as timestamp)", "spark": "try_cast(nullif(trim(`ticket_ts`), '') as timestamp)"},
    "pos.receipts.total_amount": {"duckdb": "try_cast(nullif(trim(\"total_amount\"), '') as decimal(12, 2))", "spark": "try_cast(nullif(trim(`total_amount`), '') as decimal(12, 2))"},
    "pos.receipt_lines.line_no": {"duckdb": "try_cast(nullif(trim(\"line_no\"), '') as integer)", "spark": "try_cast(nullif(trim(`line_no`), '') as integer)"},
    "pos.receipt_lines.qty": {"duckdb": "try_cast(nullif(trim(\"qty\"), '') as integer)", "spark": "try_cast(nullif(trim(`qty`), '') as integer)"},
    "pos.receipt_lines.unit_price": {"duckdb": "try_cast(nullif(trim(\"unit_price\"), '') as decimal(12, 2))", "spark": "try_cast(nullif(trim(`unit_price`), '') as decimal(12, 2))"},
    "pos.receipt_lines.discount_amount": {"duckdb": "try_cast(nullif(trim(\"discount_amount\"), '') as decimal(12, 2))", "spark": "try_cast(nullif(trim(`discount_amount`), '') as decimal(12, 2))"},
    "pos.receipt_lines.line_amount": {"duckdb": "try_cast(nullif(trim(\"line_amount\"), '') as decimal(12, 2))", "spark": "try_cast(nullif(trim(`line_amount`), '') as decimal(12, 2))"},
    "ecommerce.accounts.birth_date": {"duckdb": "try_cast(nullif(trim(\"birth_date\"), '') as date)", "spark": "try_cast(nullif(trim(`birth_date`), '') as date)"},
    "ecommerce.accounts.created_at": {"duckdb": "try_cast(nullif(trim(\"created_at\"), '') as timestamptz) at time zone 'UTC'", "spark": "try_cast(nullif(trim(`created_at`), '') as timestamp)"},
    "ecommerce.orders.ordered_at": {"duckdb": "try_cast(nullif(trim(\"ordered_at\"), '') as timestamptz) at time zone 'UTC'", "spark": "try_cast(nullif(trim(`ordered_at`), '') as timestamp)"},
    "ecommerce.orders.order_total": {"duckdb": "try_cast(nullif(trim(\"order_total\"), '') as decimal(12, 2))", "spark": "try_cast(nullif(trim(`order_total`), '') as decimal(12, 2))"},
    "ecommerce.orders.shipping_fee": {"duckdb": "try_cast(nullif(trim(\"shipping_fee\"), '') as decimal(12, 2))", "spark": "try_cast(nullif(trim(`shipping_fee`), '') as decimal(12, 2))"},
    "ecommerce.order_lines.line_number": {"duckdb": "try_cast(nullif(trim(\"line_number\"), '') as integer)", "spark": "try_cast(nullif(trim(`line_number`), '') as integer)"},
    "ecommerce.order_lines.quantity": {"duckdb": "try_cast(nullif(trim(\"quantity\"), '') as integer)", "spark": "try_cast(nullif(trim(`quantity`), '') as integer)"},
    "ecommerce.order_lines.unit_price": {"duckdb": "try_cast(nullif(trim(\"unit_price\"), '') as decimal(12, 2))", "spark": "try_cast(nullif(trim(`unit_price`), '') as decimal(12, 2))"},
    "ecommerce.order_lines.discount": {"duckdb": "try_cast(nullif(trim(\"discount\"), '') as decimal(12, 2))", "spark": "try_cast(nullif(trim(`discount`), '') as decimal(12, 2))"},
    "ecommerce.order_lines.line_at": {"duckdb": "try_cast(nullif(trim(\"line_at\"), '') as timestamptz) at time zone 'UTC'", "spark": "try_cast(nullif(trim(`line_at`), '') as timestamp)"},
    "crm.contacts.birth_date": {"duckdb": "try_cast(nullif(trim(\"birth_date\"), '') as date)", "spark": "try_cast(nullif(trim(`birth_date`), '') as date)"},
    "crm.contacts.created_at": {"duckdb": "try_cast(nullif(trim(\"created_at\"), '') as timestamptz) at time zone 'UTC'", "spark": "try_cast(nullif(trim(`created_at`), '') as timestamp)"},
    "crm.contacts.updated_at": {"duckdb": "try_cast(nullif(trim(\"updated_at\"), '') as timestamptz) at time zone 'UTC'", "spark": "try_cast(nullif(trim(`updated_at`), '') as timestamp)"},
    "loyalty.cards.issued_at": {"duckdb": "try_cast(nullif(trim(\"issued_at\"), '') as date)", "spark": "try_cast(nullif(trim(`issued_at`), '') as date)"},
    "emailing.events.event_at": {"duckdb": "try_cast(nullif(trim(\"event_at\"), '') as timestamptz) at time zone 'UTC'", "spark": "try_cast(nullif(trim(`event_at`), '') as timestamp)"},
    "marketing.spend.spend_date": {"duckdb": "try_cast(nullif(trim(\"spend_date\"), '') as date)", "spark": "try_cast(nullif(trim(`spend_date`), '') as date)"},
    "marketing.spend.spend": {"duckdb": "try_cast(nullif(trim(\"spend\"), '') as decimal(14, 2))", "spark": "try_cast(nullif(trim(`spend`), '') as decimal(14, 2))"},
    "marketing.acquisitions.acquired_at": {"duckdb": "try_cast(nullif(trim(\"acquired_at\"), '') as timestamptz) at time zone 'UTC'", "spark": "try_cast(nullif(trim(`acquired_at`), '') as timestamp)"},
    "catalog.categories.level": {"duckdb": "try_cast(nullif(trim(\"level\"), '') as integer)", "spark": "try_cast(nullif(trim(`level`), '') as integer)"},
    "catalog.products.launched_on": {"duckdb": "try_cast(nullif(trim(\"launched_on\"), '') as date)", "spark": "try_cast(nullif(trim(`launched_on`), '') as date)"},
    "catalog.prices.list_price": {"duckdb": "try_cast(nullif(trim(\"list_price\"), '') as decimal(12, 2))", "spark": "try_cast(nullif(trim(`list_price`), '') as decimal(12, 2))"},
    "catalog.prices.cost_price": {"duckdb": "try_cast(nullif(trim(\"cost_price\"), '') as decimal(12, 2))", "spark": "try_cast(nullif(trim(`cost_price`), '') as decimal(12, 2))"},
    "erp.stores.opened_on": {"duckdb": "try_cast(nullif(trim(\"opened_on\"), '') as date)", "spark": "try_cast(nullif(trim(`opened_on`), '') as date)"},
    "erp.stores.surface_m2": {"duckdb": "try_cast(nullif(trim(\"surface_m2\"), '') as integer)", "spark": "try_cast(nullif(trim(`surface_m2`), '') as integer)"},
    "consent.preferences.collected_at": {"duckdb": "try_cast(nullif(trim(\"collected_at\"), '') as timestamptz) at time zone 'UTC'", "spark": "try_cast(nullif(trim(`collected_at`), '') as timestamp)"},
    "consent.erasure_requests.requested_at": {"duckdb": "try_cast(nullif(trim(\"requested_at\"), '') as timestamptz) at time zone 'UTC'", "spark": "try_cast(nullif(trim(`requested_at`), '') as timestamp)"},
    "consent.access_requests.received_at": {"duckdb": "try_cast(nullif(trim(\"received_at\"), '') as timestamptz) at time zone 'UTC'", "spark": "try_cast(nullif(trim(`received_at`), '') as timestamp)"},
    "campaigns.campaigns.sent_on": {"duckdb": "try_cast(nullif(trim(\"sent_on\"), '') as date)", "spark": "try_cast(nullif(trim(`sent_on`), '') as date)"},
    "campaigns.campaigns.measurement_days": {"duckdb": "try_cast(nullif(trim(\"measurement_days\"), '') as integer)", "spark": "try_cast(nullif(trim(`measurement_days`), '') as integer)"},
    "campaigns.campaigns.cost_per_contact": {"duckdb": "try_cast(nullif(trim(\"cost_per_contact\"), '') as decimal(12, 4))", "spark": "try_cast(nullif(trim(`cost_per_contact`), '') as decimal(12, 4))"},
    "campaigns.contact_log.contacted_at": {"duckdb": "try_cast(nullif(trim(\"contacted_at\"), '') as timestamptz) at time zone 'UTC'", "spark": "try_cast(nullif(trim(`contacted_at`), '') as timestamp)"},
    "web.events.event_at": {"duckdb": "try_cast(nullif(trim(\"event_at\"), '') as timestamptz) at time zone 'UTC'", "spark": "try_cast(nullif(trim(`event_at`), '') as timestamp)"},
    "reference.postcode_centroids.latitude": {"duckdb": "try_cast(nullif(trim(\"latitude\"), '') as double)", "spark": "try_cast(nullif(trim(`latitude`), '') as double)"},
    "reference.postcode_centroids.longitude": {"duckdb": "try_cast(nullif(trim(\"longitude\"), '') as double)", "spark": "try_cast(nullif(trim(`longitude`), '') as double)"},
} -%}
{%- set key = source_name ~ '.' ~ table_name ~ '.' ~ column_name -%}
{%- if key not in expressions -%}
{{ exceptions.raise_compiler_error('typed: no typed raw column ' ~ key) }}
{%- endif -%}
{%- if adapter.type() not in expressions[key] -%}
{{ exceptions.raise_compiler_error('typed: no ' ~ adapter.type() ~ ' expression (duckdb, spark)') }}
{%- endif -%}
{{ expressions[key][adapter.type()] }}
{%- endmacro %}
