"""Turn simulated visits into the POS and web-shop exports, one file per month.

Chunks of persons are split by file month as they are simulated (MonthlyParts), so the writer
holds one month at a time. Ticket numbers run per store and day; order numbers run per web shop
across months, in time order, the way real systems number them.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

import numpy as np
import polars as pl

from platform_assets.demo import config as cfg
from platform_assets.demo import noise
from platform_assets.demo.catalog import Catalog, Stores
from platform_assets.demo.identities import Identities
from platform_assets.demo.timeline import DAY, Calendar, stream
from platform_assets.demo.writers import money, ts_plain, ts_utc, write_source

STATUS = ("completed", "cancelled", "returned")
FIRST_ORDER_NO = 100_000_001


class MonthlyParts:
    """Visits and lines of all chunks, partitioned by file month as they are produced."""

    def __init__(self) -> None:
        self.visits: dict[int, list[pl.DataFrame]] = defaultdict(list)
        self.lines: dict[int, list[pl.DataFrame]] = defaultdict(list)
        self.schemas: tuple[pl.Schema, pl.Schema] | None = None

    def add(self, visits: pl.DataFrame, lines: pl.DataFrame) -> None:
        self.schemas = self.schemas or (visits.schema, lines.schema)
        for target, df in ((self.visits, visits), (self.lines, lines)):
            for (month,), part in df.partition_by("month", as_dict=True, maintain_order=True).items():
                target[int(month)].append(part)

    def pop(self, month: int) -> tuple[pl.DataFrame, pl.DataFrame]:
        assert self.schemas is not None
        v = self.visits.pop(month, []) or [pl.DataFrame(schema=self.schemas[0])]
        ln = self.lines.pop(month, []) or [pl.DataFrame(schema=self.schemas[1])]
        return pl.concat(v), pl.concat(ln)


def by_month(df: pl.DataFrame) -> dict[int, pl.DataFrame]:
    """Month -> rows of a frame with a 'month' column."""
    return {
        int(m): part for (m,), part in df.partition_by("month", as_dict=True, maintain_order=True).items()
    }


def _label(expr: pl.Expr, values) -> pl.Expr:
    return expr.replace_strict(dict(enumerate(values)), return_dtype=pl.String)


def receipt_files(v: pl.DataFrame, lines: pl.DataFrame, stores: Stores, cal: Calendar, sku: pl.Series):
    """One month of receipts (numbered per store and day) and their lines, as contract columns."""
    code = stores.code.tolist()
    r = (
        v.filter(~pl.col("web"))
        .sort("store", "day", "sod", "vkey")
        .with_columns(seq=pl.int_range(1, pl.len() + 1).over("store", "day"))
        .with_columns(store_code=_label(pl.col("store"), code))
        .with_columns(
            ticket_id=pl.concat_str(
                [
                    pl.col("store_code"),
                    pl.lit("-"),
                    pl.from_epoch(
                        pl.col("day").cast(pl.Int64) + cal.start_epoch_day, time_unit="d"
                    ).dt.strftime("%Y%m%d"),
                    pl.lit("-"),
                    pl.col("seq").cast(pl.String).str.zfill(5),
                ]
            )
        )
    )
    out_r = r.select(
        "ticket_id",
        "store_code",
        pl.col("register").alias("register_no"),
        ts_plain((pl.col("day").cast(pl.Int64) + cal.start_epoch_day) * DAY + pl.col("sod")).alias(
            "ticket_ts"
        ),
        pl.when(pl.col("card_no") >= 0).then(pl.col("card_no").cast(pl.String)).alias("loyalty_card_no"),
        money(pl.col("total")).alias("total_amount"),
        _label(pl.col("country"), cfg.CURRENCIES).alias("currency"),
    ).sort("ticket_id")
    out_l = (
        lines.filter(~pl.col("web"))
        .join(r.select("vkey", "ticket_id"), on="vkey", how="inner")
        .select(
            "ticket_id",
            "line_no",
            pl.col("sku").map_batches(sku.gather, return_dtype=pl.String),
            "qty",
            money(pl.col("unit")).alias("unit_price"),
            money(pl.col("disc")).alias("discount_amount"),
            money(pl.col("amount")).alias("line_amount"),
            pl.when(pl.col("is_return")).then(pl.lit("Y")).otherwise(pl.lit("N")).alias("is_return"),
        )
        .sort("ticket_id", "line_no")
    )
    return out_r, out_l


def number_orders(v: pl.DataFrame, cal: Calendar, next_no: np.ndarray) -> pl.DataFrame:
    """One month of web visits -> orders numbered per web shop in UTC time order (next_no advances)."""
    web = v.filter(pl.col("web"))
    utc = cal.to_utc(web["country"].to_numpy().astype(np.int64), web["day"].to_numpy(), web["sod"].to_numpy())
    web = web.with_columns(utc_sec=pl.Series(utc)).sort("country", "utc_sec", "vkey")
    country = web["country"].to_numpy().astype(np.int64)
    rank = np.arange(web.height) - np.searchsorted(country, country)  # position within the web shop
    seq = next_no[country] + rank
    next_no += np.bincount(country, minlength=3)
    return web.with_columns(
        order_id=pl.concat_str([_label(pl.col("country"), cfg.COUNTRIES), pl.Series(seq).cast(pl.String)])
    )


def order_files(
    o: pl.DataFrame, persons: pl.DataFrame, ids: Identities, rng: np.random.Generator
) -> pl.DataFrame:
    """One month of web orders with the delivery details the customer typed."""
    p = persons[o["pid"].to_numpy()]
    n = o.height
    country = o["country"].to_numpy().astype(np.int64)
    moved = pl.Series((p["moving_day"].to_numpy() >= 0) & (o["day"].to_numpy() >= p["moving_day"].to_numpy()))

    def at(name: str) -> pl.Series:
        return pl.select(pl.when(moved).then(p[f"new_{name}"]).otherwise(p[name])).to_series()

    # Guests type their e-mail at checkout; account orders carry the account's login e-mail.
    guest_email, _ = noise.email_noise(p["email"], rng, 0.004, 0.03)
    acct = o.select("account_no").join(
        ids.accounts.select("account_no", "account_id", "login_email"),
        on="account_no",
        how="left",
        maintain_order="left",
    )
    email = pl.select(
        pl.when(o["account_no"] >= 0).then(acct["login_email"]).otherwise(guest_email)
    ).to_series()
    lower = pl.Series(rng.random(n) < 0.04)
    no_accent = pl.Series(rng.random(n) < 0.03)
    first = pl.select(
        pl.when(lower).then(p["first_name"].str.to_lowercase()).otherwise(p["first_name"])
    ).to_series()
    last = pl.select(
        pl.when(lower).then(p["last_name"].str.to_lowercase()).otherwise(p["last_name"])
    ).to_series()
    out = pl.DataFrame(
        {
            "order_id": o["order_id"],
            "account_id": acct["account_id"],
            "customer_email": email,
            "ordered_at": o["utc_sec"],
            "country_code": o["country"],
            "order_status": o["status"],
            "delivery_first_name": noise.drop_accents(first, no_accent),
            "delivery_last_name": noise.drop_accents(last, no_accent),
            "delivery_street": at("street"),
            "delivery_postcode": noise.postcode_noise(at("postcode"), country, rng, 0.05),
            "delivery_city": at("city"),
            "delivery_phone": noise.blank(noise.phones(p["phone_nsn"], country, rng), rng.random(n) < 0.15),
            "currency": o["country"],
            "order_total": o["total"],
            "shipping_fee": o["shipping"],
        }
    ).with_columns(
        ordered_at=ts_utc(pl.col("ordered_at")),
        country_code=_label(pl.col("country_code"), cfg.COUNTRIES),
        order_status=_label(pl.col("order_status"), STATUS),
        currency=_label(pl.col("currency"), cfg.CURRENCIES),
        order_total=money(pl.col("order_total")),
        shipping_fee=money(pl.col("shipping_fee")),
    )
    return out.sort("order_id")


def order_line_files(
    lines: pl.DataFrame, order_ids: pl.DataFrame, cal: Calendar, sku: pl.Series
) -> pl.DataFrame:
    """One month of web lines: sales of the month's orders and returns on earlier or current orders."""
    web = lines.filter(pl.col("web")).join(order_ids, on="vkey", how="inner")
    utc = cal.to_utc(
        web["country"].to_numpy().astype(np.int64), web["line_day"].to_numpy(), web["line_sod"].to_numpy()
    )
    return web.select(
        "order_id",
        pl.col("line_no").alias("line_number"),
        pl.col("sku").map_batches(sku.gather, return_dtype=pl.String),
        pl.col("qty").alias("quantity"),
        money(pl.col("unit")).alias("unit_price"),
        money(pl.col("disc")).alias("discount"),
        pl.when(pl.col("is_return")).then(pl.lit("return")).otherwise(pl.lit("sale")).alias("line_type"),
        ts_utc(pl.Series(utc)).alias("line_at"),
    ).sort("order_id", "line_number")


