"""Stitch quality of the web cookies against the demo generator's truth, and the shared-device report.

Stitching itself is dbt (``intermediate.int_web_cookies``, ``referential.cookie_xref``,
``referential.web_cookie_conflicts``); this module measures it, the way identity resolution measures
the crosswalk (``identity/quality.py``): against ``ground_truth/web_cookies.csv`` (cookie_id,
person_id, is_bot, shared_person_id) and ``source_records.csv`` (which person each source record
is), when the ground truth directory holds them (real data has none: nothing is measured).

A customer is the person most of its records belong to (``customer_xref`` x ``source_records``). A
cookie is attributed correctly when its customer is its person (or, on a shared device, its second
person). The denominators, on the cookies of the export that the truth knows:
  stitch_precision          correct / cookies attributed (in cookie_xref)
  stitch_recall             correct single-person cookies / cookies of one person (a person_id, no
                            shared_person_id, not a bot, the person not erased), logged in or not
  stitch_recall_logged_in   the same over those of them that logged in at least once (the most
                            stitching can find: a cookie that never logs in cannot be attributed)
  bot_precision / recall    cookies flagged is_bot that are bots / bots that are flagged
Shared devices (a shared_person_id) are counted apart: kept apart (``shared``) or attributed.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

import duckdb

from platform_assets.lib.engine_queries import Scan, on_duckdb

TABLE = "ops.web_stitch_quality"
TRUTH_FILE = "web_cookies.csv"

# The per-cookie facts stitching produced, from the warehouse: every cookie of the export.
COOKIES_SQL = """
select
    e.cookie_id,
    bool_or(e.is_bot) as is_bot,
    bool_or(e.event_type = 'login' and e.account_id is not null) as logged_in,
    any_value(c.stitch_status) as stitch_status,
    any_value(c.customer_id) as customer_id
from staging.stg_web__events e
left join intermediate.int_web_cookies c using (cookie_id)
group by e.cookie_id
"""

COLUMNS = {
    "run_id": ("varchar", "Dagster run measured."),
    "measured_at": ("timestamp", "When (UTC)."),
    "cookies": ("bigint", "Cookies of the export that the ground truth knows."),
    "bot_cookies": ("bigint", "Of them, bots in the truth."),
    "bot_cookies_flagged": ("bigint", "Cookies flagged is_bot by the bot rule."),
    "bot_precision": ("double", "Flagged cookies that are bots / flagged cookies."),
    "bot_recall": ("double", "Bots flagged / bots."),
    "single_person_cookies": (
        "bigint",
        "Cookies of one person in the truth (a person, no second person, not a bot, not erased).",
    ),
    "single_person_cookies_logged_in": ("bigint", "Of them, cookies with at least one login event."),
    "attributed_cookies": ("bigint", "Cookies attributed to a customer (referential.cookie_xref)."),
    "correct_cookies": ("bigint", "Attributed cookies whose customer is their person (or second person)."),
    "stitch_precision": ("double", "correct_cookies / attributed_cookies."),
    "stitch_recall": ("double", "Correctly attributed single-person cookies / single_person_cookies."),
    "stitch_recall_logged_in": (
        "double",
        "Correctly attributed single-person cookies / single_person_cookies_logged_in.",
    ),
    "shared_cookies": ("bigint", "Cookies of a shared device in the truth (a second person)."),
    "shared_cookies_kept_apart": ("bigint", "Of them, kept apart (logged in to two customers)."),
    "shared_cookies_attributed": (
        "bigint",
        "Of them, attributed to one customer (only one of the two logged in).",
    ),
    "erased_person_cookies": ("bigint", "Cookies of persons erased in the truth."),
    "erased_person_cookies_attributed": ("bigint", "Of them, attributed to a customer (must be 0)."),
}


@dataclass(frozen=True)
class StitchQuality:
    cookies: int
    bot_cookies: int
    bot_cookies_flagged: int
    bot_precision: float
    bot_recall: float
    single_person_cookies: int
    single_person_cookies_logged_in: int
    attributed_cookies: int
    correct_cookies: int
    stitch_precision: float
    stitch_recall: float
    stitch_recall_logged_in: float
    shared_cookies: int
    shared_cookies_kept_apart: int
    shared_cookies_attributed: int
    erased_person_cookies: int
    erased_person_cookies_attributed: int

    def as_dict(self) -> dict:
        return asdict(self)


def _ratio(numerator: int, denominator: int) -> float:
    return numerator / denominator if denominator else 1.0


def read_cookie_truth(ground_truth_dir: Path):
    """cookie_id, person_id, is_bot, shared_person_id, person_erased; None without the truth file."""
    import polars as pl

    path = ground_truth_dir / TRUTH_FILE
    if not path.exists():
        return None
    truth = pl.read_csv(path, infer_schema=False).with_columns(
        pl.col("person_id").replace("", None),
        pl.col("shared_person_id").replace("", None),
        (pl.col("is_bot").str.to_lowercase() == "true").alias("is_bot"),
    )
    persons_path = ground_truth_dir / "persons.csv"
    erased = (
        pl.read_csv(persons_path, infer_schema=False, columns=["person_id", "erased"])
        .filter(pl.col("erased").str.to_lowercase() == "true")
        .get_column("person_id")
        .to_list()
        if persons_path.exists()
        else []
    )
    return truth.with_columns(pl.col("person_id").is_in(erased).fill_null(False).alias("person_erased"))


def customer_persons(xref, records):
    """customer_id -> the person most of its records belong to (xref: record_id, customer_id;
    records: record_id, entity_id from ``identity.quality.read_ground_truth``)."""
    import polars as pl

    return (
        xref.join(records, on="record_id")
        .group_by("customer_id", "entity_id")
        .len()
        .sort(["customer_id", "len", "entity_id"], descending=[False, True, False])
        .group_by("customer_id", maintain_order=True)
        .first()
        .select("customer_id", pl.col("entity_id").alias("customer_person_id"))
    )


def measure(cookies, truth, persons) -> StitchQuality:
    """``cookies``: COOKIES_SQL's frame; ``truth``: ``read_cookie_truth``; ``persons``: ``customer_persons``."""
    import polars as pl

    known = cookies.join(truth.rename({"is_bot": "true_bot"}), on="cookie_id").join(
        persons, on="customer_id", how="left"
    )
    attributed = known.filter(pl.col("stitch_status") == "attributed")
    correct = (pl.col("customer_person_id") == pl.col("person_id")) | (
        pl.col("customer_person_id") == pl.col("shared_person_id")
    )
    single = known.filter(
        pl.col("person_id").is_not_null()
        & pl.col("shared_person_id").is_null()
        & ~pl.col("true_bot")
        & ~pl.col("person_erased")
    )
    single_correct = single.filter((pl.col("stitch_status") == "attributed") & correct)
    single_logged_in = single.filter(pl.col("logged_in"))
    shared = known.filter(pl.col("shared_person_id").is_not_null() & ~pl.col("true_bot"))
    erased = known.filter(pl.col("person_erased"))
    bots = int(known["true_bot"].sum())
    flagged = int(known["is_bot"].sum())
    flagged_bots = int((known["is_bot"] & known["true_bot"]).sum())
    n_correct = int(attributed.select(correct.fill_null(False).sum()).item())
    return StitchQuality(
        cookies=known.height,
        bot_cookies=bots,
        bot_cookies_flagged=flagged,
        bot_precision=_ratio(flagged_bots, flagged),
        bot_recall=_ratio(flagged_bots, bots),
        single_person_cookies=single.height,
        single_person_cookies_logged_in=single_logged_in.height,
        attributed_cookies=attributed.height,
        correct_cookies=n_correct,
        stitch_precision=_ratio(n_correct, attributed.height),
        stitch_recall=_ratio(single_correct.height, single.height),
        stitch_recall_logged_in=_ratio(
            single_correct.filter(pl.col("logged_in")).height, single_logged_in.height
        ),
        shared_cookies=shared.height,
        shared_cookies_kept_apart=shared.filter(pl.col("stitch_status") == "shared").height,
        shared_cookies_attributed=shared.filter(pl.col("stitch_status") == "attributed").height,
        erased_person_cookies=erased.height,
        erased_person_cookies_attributed=erased.filter(pl.col("stitch_status") == "attributed").height,
    )


