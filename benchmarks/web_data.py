"""Synthetic web analytics export at scale, for the web landing + stitching benchmark.

One gzip NDJSON file per day over 13 months (396 files), every key of the contract on every line
(null where not relevant), sorted by event_at within a file: ~31 events per customer, ~1.5 cookies
per customer (half the people browse from a second device), 40 % of the people with an e-commerce
account, logins tying 70 % of their cookies to it, one cookie in a thousand of those shared by two
account holders (a shared computer: it logs in at every visit, as one or the other), 40 bot cookies (15 with a crawler's user agent, the rest over 300 events a day), and
a few malformed lines (a cut line, an array) in 5 files. Written by DuckDB (its JSON writer, gzip, in
parallel): ~1 GB of gzip for 1M customers in a few minutes, written once into ``data/`` and reused.

Beside the files: the inputs stitching needs (``customer_xref`` rows for the accounts, categories)
and the truth the stitch quality is measured against (``ground_truth/``: web_cookies, source_records,
persons), as the demo generator writes them.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import re
import shutil
from pathlib import Path

import duckdb

from platform_assets.landing.contracts import CONTRACTS_BY_TABLE

KEYS = CONTRACTS_BY_TABLE["web_events"].column_names
DAYS = 396  # 2025-10-01 .. 2026-10-30
START = "2025-10-01"
EVENTS_PER_CUSTOMER = 31
COOKIES_PER_CUSTOMER = 1.5
BOTS = 40
USER_AGENTS = [
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.6 Safari/605.1.15",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.6 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Linux; Android 14; 2201117TY) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Mobile Safari/537.36",
    "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:131.0) Gecko/20100101 Firefox/131.0",
    "Mozilla/5.0 (Linux; Android 13; SM-A536B) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/129.0.0.0 Mobile Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36 Edg/130.0.0.0",
]
CRAWLER = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"
SEARCHES = ["pex pipe", "elbow fitting", "copper pipe", "plasterboard", "lawnmower", "paint white", "shed",
            "moving boxes", "drill", "laminate flooring"]  # fmt: skip
UTM = [("google", "cpc"), ("facebook", "social"), ("criteo", "display"), ("instagram", "social"),
       ("bing", "cpc"), ("houzz", "referral"), ("newsletter", "email"), ("pinterest", "social")]  # fmt: skip
MALFORMED = ['{"event_id":"WEB0000000', "[1, 2]"]


def _list(values: list[str]) -> str:
    return "[" + ", ".join("'" + v.replace("'", "''") + "'" for v in values) + "]"


def events_sql(customers: int) -> str:
    """One row per event, the contract's keys in order (text), plus ``day`` (the file's date)."""
    cookies = round(customers * COOKIES_PER_CUSTOMER)
    sessions = round(customers * EVENTS_PER_CUSTOMER / 5.5)
    return _signed(f"""
    with
    sessions as (
        select s, (hash(s, 1) % {cookies})::bigint as cookie_no, (2 + hash(s, 2) % 8)::bigint as len,
            (hash(s, 3) % {DAYS})::bigint as day_no, (hash(s, 4) % 86000)::bigint as start_sec, false as bot
        from range({sessions}) t(s)
        union all  -- bots: 60 sessions of 50 events over 6 days each (500 a day)
        select {sessions} + b * 60 + j, {cookies} + b, 50, (hash(b, 5) % ({DAYS} - 7))::bigint + j // 10,
            (hash(b, j) % 80000)::bigint, true
        from range({BOTS}) t(b), range(60) u(j)
    ),
    cookies as (
        select s.*,
            case when cookie_no < {customers} then cookie_no else (cookie_no - {customers}) * 2 end as person,
            not bot and person % 5 < 2 and hash(cookie_no, 6) % 10 < 7 as logs_in,
            hash(cookie_no, 25) % 1000 = 0 as shared
        from sessions s
    ),
    events as (
        select c.*, unnest(range(len)) as pos from cookies c
    ),
    typed as (
        select *,
            hash(s, pos, 8) % 1000 as r,
            case
                when pos = 0 then 'session_start'
                when pos = 1 and logs_in and (shared or hash(s, 7) % 3 = 0) then 'login'
                when hash(s, pos, 8) % 1000 < 450 then 'product_view'
                when hash(s, pos, 8) % 1000 < 835 then 'page_view'
                when hash(s, pos, 8) % 1000 < 920 then 'cart_add'
                when hash(s, pos, 8) % 1000 < 992 then 'search'
                else 'cart_remove'
            end as event_type,
            -- hash(s * 7 + 1): DuckDB's hash(a, b) combines hash(a) and hash(b), so its low bits
            -- follow hash(a, c)'s (here the session's cookie): one argument keeps them apart
            case when shared and logs_in and hash(s * 7 + 1) % 2 = 0 then (person + 5) % {customers} else person end
                as login_person
        from events
    )
    select
        printf('WEB%012d', s * 64 + pos) as event_id,
        strftime(timestamp '{START}' + to_days(day_no::integer) + to_seconds((start_sec + pos * 37)::bigint),
            '%Y-%m-%dT%H:%M:%SZ') as event_at,
        case when bot then printf('ck_b0t%013x', cookie_no) else printf('ck_%016x', hash(cookie_no, 11)) end
            as cookie_id,
        printf('ss_%016x', hash(s, 12)) as session_id,
        event_type,
        case when bot then 'FR' else ['FR', 'FR', 'PL', 'GB'][1 + person % 4] end as country_code,
        case when event_type = 'login' then printf('%012x', (login_person * 2654435761) % 281474976710656) end
            as account_id,
        case event_type
            when 'session_start' then null when 'product_view' then 'product' when 'search' then 'search'
            when 'login' then 'account' when 'page_view' then
                ['category', 'category', 'category', 'category', 'category', 'home', 'home', 'checkout',
                 'checkout', 'account'][1 + hash(s, pos, 13) % 10]
            else 'cart'
        end as page_type,
        case when event_type in ('product_view', 'cart_add', 'cart_remove')
                or (event_type = 'page_view' and hash(s, pos, 13) % 10 < 5)
            then printf('D%02dC%02d', 1 + hash(s, pos, 14) % 9, 1 + hash(s, pos, 15) % 6) end as category_id,
        case when event_type in ('product_view', 'cart_add', 'cart_remove')
            then printf('%08d', 10000000 + hash(s, pos, 16) % 89999999) end as sku,
        case when event_type = 'search' then {_list(SEARCHES)}[1 + hash(s, pos, 17) % {len(SEARCHES)}] end
            as search_query,
        case when event_type = 'session_start' and hash(s, 18) % 100 >= 40
            then {_list([u for u, _ in UTM])}[1 + hash(s, 19) % {len(UTM)}] end as utm_source,
        case when event_type = 'session_start' and hash(s, 18) % 100 >= 40
            then {_list([m for _, m in UTM])}[1 + hash(s, 19) % {len(UTM)}] end as utm_medium,
        case when event_type = 'session_start' and hash(s, 18) % 100 >= 80
            then printf('PSR-%s-%s', ['FR', 'FR', 'PL', 'GB'][1 + person % 4], strftime(timestamp '{START}'
                + to_days(day_no::integer), '%Y%m')) end as utm_campaign,
        case when bot and cookie_no - {cookies} < 15 then '{CRAWLER}'
            else {_list(USER_AGENTS)}[1 + hash(cookie_no, 20) % {len(USER_AGENTS)}] end as user_agent,
        printf('%d.%d.%d.%d', 2 + hash(cookie_no, 21) % 220, hash(cookie_no, 22) % 256,
            hash(s, 23) % 256, 1 + hash(s, 24) % 254) as ip_address,
        strftime(timestamp '{START}' + to_days(day_no::integer), '%Y-%m-%d') as day,
        -- for the truth
        cookie_no, bot, shared, person, login_person
    from typed
    """)


def _signed(sql: str) -> str:
    """Every ``hash(..)`` as a signed integer (list indexes and arithmetic want BIGINT)."""
    return re.sub(r"hash\(([^()]*)\)", r"(hash(\1) >> 1)::bigint", sql)


def write(root: Path, customers: int, threads: int = 2) -> dict:
    """The export under ``root/landing/web/``, the truth under ``root/ground_truth/`` and the
    stitching inputs in ``root/inputs.duckdb``; reused when ``root/manifest.json`` says they exist."""
    manifest = root / "manifest.json"
    version = hashlib.sha256(Path(__file__).read_bytes()).hexdigest()[:16]  # older files are not reused
    known = json.loads(manifest.read_text()) if manifest.exists() else {}
    if known.get("generator") == version and known.get("customers") == customers:
        return known
    shutil.rmtree(root, ignore_errors=True)
    web, truth = root / "landing" / "web", root / "ground_truth"
    web.mkdir(parents=True)
    truth.mkdir(parents=True)
    work = root / "work.duckdb"
    with duckdb.connect(str(work)) as conn:
        conn.execute(f"set threads = {threads}")
        conn.execute("set memory_limit = '6GB'")
        conn.execute("set preserve_insertion_order = true")
        conn.execute(f"create table events as {events_sql(customers)}")
        keys = ", ".join(KEYS)
        # one file per day, sorted by event_at, event_id (DuckDB writes partitions in parallel)
        conn.execute(
            f"copy (select {keys}, day from events order by event_at, event_id) to '{root / 'days'}' "
            "(format json, compression gzip, partition_by (day))"
        )
        for folder in sorted((root / "days").iterdir()):
            [part] = list(folder.iterdir())
            part.rename(web / f"events_{folder.name.split('=')[1]}.ndjson.gz")
        shutil.rmtree(root / "days")
        # a few malformed lines: a gzip member appended to 5 files (a multi-member gzip file)
        for path in sorted(web.iterdir())[10:15]:
            with path.open("ab") as handle:
                handle.write(gzip.compress(("\n".join(MALFORMED) + "\n").encode()))
        conn.execute(
            f"""copy (
                select cookie_id, case when bot then '' else printf('P%08d', any_value(person)) end as person_id,
                    bot as is_bot,
                    case when bool_or(shared) and count(distinct login_person) filter (where event_type = 'login') > 1
                        then printf('P%08d', (any_value(person) + 5) % {customers}) else '' end as shared_person_id
                from events group by cookie_id, bot
            ) to '{truth / "web_cookies.csv"}' (header)"""
        )
        accounts = f"""
            select printf('%012x', (p * 2654435761) % 281474976710656) as account_id, p
            from range({customers}) t(p) where p % 5 < 2
        """
        conn.execute(
            f"copy (select 'ecommerce' as source_system, account_id as source_id, printf('P%08d', p) as person_id "
            f"from ({accounts})) to '{truth / 'source_records.csv'}' (header)"
        )
        conn.execute(
            f"copy (select printf('P%08d', p) as person_id, 'false' as erased from range({customers}) t(p)) "
            f"to '{truth / 'persons.csv'}' (header)"
        )
        conn.execute(
            f"""create table customer_xref as
            select 'ecommerce:' || account_id as record_id, 'ecommerce' as source_system, account_id as source_id,
                printf('CUS%08d', p) as customer_id
            from ({accounts})"""
        )
        [(events, cookies, files)] = conn.execute(
            "select count(*), count(distinct cookie_id), count(distinct day) from events"
        ).fetchall()
        conn.execute("drop table events")
    inputs = root / "inputs.duckdb"
    with duckdb.connect(str(inputs)) as conn:
        conn.execute(f"attach '{work}' as work (read_only)")
        conn.execute("create table customer_xref as select * from work.customer_xref")
    work.unlink()
    gz = sum(p.stat().st_size for p in web.iterdir())
    facts = {
        "customers": customers,
        "events": events + 5 * len(MALFORMED),
        "malformed_lines": 5 * len(MALFORMED),
        "cookies": cookies,
        "files": files,
        "gzip_bytes": gz,
        "generator": version,
    }
    manifest.write_text(json.dumps(facts, indent=2))
    return facts
