"""The bot rule is the retailer's: its thresholds and user agent pattern come from the configuration
(``web_bots``), reach dbt as ``referential.web_bot_rule``, and another retailer's rule flags other
cookies. Checked by building ``stg_web__events`` with dbt on a small warehouse, once per rule."""

import os
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import duckdb
import pytest

from platform_assets.landing.contracts import CONTRACTS_BY_TABLE
from platform_assets.landing.loader import create_raw_table_sql, load_source
from platform_assets.lib.retailer import DEMO_RETAILER, RetailerConfigError, load_retailer, parse_retailer
from platform_assets.lib.settings import DBT_PROJECT_DIR
from platform_assets.referential.business_units import write_referential
from tests.web.files import event, write_day

DEMO = load_retailer(DEMO_RETAILER)
MONITOR = "SiteMonitor/2.1 (uptime check)"


def _events() -> list[dict]:
    day = "2026-10-03T08:{:02d}:00Z"
    return [
        # five events in a day: a person for the demo (300 a day), not for a stricter rule
        *(event(n, day.format(n), "ck_busy", "page_view") for n in range(1, 6)),
        # a monitoring script with its own user agent: not a crawler's pattern
        event(10, day.format(10), "ck_monitor", "page_view", user_agent=MONITOR),
        # a crawler any rule of the demo's kind recognises
        event(
            20, day.format(20), "ck_crawler", "page_view", user_agent="Mozilla/5.0 (compatible; bingbot/2.0)"
        ),
        # two events a day on three days: six in all
        *(event(30 + d, f"2026-10-0{d}T09:00:00Z", "ck_steady", "page_view") for d in (3, 4, 5)),
        *(event(40 + d, f"2026-10-0{d}T10:00:00Z", "ck_steady", "page_view") for d in (3, 4, 5)),
        event(50, day.format(50), "ck_person", "page_view"),
    ]


def _bots(warehouse: Path, tmp_path: Path, retailer) -> dict[str, str]:
    with duckdb.connect(str(warehouse)) as conn:
        write_referential(conn, retailer)
    dbt = Path(sys.executable).parent / "dbt"
    done = subprocess.run(
        [
            str(dbt),
            "run",
            "--select",
            "stg_catalog__categories",
            "stg_web__events",
            "--target-path",
            str(tmp_path / "target"),
        ],
        cwd=DBT_PROJECT_DIR,
        env={**os.environ, "CDP_DUCKDB_PATH": str(warehouse)},
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout[-3000:]
    with duckdb.connect(str(warehouse), read_only=True) as conn:
        return dict(
            conn.execute(
                "select cookie_id, any_value(bot_reason) from staging.stg_web__events where is_bot group by 1"
            ).fetchall()
        )


def test_another_retailers_rule_flags_other_cookies(tmp_path):
    landing, warehouse = tmp_path / "landing", tmp_path / "cdp.duckdb"
    write_day(landing, "2026-10-03", _events())
    with duckdb.connect(str(warehouse)) as conn:
        load_source(
            conn,
            landing,
            CONTRACTS_BY_TABLE["web_events"],
            "run-1",
            datetime(2026, 11, 1),
            DEMO,
            DEMO_RETAILER,
        )
        conn.execute(create_raw_table_sql(CONTRACTS_BY_TABLE["catalog_categories"]))
    assert _bots(warehouse, tmp_path, DEMO) == {"ck_crawler": "user_agent"}

    strict = DEMO.web_bots.model_copy(
        update={
            "user_agent_pattern": "(?i)monitor",
            "max_events_per_cookie_day": 4,
            "max_events_per_cookie": 5,
        }
    )
    other = DEMO.model_copy(update={"web_bots": strict})
    assert _bots(warehouse, tmp_path, other) == {
        "ck_busy": "events_per_day",
        "ck_monitor": "user_agent",
        "ck_steady": "events_total",
    }


@pytest.mark.parametrize(
    ("setting", "message"),
    [
        (
            "user_agent_pattern: '(?<=bot)x'",
            r"line \d+, web_bots.user_agent_pattern: not a regular expression",
        ),
        ("max_events_per_cookie_day: 0", r"line \d+, web_bots.max_events_per_cookie_day: .*greater than 0"),
    ],
)
def test_a_bad_bot_rule_is_refused_with_its_key_and_line(setting, message):
    text = DEMO_RETAILER.read_text(encoding="utf-8")
    key = setting.split(":")[0]
    lines = [f"  {setting}" if line.strip().startswith(f"{key}:") else line for line in text.splitlines()]
    with pytest.raises(RetailerConfigError, match=message):
        parse_retailer("\n".join(lines), "retailer.yml")