COOKIES_READS = ("staging.stg_web__events", "intermediate.int_web_cookies")


def stitch_quality(
    conn: duckdb.DuckDBPyConnection, ground_truth_dir: Path, scan: Scan = on_duckdb
) -> StitchQuality | None:
    """The run's stitch quality against the truth; None without a truth file or without web events."""
    from platform_assets.referential.identity.quality import read_ground_truth

    truth = read_cookie_truth(ground_truth_dir)
    records = read_ground_truth(ground_truth_dir)
    if truth is None or records is None:
        return None
    cookies = conn.sql(scan(COOKIES_SQL, COOKIES_READS)).pl()  # every web event: on the run's engine
    if cookies.is_empty():
        return None
    xref = conn.sql("select record_id, customer_id from referential.customer_xref").pl()
    return measure(cookies, truth, customer_persons(xref, records))


def record(conn: duckdb.DuckDBPyConnection, quality: StitchQuality | None, run_id: str, measured_at) -> None:
    """Appends the run's row to ``ops.web_stitch_quality`` (created, documented, when missing)."""
    from platform_assets.lib.tables import comment_statements

    conn.execute("create schema if not exists ops")
    columns = ", ".join(f"{name} {type_}" for name, (type_, _) in COLUMNS.items())
    conn.execute(f"create table if not exists {TABLE} ({columns})")
    for statement in comment_statements(
        TABLE,
        "Web cookie stitching against the demo generator's truth, one row per run (denominators: "
        "platform_assets/referential/web_stitching.py).",
        {name: text for name, (_, text) in COLUMNS.items()},
    ):
        conn.execute(statement)
    if quality is None:
        return
    values = {"run_id": run_id, "measured_at": measured_at, **quality.as_dict()}
    conn.execute(
        f"insert into {TABLE} ({', '.join(values)}) values ({', '.join('?' * len(values))})",
        list(values.values()),
    )


CONFLICTS_SQL = """
select
    count(*) as shared_cookies,
    coalesce(sum(events), 0) as events_kept_apart
from referential.web_cookie_conflicts
"""

# Examples of shared cookies without personal data: no cookie id, no customer id.
CONFLICT_EXAMPLES_SQL = """
select customers, logins, sessions, events, cast(first_seen_at as date) as first_seen,
    cast(last_seen_at as date) as last_seen
from referential.web_cookie_conflicts
order by customers desc, events desc, first_seen_at
limit 5
"""
