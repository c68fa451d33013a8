"""Catchment areas (zones de chalandise), as of a reference date (DuckDB SQL, set-based).

Customers and stores are placed at their postcode's centroid (``staging.stg_reference__postcode_centroids``,
the retailer's reference file; postcodes compared upper-cased without spaces or punctuation, within the
business unit). Each customer's **nearest store** is the nearest physical store of their business unit
(great-circle distance, haversine, Earth radius 6,371 km; ties: the lowest store id), and its distance
falls in a **band** of the configured ``distance_bands_km`` (``[10, 25, 50]``: ``0-10 km``, ``10-25 km``,
``25-50 km``, ``50+ km``). A customer with no postcode, a postcode the reference does not know, or no
located store in their unit is ``unknown``: kept, never dropped.

Per store, its customers by band, and its net revenue of the ``revenue_window_days`` before the
reference date (purchase receipts, net of the returns booked on them; return-only receipts left out, as
in the attribution, so no band has a negative share) by the band of each buying customer's distance **to that store** (``unknown``: buyers not
located; ``anonymous``: receipts without a customer); ``located_revenue_share`` divides by the revenue of
located buyers only, so the share from outside the primary zone (beyond the first band) is theirs.
"""

from __future__ import annotations

import itertools
from datetime import date

from platform_assets.lib.profit_settings import CatchmentSettings

CUSTOMER_TABLE = "features.customer_catchment"
STORE_TABLE = "sales.store_catchment"
CENTROIDS = "staging.stg_reference__postcode_centroids"
# what the two catchment queries read: customers x stores, and the window's orders (on the run's engine:
# lib/engine_queries.py)
CUSTOMER_READS = (CENTROIDS, "referential.dim_store", "referential.dim_customer")
STORE_READS = (*CUSTOMER_READS, "sales.fct_orders", CUSTOMER_TABLE)
UNKNOWN = "unknown"
ANONYMOUS = "anonymous"
EARTH_RADIUS_KM = 6371.0


def _key(column: str) -> str:
    return f"regexp_replace(upper({column}), '[^A-Z0-9]', '', 'g')"


def band_labels(settings: CatchmentSettings) -> list[str]:
    edges = [0, *settings.distance_bands_km]
    labels = [f"{lo:g}-{hi:g} km" for lo, hi in itertools.pairwise(edges)]
    return [*labels, f"{edges[-1]:g}+ km"]


def band_sql(distance: str, settings: CatchmentSettings) -> str:
    labels = band_labels(settings)
    whens = " ".join(
        f"when {distance} < {edge!r} then '{label}'"
        for edge, label in zip(settings.distance_bands_km, labels, strict=False)
    )
    return f"case when {distance} is null then '{UNKNOWN}' {whens} else '{labels[-1]}' end"


def _distance(a: str, b: str) -> str:
    """Haversine distance in km between the (latitude, longitude) columns of aliases ``a`` and ``b``."""
    return (
        f"2 * {EARTH_RADIUS_KM} * asin(sqrt(pow(sin(radians({b}.latitude - {a}.latitude) / 2), 2) + "
        f"cos(radians({a}.latitude)) * cos(radians({b}.latitude)) * "
        f"pow(sin(radians({b}.longitude - {a}.longitude) / 2), 2)))"
    )


def _located_sql() -> str:
    return f"""
centroids as (
    select country_code, {_key("postcode")} as postcode_key, any_value(latitude) as latitude,
           any_value(longitude) as longitude
    from {CENTROIDS}
    group by all
),

stores as (
    select s.store_id, s.country_code, c.latitude, c.longitude
    from referential.dim_store as s
    inner join centroids as c
        on s.country_code = c.country_code and {_key("s.postcode")} = c.postcode_key
    where not s.is_web_shop
),

customers as (
    select d.customer_id, d.country_code, c.latitude, c.longitude
    from referential.dim_customer as d
    left join centroids as c
        on d.country_code = c.country_code and {_key("d.postcode")} = c.postcode_key
)"""


