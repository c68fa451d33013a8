"""Measured properties of a generated data set: source overlap, noise, behaviour."""

from __future__ import annotations

import re

import numpy as np
import polars as pl

from platform_assets.demo import config as cfg
from platform_assets.demo.identities import Identities
from platform_assets.demo.people import ascii_fold
from platform_assets.demo.timeline import Calendar
from platform_assets.demo.web import BOT, window_start


def _wrong(records: pl.DataFrame, persons: pl.DataFrame, dup_col: str, email_col: str | None) -> pl.Series:
    """Duplicate record, or a name / e-mail that differs from the truth beyond letter case."""
    truth = persons.select(
        "pid",
        pl.col("first_name").alias("t_first"),
        pl.col("last_name").alias("t_last"),
        pl.col("email").alias("t_email"),
    )
    r = records.join(truth, on="pid", how="left")
    wrong = (
        pl.col(dup_col)
        | (pl.col("first_name").str.to_lowercase() != pl.col("t_first").str.to_lowercase())
        | (pl.col("last_name").str.to_lowercase() != pl.col("t_last").str.to_lowercase())
    )
    if email_col:
        wrong = wrong | (pl.col(email_col).is_not_null() & (pl.col(email_col) != pl.col("t_email")))
    return r.select(wrong.fill_null(False)).to_series()


def overlap(persons: pl.DataFrame, ids: Identities, sources: pl.DataFrame) -> dict[str, float]:
    n = persons.height
    per_person = (
        sources.filter(pl.col("source_system") != "consent")
        .group_by("person_id")
        .agg(pl.col("source_system").n_unique().alias("k"))
    )
    has_card = ids.card[:, 0] >= 0
    contacts_wrong = _wrong(ids.contacts, persons, "is_dup", "email")
    accounts_wrong = _wrong(ids.accounts, persons, "is_second", None)
    accented = (
        ascii_fold(persons["first_name"] + persons["last_name"])
        != persons["first_name"] + persons["last_name"]
    ).mean()
    return {
        "persons": float(n),
        "share_crm": float(ids.has_crm.mean()),
        "share_loyalty": float(has_card.mean()),
        "share_ecommerce_account": float(ids.has_account.mean()),
        "share_in_2plus_sources": float((per_person["k"] >= 2).sum() / n),
        "share_anonymous_only": float(1 - per_person.height / n),
        "crm_duplicate_rate": float(ids.contacts["is_dup"].sum() / max(ids.has_crm.sum(), 1)),
        "second_card_rate": float((ids.card[:, 1] >= 0).sum() / max(has_card.sum(), 1)),
        "second_account_rate": float(ids.accounts["is_second"].sum() / max(ids.has_account.sum(), 1)),
        "wrong_or_duplicate_crm_records": float(contacts_wrong.mean()),
        "wrong_or_duplicate_customer_records": float(
            (contacts_wrong.sum() + accounts_wrong.sum())
            / max(contacts_wrong.len() + accounts_wrong.len(), 1)
        ),
        "share_persons_with_accented_name": float(accented),
    }


class BehaviourTally:
    """Counts of visits, lines and spend, accumulated chunk by chunk."""

    def __init__(self, persons: pl.DataFrame) -> None:
        self.persons = persons
        self.eur = np.zeros(persons.height)
        self.visits = self.web_visits = self.sale_lines = self.lines = self.return_lines = 0

    def add(self, visits: pl.DataFrame, lines: pl.DataFrame) -> None:
        sales = visits.filter(~pl.col("is_return"))
        self.visits += sales.height
        self.web_visits += int(sales["web"].sum())
        self.lines += lines.height
        self.return_lines += int(lines["is_return"].sum())
        self.sale_lines += lines.height - int(lines["is_return"].sum())
        fx = cfg.FX_PER_EUR[visits["country"].to_numpy().astype(np.int64)]
        np.add.at(self.eur, visits["pid"].to_numpy(), visits["total"].to_numpy() / fx / 100)

    def result(self) -> dict[str, float]:
        n = self.persons.height
        eur = np.sort(self.eur)[::-1]
        profile = self.persons["profile"].to_numpy()
        churned = self.persons["churn_day"].to_numpy() >= 0
        repeat = profile != cfg.ONE_SHOT
        return {
            "visits_per_person": self.visits / n,
            "sales_lines_per_person": self.sale_lines / n,
            "web_share_of_visits": self.web_visits / max(self.visits, 1),
            "top15pct_revenue_share": float(eur[: round(0.15 * n)].sum() / max(eur.sum(), 1e-9)),
            "churned_share_of_non_one_shot": float(churned[repeat].mean()) if repeat.any() else 0.0,
            "moving_share": float((self.persons["moving_day"] >= 0).mean()),
            "renovation_share": float((self.persons["renovation_day"] >= 0).mean()),
            "new_garden_share": float((self.persons["garden_day"] >= 0).mean()),
            "return_line_share": self.return_lines / max(self.lines, 1),
        }


def format_report(
    rows: dict[str, int], sizes: dict[str, int], seconds: float, measures: dict[str, float]
) -> str:
    """Files (monthly and daily files grouped), rows, bytes, seconds, then the measured rates."""
    groups: dict[str, list[str]] = {}
    for path in sorted(rows):
        monthly = re.match(r"(.*_)\d{6}(\.\w+)$", path)
        daily = re.match(r"(.*_)\d{4}-\d{2}-\d{2}(\.[\w.]+)$", path)
        label = (
            f"{monthly[1]}YYYYMM{monthly[2]}"
            if monthly
            else f"{daily[1]}YYYY-MM-DD{daily[2]}"
            if daily
            else path
        )
        groups.setdefault(label, []).append(path)
    out = [f"{'file':<46}{'files':>6}{'rows':>14}{'bytes':>16}"]
    for label, paths in groups.items():
        out.append(
            f"{label:<46}{len(paths):>6}{sum(rows[p] for p in paths):>14,}{sum(sizes[p] for p in paths):>16,}"
        )
    out.append(f"{'total':<46}{len(rows):>6}{sum(rows.values()):>14,}{sum(sizes.values()):>16,}")
    out.append(f"seconds: {seconds:.1f}")
    out += [f"{k:<40}{v:>14.4f}" if abs(v) < 1000 else f"{k:<40}{v:>14,.0f}" for k, v in measures.items()]
    return "\n".join(out)


def web_measures(
    sessions: pl.DataFrame, cookies: pl.DataFrame, counts: dict[str, int], customers: int, cal: Calendar
) -> dict[str, float]:
    """Volume of the web export and how its cookies relate to persons."""
    years = (cal.days - window_start(cal)) / 365.25
    events = sum(counts.values())
    persons = sessions.filter(pl.col("pid") >= 0)
    person_cookies = cookies.filter(pl.col("pid").is_not_null())
    return {
        "web_events": float(events),
        "web_events_per_customer_year": events / customers / years,
        "web_sessions_per_customer_year": sessions.height / customers / years,
        "web_share_of_persons_visiting": persons["pid"].n_unique() / customers,
        "web_cookies_per_visiting_person": person_cookies.height / max(person_cookies["pid"].n_unique(), 1),
        "web_logged_in_session_share": float((persons["account"] >= 0).mean() or 0.0),
        "web_shared_cookies": float(cookies["shared_pid"].is_not_null().sum()),
        "web_bot_cookies": float(cookies["is_bot"].sum()),
        "web_bot_event_share": float(
            sessions.filter(pl.col("kind") == BOT)["n_body"].cast(pl.Int64).sum() / max(events, 1)
        ),
    }
