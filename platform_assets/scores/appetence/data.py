"""Reads for the appetence model: customer x department rows as of a cutoff, and what was bought after.

Every read is cut at its date: purchases by local sale date (``sold_date < cutoff``), web events by
their time (``event_at < cutoff``). The population at a cutoff is every customer with a business unit
and a purchase in the POPULATION_DAYS before it, crossed with every department of the catalogue.

Browsing: ``features.customer_department_browsing`` (the web data path) is as of the reference date
only, and a model trained at earlier cutoffs needs the same indicators as of those cutoffs. So when
that table exists, the browsing indicators are recomputed as of each cutoff, with the table's names
and definitions (plus four of the model's own: the year's views, the month's events, and each as the
department's share of the customer's), from the stitched web events (``staging.stg_web__events`` without bots, joined to
``referential.cookie_xref``, cookies first logged in before the cutoff: ``lib/web_events.py``):
``browsing_as_of``. Without it (no web source) the model trains on
purchases alone and says so (``has_browsing``).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date

import duckdb
import polars as pl

from platform_assets.lib import web_events
from platform_assets.lib.engine_queries import Scan, on_duckdb
from platform_assets.lib.tables import empty_by_design, relation_exists, table_exists

POPULATION_DAYS = 730
# The weight of the unit's department mix in a customer's taste, in lines (a Dirichlet prior): a customer
# with 2 lines is mostly the mix, one with 60 mostly their own.
TASTE_PRIOR_LINES = 6
BROWSING_TABLE = "features.customer_department_browsing"
WEB_EVENTS = web_events.WEB_EVENTS
COOKIE_XREF = web_events.COOKIE_XREF
# The tables each scan reads (lib/engine_queries.py: on Spark with CDP_ENGINE=spark, over these tables).
PRODUCTS = "referential.dim_product"
DAYS_READS = ("sales.fct_sales_lines", PRODUCTS, "referential.dim_customer")
EVENTS_READS = (WEB_EVENTS, COOKIE_XREF)

# Purchase indicators per customer x department and per customer, as of $c (a date literal).
# Amounts stay decimal until summed: exact sums, so a recomputation gives the same bits whatever
# order DuckDB's threads add them in (a double sum differing in its last digit can put a value on
# the other side of a tree's threshold).
# One row per customer with a business unit, department and day bought there (lines and amount of the
# day) in [$start, $end): every purchase indicator counts these rows (no distinct count over the lines).
DAYS_SQL = """
select
    l.customer_id,
    c.country_code as business_unit,
    p.department_id,
    l.sold_date as d,
    count(*) as lines,
    sum(l.net_amount::decimal(18, 2)) as amount
from sales.fct_sales_lines as l
join referential.dim_product as p using (product_id)
join referential.dim_customer as c using (customer_id)
where l.customer_id is not null and not l.is_cancelled and not l.is_return
    and p.department_id is not null and c.country_code is not null
    and l.sold_date < $end and l.sold_date >= $start
