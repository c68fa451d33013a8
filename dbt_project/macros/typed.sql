{#- Generated from platform_assets/landing/contracts.py (typed_sql) by
    `python -m platform_assets.landing.render_sources`: edit the contracts, not this file.
    A raw column in its contract type, parsed as the quarantine rules parse it. -#}
{% macro typed(source_name, table_name, column_name) -%}
{%- set expressions = {
    "pos.receipts.register_no": "try_cast(nullif(trim(\"register_no\"), '') as integer)",
    "pos.receipts.ticket_ts": "try_cast(nullif(trim(\"ticket_ts\"), '') as timestamp)",
    "pos.receipts.total_amount": "try_cast(nullif(trim(\"total_amount\"), '') as decimal(12, 2))",
    "pos.receipt_lines.line_no": "try_cast(nullif(trim(\"line_no\"), '') as integer)",
    "pos.receipt_lines.qty": "try_cast(nullif(trim(\"qty\"), '') as integer)",
    "pos.receipt_lines.unit_price": "try_cast(nullif(trim(\"unit_price\"), '') as decimal(12, 2))",
    "pos.receipt_lines.discount_amount": "try_cast(nullif(trim(\"discount_amount\"), '') as decimal(12, 2))",
    "pos.receipt_lines.line_amount": "try_cast(nullif(trim(\"line_amount\"), '') as decimal(12, 2))",
    "ecommerce.accounts.birth_date": "try_cast(nullif(trim(\"birth_date\"), '') as date)",
    "ecommerce.accounts.created_at": "try_cast(nullif(trim(\"created_at\"), '') as timestamptz) at time zone 'UTC'",
    "ecommerce.orders.ordered_at": "try_cast(nullif(trim(\"ordered_at\"), '') as timestamptz) at time zone 'UTC'",
    "ecommerce.orders.order_total": "try_cast(nullif(trim(\"order_total\"), '') as decimal(12, 2))",
    "ecommerce.orders.shipping_fee": "try_cast(nullif(trim(\"shipping_fee\"), '') as decimal(12, 2))",
    "ecommerce.order_lines.line_number": "try_cast(nullif(trim(\"line_number\"), '') as integer)",
    "ecommerce.order_lines.quantity": "try_cast(nullif(trim(\"quantity\"), '') as integer)",
    "ecommerce.order_lines.unit_price": "try_cast(nullif(trim(\"unit_price\"), '') as decimal(12, 2))",
    "ecommerce.order_lines.discount": "try_cast(nullif(trim(\"discount\"), '') as decimal(12, 2))",
    "ecommerce.order_lines.line_at": "try_cast(nullif(trim(\"line_at\"), '') as timestamptz) at time zone 'UTC'",
    "crm.contacts.birth_date": "try_cast(nullif(trim(\"birth_date\"), '') as date)",
    "crm.contacts.created_at": "try_cast(nullif(trim(\"created_at\"), '') as timestamptz) at time zone 'UTC'",
    "crm.contacts.updated_at": "try_cast(nullif(trim(\"updated_at\"), '') as timestamptz) at time zone 'UTC'",
    "loyalty.cards.issued_at": "try_cast(nullif(trim(\"issued_at\"), '') as date)",
    "emailing.events.event_at": "try_cast(nullif(trim(\"event_at\"), '') as timestamptz) at time zone 'UTC'",
    "marketing.spend.spend_date": "try_cast(nullif(trim(\"spend_date\"), '') as date)",
    "marketing.spend.spend": "try_cast(nullif(trim(\"spend\"), '') as decimal(14, 2))",
    "marketing.acquisitions.acquired_at": "try_cast(nullif(trim(\"acquired_at\"), '') as timestamptz) at time zone 'UTC'",
    "catalog.categories.level": "try_cast(nullif(trim(\"level\"), '') as integer)",
    "catalog.products.launched_on": "try_cast(nullif(trim(\"launched_on\"), '') as date)",
    "catalog.prices.list_price": "try_cast(nullif(trim(\"list_price\"), '') as decimal(12, 2))",
    "catalog.prices.cost_price": "try_cast(nullif(trim(\"cost_price\"), '') as decimal(12, 2))",
    "erp.stores.opened_on": "try_cast(nullif(trim(\"opened_on\"), '') as date)",
    "erp.stores.surface_m2": "try_cast(nullif(trim(\"surface_m2\"), '') as integer)",
    "consent.preferences.collected_at": "try_cast(nullif(trim(\"collected_at\"), '') as timestamptz) at time zone 'UTC'",
    "consent.erasure_requests.requested_at": "try_cast(nullif(trim(\"requested_at\"), '') as timestamptz) at time zone 'UTC'",
    "consent.access_requests.received_at": "try_cast(nullif(trim(\"received_at\"), '') as timestamptz) at time zone 'UTC'",
    "campaigns.campaigns.sent_on": "try_cast(nullif(trim(\"sent_on\"), '') as date)",
    "campaigns.campaigns.measurement_days": "try_cast(nullif(trim(\"measurement_days\"), '') as integer)",
    "campaigns.campaigns.cost_per_contact": "try_cast(nullif(trim(\"cost_per_contact\"), '') as decimal(12, 4))",
    "campaigns.contact_log.contacted_at": "try_cast(nullif(trim(\"contacted_at\"), '') as timestamptz) at time zone 'UTC'",
    "web.events.event_at": "try_cast(nullif(trim(\"event_at\"), '') as timestamptz) at time zone 'UTC'",
    "reference.postcode_centroids.latitude": "try_cast(nullif(trim(\"latitude\"), '') as double)",
    "reference.postcode_centroids.longitude": "try_cast(nullif(trim(\"longitude\"), '') as double)",
} -%}
{%- set key = source_name ~ '.' ~ table_name ~ '.' ~ column_name -%}
{%- if key not in expressions -%}
{{ exceptions.raise_compiler_error('typed: no typed raw column ' ~ key) }}
{%- endif -%}
{{ expressions[key] }}
{%- endmacro %}
