"""Multi-touch attribution of orders to marketing touches, as of a reference date (DuckDB SQL, set-based).

An order's **touches** are its customer's touchpoints in the ``lookback_days`` before it (at or before
the order's time, after ``ordered_at - lookback_days``):
- an **e-mail click** (``marketing.fct_email_events``, ``event_type = 'click'``): channel
  ``email_channel``, campaign = the e-mail campaign;
- a **web session** arriving with a utm_medium the retailer maps to a channel (``web_channels``;
  ``marketing.fct_web_events``, the session's first event carrying a utm_medium): campaign = its
  utm_campaign. Direct sessions and unmapped mediums are no touch;
- the customer's **acquisition** (``marketing.dim_customer_acquisition``) when its channel is one of
  ``acquisition_channels`` (the paid ones): campaign = the acquisition's campaign code.

Touches are ordered by time (ties: e-mail, web session, acquisition, then the touch's id), and each
order's one unit of credit is split three ways, side by side (column ``model``):
- ``position_based``: n = 1: the touch takes 1; n = 2: first / (first + last) and last / (first + last)
  (50/50 with the 30/40/30 default: the middle share goes to the two ends in proportion); n >= 3: first
  ``first``, last ``last``, each touch between ``middle / (n - 2)``;
- ``last_touch``: the last touch takes 1;
- ``linear``: each touch 1 / n.
An order with no touch is kept, credited 1 to channel ``no_touch`` (campaign ``(none)``) in every
model: so each model's credits add up to the orders, their revenue and their margin.
A touch with no campaign is credited to campaign ``(none)`` of its channel.

**Orders**: ``sales.fct_orders`` not cancelled, not a return-only receipt, ordered before the reference
date (local date), anonymous ones included (they cannot have a touch: ``no_touch``). Revenue is the
order's ``net_amount`` (after discounts and the returns booked on the order), gross margin its
``margin_amount`` (net revenue - cost at the catalogue's cost price).
"""

from __future__ import annotations

from datetime import date

from platform_assets.lib.profit_settings import AttributionSettings
from platform_assets.lib.tables import sql_literal

TABLE = "marketing.attribution"
BY_CHANNEL_TABLE = "marketing.attribution_by_channel"
CREDITS = "profit_order_credits"  # temporary table of the step: one row per order, channel and campaign
MODELS = ("position_based", "last_touch", "linear")
NO_TOUCH = "no_touch"
NO_CAMPAIGN = "(none)"
TOUCH_KINDS = ("email_click", "web_session", "acquisition")  # tie order at the same instant
CREDIT_TYPE = "decimal(18, 15)"  # a share of an order, exact to 1e-15


def eligible_orders_sql(reference_date: date) -> str:
    """The orders attribution credits (also the reconciliation check's reference)."""
    return f"""
    select
        channel as order_channel, order_id, customer_id, country_code as business_unit, currency_code,
        ordered_at, ordered_date, net_amount::decimal(18, 2) as revenue,
        margin_amount::decimal(18, 2) as gross_margin
    from sales.fct_orders
    where not is_cancelled and not is_return_only and ordered_date < date '{reference_date.isoformat()}'
    """


def _values(rows: list[tuple[str, ...]], names: tuple[str, ...]) -> str:
    """A ``values`` relation of string rows (zero rows: a typed empty select)."""
    if not rows:
        return "select " + ", ".join(f"null::varchar as {n}" for n in names) + " where false"
    body = ", ".join("(" + ", ".join(sql_literal(v) for v in row) + ")" for row in rows)
    return f"select * from (values {body}) as v({', '.join(names)})"


def touches_sql(settings: AttributionSettings, reference_date: date) -> str:
    """Every customer touchpoint before the reference date: customer_id, touched_at, kind, channel,
    campaign_code, touch_id."""
    ref_ts = f"timestamp '{reference_date.isoformat()}'"
    parts = []
    if settings.email_channel:
        parts.append(
            f"""
        select customer_id, event_at as touched_at, 'email_click' as kind,
               {sql_literal(settings.email_channel)} as channel, email_campaign_id as campaign_code,
               email_event_id as touch_id
        from marketing.fct_email_events
        where event_type = 'click' and customer_id is not null and event_at < {ref_ts}"""
        )
    if settings.web_channels:
        mediums = _values(sorted(settings.web_channels.items()), ("utm_medium", "channel"))
        parts.append(
            f"""
        select s.customer_id, s.touched_at, 'web_session', m.channel, s.campaign_code, s.session_id
        from (
            select
                session_id,
                any_value(customer_id) as customer_id,
                min(event_at) as touched_at,
                lower(trim(arg_min(utm_medium, event_at))) as utm_medium,
                arg_min(nullif(trim(utm_campaign), ''), event_at) as campaign_code
            from marketing.fct_web_events
            where utm_medium is not null and customer_id is not null and event_at < {ref_ts}
            group by session_id
        ) as s
        inner join ({mediums}) as m on s.utm_medium = m.utm_medium"""
        )
    if settings.acquisition_channels:
        channels = ", ".join(sql_literal(c) for c in settings.acquisition_channels)
        parts.append(
            f"""
        select customer_id, acquired_at, 'acquisition', acquisition_channel, campaign_code,
               acquisition_record_id
        from marketing.dim_customer_acquisition
        where acquisition_channel in ({channels}) and acquired_at < {ref_ts}"""
        )
    if not parts:
        return (
            "select null::varchar as customer_id, null::timestamp as touched_at, null::varchar as kind, "
            "null::varchar as channel, null::varchar as campaign_code, null::varchar as touch_id where false"
        )
    return "\n        union all".join(parts)