group by all
"""

PURCHASES_SQL = """
select * exclude (taste) from (
with days as ($days),
population as (
    select distinct customer_id, business_unit from days
),
-- per customer of the population and department: the last day bought there, and whether in the same
-- 30 days a year before the cut-off
bought as (
    select
        customer_id,
        business_unit,
        department_id,
        max(d) as last_d,
        bool_or(d >= $c - 365 and d < $c - 335) as last_year_30d
    from days
    group by all
),
-- the department's pull in the business unit, over its whole population (whichever customers get rows):
-- the share of its customers who bought there lately, and in the same 30 days a year earlier (the season)
popularity as (
    select
        g.business_unit,
        g.department_id,
        coalesce(b.buyers_30d, 0) / g.customers as popularity_30d,
        coalesce(b.buyers_90d, 0) / g.customers as popularity_90d,
        coalesce(b.buyers_365d, 0) / g.customers as popularity_365d,
        coalesce(b.buyers_last_year_30d, 0) / g.customers as popularity_last_year_30d
    from (
        select u.business_unit, u.customers, dp.department_id
        from (select business_unit, count(*) as customers from population group by business_unit) as u
        cross join (select distinct department_id from referential.dim_product where department_id is not null) as dp
    ) as g
    left join (
        select
            business_unit,
            department_id,
            count(*) filter (where last_d >= $c - 30) as buyers_30d,
            count(*) filter (where last_d >= $c - 90) as buyers_90d,
            count(*) filter (where last_d >= $c - 365) as buyers_365d,
            count(*) filter (where last_year_30d) as buyers_last_year_30d
        from bought
        group by business_unit, department_id
    ) as b using (business_unit, department_id)
),
-- the season: a department's share of the unit's lines in a calendar month over its share in the whole
-- period (garden in spring above 1, in winter below), and that whole-period share (the unit's mix)
unit_months as (
    select business_unit, department_id, month(d) as m, sum(lines) as n
    from days
    group by all
),
season as (
    select
        business_unit,
        department_id,
        m,
        sum(n) over (partition by business_unit, department_id) / sum(n) over (partition by business_unit)
            as line_share,
        (n / sum(n) over (partition by business_unit, m)) / (
            sum(n) over (partition by business_unit, department_id) / sum(n) over (partition by business_unit)
        ) as season_index
    from unit_months
),
chosen as (
    select * from population $sample
),
chosen_days as (
    select * from days $sample
),
customer_days as (
    select customer_id, business_unit, d, sum(lines) as lines, sum(amount) as amount
    from chosen_days
    group by all
),
customers as (
    select
        cd.customer_id,
        cd.business_unit,
        count(*) filter (where cd.d >= $c - 90) as purchase_days_90d,
        count(*) filter (where cd.d >= $c - 365) as purchase_days_365d,
        count(*) as purchase_days_730d,
        sum(cd.lines)::bigint as lines_730d,
        date_diff('day', max(cd.d), $c) as days_since_last_purchase,
        any_value(n.departments_365d) as departments_365d,
        coalesce(sum(cd.amount) filter (where cd.d >= $c - 365), 0)::double as spend_365d
    from customer_days as cd
    join (
        select customer_id, count(*) filter (where last_d >= $c - 365) as departments_365d
        from bought
        $sample
        group by customer_id
    ) as n using (customer_id)
    group by cd.customer_id, cd.business_unit
),
departments as (
    select department_id, min(department_name) as department_name
    from referential.dim_product
    where department_id is not null
    group by department_id
),
per_department as (
    select
        b.customer_id,
        b.department_id,
        count(*) filter (where b.d >= $c - 30) as dept_purchase_days_30d,
        count(*) filter (where b.d >= $c - 90) as dept_purchase_days_90d,
        count(*) filter (where b.d >= $c - 365) as dept_purchase_days_365d,
        count(*) as dept_purchase_days_730d,
        coalesce(sum(b.lines) filter (where b.d >= $c - 365), 0)::bigint as dept_lines_365d,
        sum(b.lines)::bigint as dept_lines_730d,
        count(*) filter (where b.d >= $c - 365 and b.d < $c - 335) as dept_purchase_days_last_year_30d,
        coalesce(sum(b.amount) filter (where b.d >= $c - 90), 0)::double as dept_spend_90d,
        coalesce(sum(b.amount) filter (where b.d >= $c - 365), 0)::double as dept_spend_365d,
        date_diff('day', max(b.d), $c) as dept_days_since_last_purchase,
        -- the lines, each weighed by the inverse of its month's season (a garden line in May says less
        -- about a taste for garden than one in January)
        -- (decimal, as the amounts: an exact sum, the same bits whatever order the threads add in; each
        -- product's precision stated, within 38 digits: Spark drops decimals from a wider one)
        sum(b.lines::decimal(18, 0) * (1 / s.season_index)::decimal(18, 9)) as dept_season_lines
    from chosen_days as b
    join season as s on s.business_unit = b.business_unit and s.department_id = b.department_id
        and s.m = month(b.d)
    group by b.customer_id, b.department_id
),
-- the season of the coming 30 days (the month of their middle) and the unit's mix, per department
ahead as (
    select business_unit, department_id, any_value(line_share) as line_share,
        -- (max: one month's row at most; sqlglot's Spark form of any_value ... filter does not parse)
        coalesce(max(season_index) filter (where m = month($c + 15)), 0) as season_ahead
    from season
    group by all
),
-- the customer's taste per department (below) in two exact parts, their own lines and the unit's mix,
-- each times the season ahead; and their sums over the departments, to share it out
own_taste as (
    select
        pd.customer_id,
        pd.department_id,
        (pd.dept_season_lines::decimal(19, 9) * a.season_ahead::decimal(18, 9))::decimal(18, 9) as own
    from per_department as pd
    join chosen as c using (customer_id)
    join ahead as a using (business_unit, department_id)
),
mix_taste as (
    select
        business_unit,
        department_id,
        (($prior_lines * line_share)::decimal(18, 9) * season_ahead::decimal(18, 9))::decimal(18, 9) as mix
    from ahead
),
taste_totals as (
    select c.customer_id, coalesce(o.own, 0) + m.mix as total
    from chosen as c
    left join (select customer_id, sum(own) as own from own_taste group by customer_id) as o using (customer_id)
    join (select business_unit, sum(mix) as mix from mix_taste group by business_unit) as m using (business_unit)
)
select
    c.*,
    dp.department_id,
    dp.department_name,
    coalesce(pd.dept_purchase_days_30d, 0) as dept_purchase_days_30d,
    coalesce(pd.dept_purchase_days_90d, 0) as dept_purchase_days_90d,
    coalesce(pd.dept_purchase_days_365d, 0) as dept_purchase_days_365d,
    coalesce(pd.dept_purchase_days_730d, 0) as dept_purchase_days_730d,
    coalesce(pd.dept_lines_365d, 0) as dept_lines_365d,
    coalesce(pd.dept_purchase_days_last_year_30d, 0) as dept_purchase_days_last_year_30d,
    -- the customer's own taste: the department's share of their lines and purchase days
    coalesce(pd.dept_lines_730d, 0) / c.lines_730d as dept_line_share_730d,
    coalesce(pd.dept_purchase_days_730d, 0) / c.purchase_days_730d as dept_day_share_730d,
    coalesce(pd.dept_spend_90d, 0) as dept_spend_90d,
    coalesce(pd.dept_spend_365d, 0) as dept_spend_365d,
    coalesce(pd.dept_spend_365d, 0) / nullif(c.spend_365d, 0) as dept_spend_share_365d,
    pd.dept_days_since_last_purchase,
    -- the customer's taste, estimated as their season-weighed lines plus $prior_lines lines of the unit's
    -- mix (a Dirichlet prior: little history leans on the mix), times the season ahead
    coalesce(ot.own, 0) + coalesce(mt.mix, 0) as taste,
    taste::double as dept_taste,
    taste::double / nullif(tt.total, 0)::double as dept_taste_share,  -- as DuckDB divides decimals
    coalesce(a.season_ahead, 0) as dept_season_ahead,
    pop.popularity_30d,
    pop.popularity_90d,
    pop.popularity_365d,
    pop.popularity_last_year_30d
from customers as c
cross join departments as dp
left join per_department as pd using (customer_id, department_id)
left join popularity as pop using (business_unit, department_id)
left join ahead as a using (business_unit, department_id)
left join own_taste as ot using (customer_id, department_id)
left join mix_taste as mt using (business_unit, department_id)
left join taste_totals as tt using (customer_id)
)
"""

# Browsing indicators per customer x department as of $ts (a timestamp literal): the names and
# definitions of features.customer_department_browsing, from the stitched, non-bot events.
BROWSING_SQL = """
with stitched as (
    select customer_id, session_id, event_id, event_at, event_type, page_type, department_id
    from $events
    where event_at < $ts and event_at >= $ts - interval 365 day
        and first_login_at < $ts  -- a login after the cutoff would hand over earlier browsing with hindsight
        $sample
),
events as (
    -- a search counts for the department it leads to (the next one seen in the visit), as in the table
    select
        customer_id,
        event_at,
        event_type,
        page_type,
        $department_sql as department_id
    from stitched
),
per_department as (
    select
        customer_id,
        department_id,
        count(*) filter (where event_type = 'product_view' and event_at >= $ts - interval 30 day)
            as product_views_30d,
        count(*) filter (where event_type = 'product_view' and event_at >= $ts - interval 90 day)
            as product_views_90d,
        count(*) filter (where event_type = 'cart_add' and event_at >= $ts - interval 90 day) as cart_adds_90d,
        count(*) filter (where event_type = 'search' and event_at >= $ts - interval 90 day) as searches_90d,
        date_diff('day', (max(event_at) filter (
            where event_type = 'product_view' or (event_type = 'page_view' and page_type = 'category')
        ))::date, $ts::date) as days_since_last_view,
        -- the model's own: the year's views (a taste the purchases of a light buyer do not show yet)
        -- and the month's events, each also as the department's share of the customer's
        count(*) filter (where event_type = 'product_view') as product_views_365d,
        count(*) filter (where event_at >= $ts - interval 30 day) as events_30d
    from events
    where department_id is not null
    group by customer_id, department_id
)
select
    *,
    product_views_365d / nullif(sum(product_views_365d) over (partition by customer_id), 0) as view_share_365d,
    events_30d / nullif(sum(events_30d) over (partition by customer_id), 0) as event_share_30d
from per_department
"""

BROWSING_COLUMNS = (
    "product_views_30d",
    "product_views_90d",
    "cart_adds_90d",
    "searches_90d",
    "days_since_last_view",
    "product_views_365d",
    "events_30d",
    "view_share_365d",
    "event_share_30d",
)


def has_browsing(conn: duckdb.DuckDBPyConnection) -> bool:
    """Whether the web data path built the browsing indicators (and the events they come from)."""
    return (
        table_exists(conn, BROWSING_TABLE)
        and not empty_by_design(conn, BROWSING_TABLE)
        and table_exists(conn, COOKIE_XREF)
        and relation_exists(conn, WEB_EVENTS)
    )


def _date(cutoff: date) -> str:
    return f"date '{cutoff.isoformat()}'"


def _days(cutoff: date, history: History | None) -> str:
    """The purchase days of the POPULATION_DAYS before ``cutoff``: from the run's history when given."""
    if history is not None:
        return (
            f"select * from {history.days} where d < {_date(cutoff)} "
            f"and d >= {_date(cutoff)} - {POPULATION_DAYS}"
        )
    return DAYS_SQL.replace("$start", f"{_date(cutoff)} - {POPULATION_DAYS}").replace("$end", _date(cutoff))


def population(conn: duckdb.DuckDBPyConnection, cutoff: date, history: History | None = None) -> pl.DataFrame:
    """customer_id of every customer of the population at ``cutoff`` (a business unit and a purchase in
    the POPULATION_DAYS before it), sorted."""
    return conn.sql(f"select distinct customer_id from ({_days(cutoff, history)}) order by 1").pl()


SAMPLE_VIEW = "appetence_customers"


class History:
    """The purchase days (DAYS_SQL) and the stitched, non-bot web events of [start, end), read once
    into temporary tables for every cut-off of a run (a run builds rows at five). ``scan``: where
    the facts are read (lib/engine_queries.py); the tables' names are the instance's own (a scan on
    Spark reads a table by its name once per block)."""

    def __init__(
        self,
        conn: duckdb.DuckDBPyConnection,
        start: date,
        end: date,
        browsing: bool,
        scan: Scan = on_duckdb,
    ):
        self.conn = conn
        suffix = uuid.uuid4().hex[:12]
        self.days, self.events = f"temp.appetence_days_{suffix}", f"temp.appetence_events_{suffix}"
        days = DAYS_SQL.replace("$start", f"{_date(start)} - {POPULATION_DAYS}").replace("$end", _date(end))
        conn.execute(f"create or replace temp table {self.days} as {scan(days, DAYS_READS)}")
        if browsing:
            since = f"timestamp '{start.isoformat()}' - interval 365 day"
            events = (
                f"select * from ({_events()}) "
                f"where event_at < timestamp '{end.isoformat()}' and event_at >= {since}"
            )
            conn.execute(f"create or replace temp table {self.events} as {scan(events, EVENTS_READS)}")

    def __enter__(self) -> History:
        return self

    def __exit__(self, *exc) -> None:
        self.conn.execute(f"drop table if exists {self.days}; drop table if exists {self.events}")


def _events() -> str:
    """Every stitched, non-bot web event with its customer and the cookie's first login."""
    return (
        # times without a zone, as here, from Spark too (whose own timestamps are its session's, UTC)
        "select k.customer_id, k.first_login_at::timestamp as first_login_at, e.session_id, e.event_id, "
        "e.event_at::timestamp as event_at, e.event_type, "
        f"e.page_type, e.department_id from {WEB_EVENTS} as e join ({web_events.COOKIES_SQL}) as k "
        "using (cookie_id) where not coalesce(e.is_bot, false)"
    )


def _with_sample(
    conn: duckdb.DuckDBPyConnection,
    sql: str,
    customers: pl.DataFrame | None,
    keyword: str = "where",
    scan: Scan = on_duckdb,
    reads: Sequence[str] = (),
) -> pl.DataFrame:
    """Run ``sql`` (through ``scan``, over ``reads``) with $sample the filter to ``customers`` (a
    customer_id frame, after ``keyword``), or no filter. The frame is registered under a name of its
    own (a scan on Spark copies a table once per block: a name reused would read an earlier sample)."""
    if customers is None:
        return conn.sql(scan(sql.replace("$sample", ""), reads)).pl()
    view = f"{SAMPLE_VIEW}_{uuid.uuid4().hex[:12]}"
    conn.register(view, customers.select("customer_id"))
    try:
        sample = f"{keyword} customer_id in (select customer_id from temp.{view})"
        return conn.sql(scan(sql.replace("$sample", sample), (*reads, f"temp.{view}"))).pl()
    finally:
        conn.unregister(view)


def purchases_as_of(
    conn: duckdb.DuckDBPyConnection,
    cutoff: date,
    customers: pl.DataFrame | None = None,
    history: History | None = None,
    scan: Scan = on_duckdb,
) -> pl.DataFrame:
    """One row per customer of the population (or of ``customers``, a customer_id frame, when given) x
    department, with the purchase indicators; the departments' popularity is the whole population's."""
    sql = (
        PURCHASES_SQL.replace("$days", _days(cutoff, history))
        .replace("$population", str(POPULATION_DAYS))
        .replace("$prior_lines", str(TASTE_PRIOR_LINES))
        .replace("$c", _date(cutoff))
    )
    reads = (history.days, PRODUCTS) if history is not None else DAYS_READS
    return _with_sample(conn, sql, customers, scan=scan, reads=reads)


def browsing_as_of(
    conn: duckdb.DuckDBPyConnection,
    cutoff: date,
    customers: pl.DataFrame | None = None,
    history: History | None = None,
    scan: Scan = on_duckdb,
) -> pl.DataFrame:
    """customer_id, department_id and BROWSING_COLUMNS of every customer (of ``customers`` when given)
    x department browsed in the year before ``cutoff``."""
    events = history.events if history is not None else f"({_events()})"
    sql = BROWSING_SQL.replace("$events", events).replace("$department_sql", web_events.DEPARTMENT_SQL)
    sql = sql.replace("$ts", f"timestamp '{cutoff.isoformat()}'")
    reads = (history.events,) if history is not None else EVENTS_READS
    return _with_sample(conn, sql, customers, "and", scan, reads)


def rows_as_of(
    conn: duckdb.DuckDBPyConnection,
    cutoff: date,
    browsing: bool,
    customers: pl.DataFrame | None = None,
    history: History | None = None,
    scan: Scan = on_duckdb,
) -> pl.DataFrame:
    """The model's rows as of ``cutoff`` (of ``customers`` only, when given): purchase indicators, plus
    browsing when ``browsing`` (no view of a department = 0 views, days since last view null). Sorted by
    customer, department: the same data gives the same frame, whatever order the query returned it in.
    ``scan``: where the queries run (lib/engine_queries.py: on Spark with ``CDP_ENGINE=spark``)."""
    rows = purchases_as_of(conn, cutoff, customers, history, scan)
    if browsing:
        seen = browsing_as_of(conn, cutoff, customers, history, scan)
        rows = rows.join(seen, on=["customer_id", "department_id"], how="left").with_columns(
            pl.col(c).fill_null(0) for c in BROWSING_COLUMNS if c != "days_since_last_view"
        )
    return rows.sort("customer_id", "department_id")


def bought_between(
    conn: duckdb.DuckDBPyConnection, start: date, end: date, scan: Scan = on_duckdb
) -> pl.DataFrame:
    """customer_id, department_id of every purchase on a local date in [start, end)."""
    sql = (
        "select distinct l.customer_id, p.department_id from sales.fct_sales_lines as l "
        "join referential.dim_product as p using (product_id) "
        "where l.customer_id is not null and p.department_id is not null and not l.is_cancelled "
        f"and not l.is_return and l.sold_date >= {_date(start)} and l.sold_date < {_date(end)}"
    )
    return conn.sql(scan(sql, DAYS_READS[:2])).pl()


def label(rows: pl.DataFrame, bought: pl.DataFrame) -> pl.Series:
    """1 where the customer bought in the department in the window (``bought_between``), else 0."""
    key = pl.concat_str("customer_id", pl.lit("|"), "department_id")
    seen = bought.select(key.alias("k"))["k"].implode()
    return rows.select(key.is_in(seen).cast(pl.Int8).alias("bought"))["bought"]
