"""Consent proof as an asset: ``referential.consent_history`` (``consent.py`` does the work), its
blocking gate and its agreement with ``dim_customer``'s consents."""

from datetime import UTC, datetime

import dagster as dg

from platform_assets.governance.ownership import REFERENTIAL
from platform_assets.lib import layers
from platform_assets.lib.gates import gate, key_rules
from platform_assets.lib.metadata import asset_metadata, check_description
from platform_assets.lib.settings import PlatformSettings
from platform_assets.lib.tables import EMPTY_BY_DESIGN, comment_table, replace_table
from platform_assets.lib.warehouse import Warehouse
from platform_assets.privacy import consent
from platform_assets.publish.publication import ANALYST_FLAG

CONSENT_AGREES = "in_effect_agrees_with_dim_customer"
_FLAGS = {c: f"has_{c}_consent" for c in ("email", "sms", "phone", "post")}


@dg.asset(
    key=consent.HISTORY.split("."),
    deps=[
        dg.AssetKey(["intermediate", "int_consent_choices"]),
        dg.AssetKey(["referential", "customer_xref"]),
        dg.AssetKey(["referential", "dim_customer"]),
    ],
    description=consent.DESCRIPTION,
    group_name=layers.REFERENTIAL,
    owners=REFERENTIAL.owners,
    kinds={"duckdb", "python"},
    pool="duckdb_writer",
    metadata=asset_metadata(
        REFERENTIAL,
        consent.HISTORY,
        "one row per contact choice received for a customer's source record and channel",
        consent.HISTORY_COLUMNS,
        **{ANALYST_FLAG: False},
    ),
)
def consent_history(
    context: dg.AssetExecutionContext, warehouse: Warehouse, platform: PlatformSettings
) -> dg.MaterializeResult:
    now = datetime.now(UTC).replace(tzinfo=None, microsecond=0)
    with warehouse.connect() as conn:
        restored = consent.ensure_ledger(conn, platform.restricted_path)
        conn.execute("begin transaction")
        try:
            received = consent.record_new_choices(conn, context.run_id, now)
            forgotten = consent.forget_erased(conn)
            conn.execute("commit")
        except Exception:
            conn.execute("rollback")
            raise
        rows = replace_table(conn, consent.HISTORY, consent.HISTORY_SQL)
        # no choice at all (no consent source, no e-mail tool): empty, and it says why
        described = consent.DESCRIPTION if rows else EMPTY_BY_DESIGN + consent.NO_CHOICE
        comment_table(conn, consent.HISTORY, described, {n: t for n, _, t in consent.HISTORY_COLUMNS})
        comment_table(
            conn,
            consent.LEDGER,
            "Every contact choice received, per source record and channel, kept across runs (working file only).",
            {n: t for n, _, t in consent.LEDGER_COLUMNS},
        )
        [(ledger,)] = conn.execute(f"select count(*) from {consent.LEDGER}").fetchall()
    context.log.info(
        f"consent history: {rows} choices of customers; {received} new, {forgotten} of erased persons removed"
    )
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": rows,
            "ledger_rows": int(ledger),
            "choices_received_this_run": received,
            "choices_of_erased_persons_removed": forgotten,
            "restored_from": restored or "none",
        }
    )


@dg.asset_check(
    asset=consent_history,
    name="keys_and_values",
    blocking=True,
    pool="duckdb_writer",
    description=check_description(
        "A customer, a known channel and status, a time and an origin on every choice; no choice twice; "
        "exactly one choice in effect per customer and channel; no customer outside the referential.",
        blocking=True,
    ),
)
def consent_history_keys(warehouse: Warehouse) -> dg.AssetCheckResult:
    rules = {
        **key_rules(["customer_id", *consent.CHOICE_KEYS]),
        "channel_unknown": f"consent_channel not in ({', '.join(repr(c) for c in _FLAGS)})",
        "status_unknown": "consent_status is null or consent_status not in ('opt_in', 'opt_out')",
        "not_one_in_effect": "count(*) filter (where is_in_effect) over (partition by customer_id, consent_channel) <> 1",
    }
    extra = {
        "customer_not_in_referential": f"select count(*) from {consent.HISTORY} h "
        "anti join referential.dim_customer d using (customer_id)"
    }
    return gate(warehouse, consent.HISTORY, rules, extra)


@dg.asset_check(
    asset=consent_history,
    name=CONSENT_AGREES,
    blocking=False,
    pool="duckdb_writer",
    description=check_description(
        "The choice in effect per customer and channel is the consent dim_customer shows (has_<channel>_consent); "
        "a difference means a source withdrew a later choice it had delivered.",
        blocking=False,
    ),
)
def consent_history_agrees(warehouse: Warehouse) -> dg.AssetCheckResult:
    flag = "case h.consent_channel " + " ".join(f"when '{c}' then d.{f}" for c, f in _FLAGS.items()) + " end"
    with warehouse.connect() as conn:
        [(checked, differ)] = conn.execute(
            f"select count(*), count(*) filter (where (h.consent_status = 'opt_in') <> coalesce({flag}, false)) "
            f"from {consent.HISTORY} h join referential.dim_customer d using (customer_id) where h.is_in_effect"
        ).fetchall()
    return dg.AssetCheckResult(
        passed=differ == 0,
        severity=dg.AssetCheckSeverity.WARN,
        metadata={"choices_in_effect": int(checked), "differ_from_dim_customer": int(differ)},
    )


CONSENT_CHECKS = [consent_history_keys, consent_history_agrees]