def write_facts(
    parts: MonthlyParts,
    persons: pl.DataFrame,
    ids: Identities,
    catalog: Catalog,
    stores: Stores,
    cal: Calendar,
    seed: int,
    landing: Path,
    log: Callable[[str, int], None],
) -> tuple[dict[str, int], pl.DataFrame]:
    """Write the monthly POS and web-shop files; return row counts and the guest-order ground truth."""
    sku = pl.Series(catalog.sku)
    next_no = np.full(3, FIRST_ORDER_NO, dtype=np.int64)
    recent: list[pl.DataFrame] = []  # order numbers of the last months, for returns booked later
    guests, counts = [], {}
    for month in sorted(set(cal.yyyymm().tolist())):
        v, lines = parts.pop(month)
        r, rl = receipt_files(v, lines, stores, cal, sku)
        orders = number_orders(v, cal, next_no)
        recent = [*recent[-2:], orders.select("vkey", "order_id")]  # returns come at most 30 days later
        o = order_files(orders, persons, ids, stream(seed, 20, month))
        ol = order_line_files(lines, pl.concat(recent), cal, sku)
        guests.append(orders.filter(pl.col("account_no") < 0).select("order_id", "pid"))
        for df, system, entity in (
            (r, "pos", "receipts"),
            (rl, "pos", "receipt_lines"),
            (o, "ecommerce", "orders"),
            (ol, "ecommerce", "order_lines"),
        ):
            path, rows = write_source(df, landing, system, entity, f"{entity}_{month}.csv")
            counts[path] = rows
        log(f"sales files {month}", r.height + rl.height + o.height + ol.height)
    guest_truth = pl.concat(guests).select(
        pl.lit("ecommerce_guest").alias("source_system"), pl.col("order_id").alias("source_id"), "pid"
    )
    return counts, guest_truth