# the tables the credits scan (lib/engine_queries.py: on Spark with CDP_ENGINE=spark)
CREDITS_READS = (
    "sales.fct_orders",
    "marketing.fct_email_events",
    "marketing.fct_web_events",
    "marketing.dim_customer_acquisition",
)


def credits_sql(settings: AttributionSettings, reference_date: date) -> str:
    """One row per order, channel and campaign among its touches (one per order without a touch: no_touch),
    with the order's business unit, month, revenue and margin and the credit of that channel and campaign
    in each model (each order's credits sum to 1 in every model)."""
    w = settings.position_weights
    ends = w.first + w.last
    kind_rank = " ".join(f"when '{k}' then {i}" for i, k in enumerate(TOUCH_KINDS))
    return f"""
with
orders as ({eligible_orders_sql(reference_date)}),

touches as ({touches_sql(settings, reference_date)}),

order_touches as (
    select o.order_channel, o.order_id, t.touched_at, t.kind, t.channel, t.campaign_code, t.touch_id
    from orders as o
    inner join touches as t
        on o.customer_id = t.customer_id
        and t.touched_at <= o.ordered_at
        and t.touched_at > o.ordered_at - interval {settings.lookback_days} day
),

ranked as (
    select
        *,
        row_number() over (
            partition by order_channel, order_id
            order by touched_at, case kind {kind_rank} end, touch_id
        ) as position,
        count(*) over (partition by order_channel, order_id) as n_touches
    from order_touches
),

touch_credits as (
    select
        order_channel,
        order_id,
        channel,
        coalesce(campaign_code, '{NO_CAMPAIGN}') as campaign_code,
        n_touches,
        -- exact decimals: sums of them do not depend on the order of addition (same input, same table)
        (case
            when n_touches = 1 then 1.0
            when n_touches = 2 and position = 1 then {w.first / ends!r}
            when n_touches = 2 then {w.last / ends!r}
            when position = 1 then {w.first!r}
            when position = n_touches then {w.last!r}
            else {w.middle!r} / (n_touches - 2)
        end)::{CREDIT_TYPE} as position_based,
        (case when position = n_touches then 1.0 else 0.0 end)::{CREDIT_TYPE} as last_touch,
        (1.0 / n_touches)::{CREDIT_TYPE} as linear
    from ranked
),

untouched as (
    select
        order_channel, order_id, '{NO_TOUCH}' as channel, '{NO_CAMPAIGN}' as campaign_code,
        0 as n_touches, 1::{CREDIT_TYPE} as position_based, 1::{CREDIT_TYPE} as last_touch,
        1::{CREDIT_TYPE} as linear
    from orders
    anti join order_touches using (order_channel, order_id)
),

credits as (
    select * from touch_credits
    union all
    select * from untouched
)

select
    c.order_channel,
    c.order_id,
    any_value(o.business_unit) as business_unit,
    any_value(o.currency_code) as currency_code,
    any_value(date_trunc('month', o.ordered_date)::date) as month,
    c.channel,
    c.campaign_code,
    any_value(c.n_touches) as n_touches,
    any_value(o.revenue) as revenue,
    any_value(o.gross_margin) as gross_margin,
    sum(c.position_based) as position_based,
    sum(c.last_touch) as last_touch,
    sum(c.linear) as linear
from credits as c
inner join orders as o using (order_channel, order_id)
group by c.order_channel, c.order_id, c.channel, c.campaign_code
"""


