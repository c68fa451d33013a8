"""The deterministic holdout: which audience members are held out (recorded, never contacted).

A customer's draw in a campaign is a pure function of the salt, their id and the campaign code:

    draw = int(first 15 hex digits of sha256(salt || '|' || customer_id || '|' || campaign_code), 16) / 16**15

a number uniform on [0, 1). The customer is held out when ``draw < share`` (default 0.10). Nothing
else enters the rule - not the date, not the other members, not their order - so the same customer
is always in the same group of the same campaign, run after run and day after day (a recurring
campaign never contaminates its control group), and anyone can recompute a group from the salt.

Stratification by score band (the churn band) is in expectation: within every band the holdout is
an independent ``share`` sample, so each band's holdout share is ``share`` up to binomial noise
(at 1,000 members per band, 95 % of bands within +/- 1.9 points). Taking exactly round(share * n)
per band by hash rank would make every band's share exact but let one customer's group change when
another joins or leaves the audience; stability was chosen, and the per-band shares are reported in
the asset's metadata (``holdout_by_score_band``) and bounded by the end-to-end test.

The SQL expression and the Python function compute the same number (a test holds them together).
"""

from __future__ import annotations

import hashlib

from platform_assets.lib.tables import sql_literal

HEX_DIGITS = 15  # 60 bits: an exact integer in DuckDB's ubigint and Python; uniform to 1e-18
SCALE = 16**HEX_DIGITS


def holdout_draw(salt: str, customer_id: str, campaign_code: str) -> float:
    digest = hashlib.sha256(f"{salt}|{customer_id}|{campaign_code}".encode()).hexdigest()
    return int(digest[:HEX_DIGITS], 16) / SCALE


def is_holdout(salt: str, customer_id: str, campaign_code: str, share: float) -> bool:
    return holdout_draw(salt, customer_id, campaign_code) < share


def draw_sql(salt: str, customer_column: str = "customer_id", campaign_column: str = "campaign_code") -> str:
    """The same draw as a DuckDB expression over two columns."""
    hashed = f"sha256({sql_literal(salt + '|')} || {customer_column} || '|' || {campaign_column})"
    return f"(('0x' || left({hashed}, {HEX_DIGITS}))::ubigint / {float(SCALE)!r})"
