"""Hand-written web analytics files, as the contract in the session brief has them: one gzip NDJSON
file per day under ``web/events_YYYY-MM-DD.ndjson.gz``, every key on every line (null where not
relevant), sorted by event_at, event_id."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

from platform_assets.landing.contracts import CONTRACTS_BY_TABLE

KEYS = tuple(CONTRACTS_BY_TABLE["web_events"].column_names)  # the contract's keys, in order
BROWSER = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
PAGE_OF = {
    "page_view": "home",
    "product_view": "product",
    "search": "search",
    "cart_add": "cart",
    "cart_remove": "cart",
    "login": "account",
}


def event(n: int, at: str, cookie: str, event_type: str, **values) -> dict:
    """One event: ``n`` numbers its id (WEB + 12 digits), ``at`` is ISO 8601 UTC; keys not given
    are null, but the page type of the event type, the session (``<cookie>-s1``), FR, a browser."""
    row = dict.fromkeys(KEYS)
    row.update(
        event_id=f"WEB{n:012d}",
        event_at=at,
        cookie_id=cookie,
        session_id=f"{cookie}-s1",
        event_type=event_type,
        country_code="FR",
        page_type=PAGE_OF.get(event_type),
        user_agent=BROWSER,
        ip_address="192.0.2.10",
    )
    row.update(values)
    return row


def write_day(landing: Path, day: str, events: list[dict], extra_lines: dict[int, str] | None = None) -> Path:
    """``web/events_<day>.ndjson.gz`` under ``landing``: the events sorted by event_at, event_id, one
    JSON object a line; ``extra_lines`` (line number -> raw text) inserted as written (a bad line)."""
    lines = [
        json.dumps(e, separators=(",", ":"))
        for e in sorted(events, key=lambda e: (e["event_at"], e["event_id"]))
    ]
    for line_number, text in sorted((extra_lines or {}).items()):
        lines.insert(line_number - 1, text)
    path = landing / "web" / f"events_{day}.ndjson.gz"
    path.parent.mkdir(parents=True, exist_ok=True)
    with gzip.open(path, "wt", encoding="utf-8", newline="") as handle:
        handle.write("".join(line + "\n" for line in lines))
    return path