def attribution_sql(reference_date: date, credits: str = CREDITS) -> str:
    """``marketing.attribution``: per business unit, month, model, channel and campaign. Summed per cell
    first (three models side by side), then one row per model: the credits table is read once."""
    sums = ",\n    ".join(
        f"sum({m})::double as orders_{m}, sum({m} * revenue)::double as revenue_{m}, "
        f"sum({m} * gross_margin)::double as margin_{m}"
        for m in MODELS
    )

    def pick(measure: str) -> str:
        return "case m.model " + " ".join(f"when '{m}' then {measure}_{m}" for m in MODELS) + " end"

    models = ", ".join(f"('{m}')" for m in MODELS)
    return f"""
with cells as (
    select
        business_unit,
        month,
        channel,
        campaign_code,
        any_value(currency_code) as currency_code,
        count(*) as touched_orders,  -- the credits table has one row per order, channel and campaign
        {sums}
    from {credits}
    group by business_unit, month, channel, campaign_code
)
select
    c.business_unit,
    c.month,
    m.model,
    c.channel,
    c.campaign_code,
    date '{reference_date.isoformat()}' as reference_date,
    c.currency_code,
    c.touched_orders,
    {pick("orders")} as attributed_orders,
    {pick("revenue")} as attributed_revenue,
    {pick("margin")} as attributed_gross_margin
from cells as c
cross join (values {models}) as m(model)
order by c.business_unit, c.month, m.model, c.channel, c.campaign_code
"""


def by_channel_sql(reference_date: date, attribution: str = TABLE) -> str:
    """``marketing.attribution_by_channel``: per business unit, month, model and channel, the attributed
    figures beside the channel's marketing spend of the month, ROAS and margin on ad spend; a month of
    spend with nothing attributed is kept (0 attributed, ROAS 0)."""
    models = ", ".join(f"('{m}')" for m in MODELS)
    return f"""
with
attributed as (
    select
        business_unit, month, model, channel, any_value(currency_code) as currency_code,
        -- through exact decimals: the same sum whatever the order of addition
        sum(attributed_orders::decimal(38, 12))::double as attributed_orders,
        sum(attributed_revenue::decimal(38, 10))::double as attributed_revenue,
        sum(attributed_gross_margin::decimal(38, 10))::double as attributed_gross_margin
    from {attribution}
    group by all
),

spend as (
    select
        s.country_code as business_unit,
        date_trunc('month', s.spend_date)::date as month,
        m.model,
        s.acquisition_channel as channel,
        any_value(s.currency_code) as currency_code,
        sum(s.spend_amount)::double as marketing_spend
    from marketing.fct_marketing_spend as s
    cross join (values {models}) as m(model)
    where s.spend_date < date '{reference_date.isoformat()}'
    group by all
)

select
    coalesce(a.business_unit, s.business_unit) as business_unit,
    coalesce(a.month, s.month) as month,
    coalesce(a.model, s.model) as model,
    coalesce(a.channel, s.channel) as channel,
    date '{reference_date.isoformat()}' as reference_date,
    coalesce(a.currency_code, s.currency_code) as currency_code,
    coalesce(a.attributed_orders, 0) as attributed_orders,
    coalesce(a.attributed_revenue, 0) as attributed_revenue,
    coalesce(a.attributed_gross_margin, 0) as attributed_gross_margin,
    coalesce(s.marketing_spend, 0) as marketing_spend,
    coalesce(a.attributed_revenue, 0) / nullif(s.marketing_spend, 0) as roas,
    coalesce(a.attributed_gross_margin, 0) / nullif(s.marketing_spend, 0) as margin_on_ad_spend
from attributed as a
full outer join spend as s
    on a.business_unit = s.business_unit
    and a.month = s.month
    and a.model = s.model
    and a.channel = s.channel
order by 1, 2, 3, 4
"""


def reconciliation_sql(reference_date: date, attribution: str = TABLE) -> str:
    """Business unit, month and model whose attributed orders or revenue differ from the eligible
    orders' (count of such cells: 0 when every model credits each order exactly once)."""
    return f"""
with
expected as (
    select business_unit, date_trunc('month', ordered_date)::date as month, count(*) as orders,
           coalesce(sum(revenue), 0) as revenue
    from ({eligible_orders_sql(reference_date)})
    group by all
),
credited as (
    select business_unit, month, model, sum(attributed_orders) as orders,
           coalesce(sum(attributed_revenue), 0) as revenue
    from {attribution}
    group by all
),
cells as (
    select e.business_unit, e.month, m.model from expected as e cross join (values {
        ", ".join(f"('{m}')" for m in MODELS)
    }) as m(model)
    union
    select business_unit, month, model from credited
)
select count(*)
from cells
left join expected as e using (business_unit, month)
left join credited as c using (business_unit, month, model)
where abs(coalesce(e.orders, 0) - coalesce(c.orders, 0)) > 1e-6
   or abs(coalesce(e.revenue, 0) - coalesce(c.revenue, 0)) > 0.01
"""
