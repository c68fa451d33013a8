"""A small web export written beside a generated demo, with its ground truth: every case stitching
must handle, on real accounts of the demo.

Cookies (``Scenario``): ``known`` browses anonymously, then logs in to account 1 (its history before
the login belongs to that customer); ``shared`` logs in to accounts 2 and 3 (two people: kept apart);
``erased`` logs in to account 4, whose person asks for erasure (an e-mail request added to the
demo's consent file); ``anonymous`` never logs in (its person is in the truth: a miss for recall);
``heavy`` makes 320 events in a day (a bot by volume) and ``crawler`` has a bot's user agent. One
line of the first day is not JSON. The truth goes to ``ground_truth/web_cookies.csv`` as the
generator writes it (cookie_id, person_id, is_bot, shared_person_id)."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from tests.web.files import event, write_day

CAMPAIGN = "CMP-FR-202610-1"


@dataclass(frozen=True)
class Scenario:
    accounts: tuple[str, ...]  # the four accounts used, in the order above
    persons: tuple[str, ...]  # their persons, then the anonymous cookie's person
    erased_email: str
    events: int  # lines written that are JSON events
    malformed_file: str
    malformed_line: int


def _accounts(landing: Path, truth: Path, count: int) -> list[tuple[str, str, str, str]]:
    """(account_id, login_email, country_code, person_id) of ``count`` accounts of distinct persons
    that own no other e-commerce account (so one account is one customer)."""
    with (truth / "source_records.csv").open(encoding="utf-8") as handle:
        person_of = {
            r["source_id"]: r["person_id"]
            for r in csv.DictReader(handle)
            if r["source_system"] == "ecommerce"
        }
    owned: dict[str, int] = {}
    for person in person_of.values():
        owned[person] = owned.get(person, 0) + 1
    chosen = []
    with (landing / "ecommerce" / "accounts.csv").open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            person = person_of.get(row["account_id"])
            if person and owned[person] == 1 and row["country_code"] == "FR" and "@" in row["login_email"]:
                chosen.append((row["account_id"], row["login_email"].strip(), row["country_code"], person))
            if len(chosen) == count:
                return chosen
    raise AssertionError(f"the demo has fewer than {count} single-account French persons")


def _other_person(truth: Path, taken: set[str]) -> str:
    with (truth / "persons.csv").open(encoding="utf-8") as handle:
        return next(r["person_id"] for r in csv.DictReader(handle) if r["person_id"] not in taken)


def _mark_erased(persons: Path, person_id: str) -> None:
    """The truth says the person asked for erasure, as the generator says of its own requesters."""
    with persons.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        fields, rows = reader.fieldnames, list(reader)
    for row in rows:
        if row["person_id"] == person_id:
            row["erased"] = "true"
    with persons.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fields, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def add_web_export(demo: Path) -> Scenario:
    landing, truth = demo / "landing", demo / "ground_truth"
    accounts = _accounts(landing, truth, 4)
    (a1, _, _, p1), (a2, _, _, p2), (a3, _, _, p3), (a4, email4, _, p4) = accounts
    p5 = _other_person(truth, {p1, p2, p3, p4})

    day1 = [
        # known: anonymous visit from an e-mail link, then views and a cart add; logs in the next day
        event(
            1,
            "2026-10-03T08:00:00Z",
            "ck_known",
            "session_start",
            page_type=None,
            utm_source="newsletter",
            utm_medium="email",
            utm_campaign=CAMPAIGN,
        ),
        event(2, "2026-10-03T08:00:10Z", "ck_known", "page_view", page_type="category", category_id="D01C01"),
        event(3, "2026-10-03T08:00:20Z", "ck_known", "product_view", category_id="D01C01", sku="10000001"),
        event(4, "2026-10-03T08:00:30Z", "ck_known", "cart_add", category_id="D01C01", sku="10000001"),
        # shared: two people log in on one device
        event(5, "2026-10-03T09:00:00Z", "ck_shared", "login", account_id=a2),
        event(6, "2026-10-03T09:01:00Z", "ck_shared", "product_view", category_id="D02C01", sku="10000002"),
        event(7, "2026-10-03T20:00:00Z", "ck_shared", "login", account_id=a3, session_id="ck_shared-s2"),
        # erased: the person asks for erasure; none of this may reach the referential or the facts
        event(8, "2026-10-03T10:00:00Z", "ck_erased", "login", account_id=a4),
        event(9, "2026-10-03T10:00:30Z", "ck_erased", "product_view", category_id="D01C01", sku="10000001"),
        # anonymous: never logs in
        event(
            10, "2026-10-03T11:00:00Z", "ck_anonymous", "product_view", category_id="D01C01", sku="10000001"
        ),
        # crawler: a bot by its user agent
        event(
            11,
            "2026-10-03T12:00:00Z",
            "ck_crawler",
            "page_view",
            user_agent="Mozilla/5.0 (compatible; Googlebot/2.1)",
        ),
    ]
    # heavy: 320 product views in one day, a bot by volume (the threshold is 300 a day)
    day1 += [
        event(
            100 + n,
            f"2026-10-03T13:{n // 60:02d}:{n % 60:02d}Z",
            "ck_heavy",
            "product_view",
            category_id="D01C01",
            sku="10000001",
        )
        for n in range(320)
    ]
    day2 = [
        event(
            1001,
            "2026-10-04T18:00:00Z",
            "ck_known",
            "session_start",
            page_type=None,
            session_id="ck_known-s2",
        ),
        event(1002, "2026-10-04T18:00:05Z", "ck_known", "login", account_id=a1, session_id="ck_known-s2"),
        event(
            1003,
            "2026-10-04T18:01:00Z",
            "ck_known",
            "search",
            search_query="tondeuse",
            session_id="ck_known-s2",
        ),
        event(
            1004,
            "2026-10-04T18:02:00Z",
            "ck_known",
            "product_view",
            category_id="D02C01",
            sku="10000002",
            session_id="ck_known-s2",
        ),
    ]
    malformed_line = 3
    first = write_day(
        landing, "2026-10-03", day1, extra_lines={malformed_line: '{"event_id":"WEB0000009999","event_'}
    )
    write_day(landing, "2026-10-04", day2)

    with (truth / "web_cookies.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["cookie_id", "person_id", "is_bot", "shared_person_id"])
        writer.writerows(
            [
                ["ck_known", p1, "false", ""],
                ["ck_shared", p2, "false", p3],
                ["ck_erased", p4, "false", ""],
                ["ck_anonymous", p5, "false", ""],
                ["ck_heavy", "", "true", ""],
                ["ck_crawler", "", "true", ""],
            ]
        )
    with (landing / "consent" / "erasure_requests.csv").open("a", encoding="utf-8", newline="") as handle:
        csv.writer(handle, lineterminator="\n").writerow(
            ["ER-900001", email4, "", "FR", "2026-10-20T10:00:00Z"]
        )
    _mark_erased(truth / "persons.csv", p4)
    return Scenario(
        accounts=(a1, a2, a3, a4),
        persons=(p1, p2, p3, p4, p5),
        erased_email=email4,
        events=len(day1) + len(day2),
        malformed_file=str(first.relative_to(landing)),
        malformed_line=malformed_line,
    )