def customer_catchment_sql(settings: CatchmentSettings, reference_date: date) -> str:
    """One row per customer of the referential: nearest store, distance, band."""
    return f"""
with
{_located_sql()},

nearest as (
    select
        c.customer_id,
        arg_min(s.store_id, ({_distance("c", "s")}, s.store_id)) as nearest_store_id,
        min({_distance("c", "s")}) as distance_km
    from customers as c
    inner join stores as s on c.country_code = s.country_code
    where c.latitude is not null
    group by c.customer_id
)

select
    c.customer_id,
    c.country_code as business_unit,
    date '{reference_date.isoformat()}' as reference_date,
    c.latitude is not null as is_located,
    n.nearest_store_id,
    round(n.distance_km, 2) as distance_km,
    {band_sql("n.distance_km", settings)} as distance_band
from customers as c
left join nearest as n using (customer_id)
order by c.customer_id
"""


def store_catchment_sql(settings: CatchmentSettings, reference_date: date) -> str:
    """One row per physical store and band: its nearest customers, buyers and revenue of the window."""
    ref = f"date '{reference_date.isoformat()}'"
    labels = [*band_labels(settings), UNKNOWN, ANONYMOUS]
    n_bands = len(labels) - 2
    bands = ", ".join(f"('{label}', {k})" for k, label in enumerate(labels))
    return f"""
with
{_located_sql()},

orders as (
    select o.store_id, o.customer_id, o.net_amount
    from sales.fct_orders as o
    where not o.is_cancelled and not o.is_return_only
        and o.ordered_date >= {ref} - {settings.revenue_window_days}
        and o.ordered_date < {ref}
),

bought as (
    select
        o.store_id,
        case
            when o.customer_id is null then '{ANONYMOUS}'
            else {band_sql(_distance("c", "s"), settings)}
        end as distance_band,
        count(distinct o.customer_id) as buying_customers,
        sum(o.net_amount) as net_revenue  -- decimal: exact, whatever the order of addition
    from orders as o
    inner join stores as s on o.store_id = s.store_id
    left join customers as c on o.customer_id = c.customer_id
    group by all
),

nearest as (
    select nearest_store_id as store_id, distance_band, count(*) as nearest_customers
    from {CUSTOMER_TABLE}
    where nearest_store_id is not null
    group by all
),

grid as (
    select s.store_id, s.store_name, s.country_code, b.distance_band, b.band_order
    from referential.dim_store as s
    cross join (values {bands}) as b(distance_band, band_order)
    where not s.is_web_shop
)

select
    g.store_id,
    g.distance_band,
    g.country_code as business_unit,
    {ref} as reference_date,
    g.store_name,
    g.band_order,
    g.store_id in (select store_id from stores) as is_located,
    coalesce(n.nearest_customers, 0) as nearest_customers,
    coalesce(b.buying_customers, 0) as buying_customers,
    coalesce(b.net_revenue, 0)::double as net_revenue,
    -- exact decimal sums divided as doubles (Spark's decimal division keeps 6 decimals, DuckDB's none)
    coalesce(b.net_revenue, 0)::double
        / nullif(sum(coalesce(b.net_revenue, 0)) over (partition by g.store_id), 0)::double as revenue_share,
    -- of the revenue from located buyers (the distance bands): unknown and anonymous have none
    case when g.band_order < {n_bands} then
        coalesce(b.net_revenue, 0)::double / nullif(
            sum(coalesce(b.net_revenue, 0)) filter (where g.band_order < {n_bands}) over (partition by g.store_id), 0
        )::double
    end as located_revenue_share,
    case when g.band_order < {n_bands} then g.band_order > 0 end as is_outside_primary_zone
from grid as g
left join nearest as n using (store_id, distance_band)
left join bought as b using (store_id, distance_band)
order by g.store_id, g.band_order
"""
