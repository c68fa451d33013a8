"""Declarations refused at load with the file and the field named, never taking the others down."""

from pathlib import Path

import pytest

from platform_assets.scores.local import defs_for
from platform_assets.scores.local.declaration import LocalScore, Refusal, load_declarations, parse_declaration

UNITS = ("FR", "PL", "GB")
DOCUMENTED = {
    "sales.fct_sales_lines": frozenset(
        {"customer_id", "product_id", "sold_date", "net_amount", "is_cancelled", "is_return"}
    ),
    "referential.dim_product": frozenset({"product_id", "department_name", "department_id"}),
    "referential.dim_customer": frozenset({"customer_id", "country_code", "birth_date"}),
    "features.customer_rfm": frozenset({"customer_id", "r_score", "reference_date"}),
}
GOOD = """\
description: Buys in Garden within 90 days, for the garden campaigns.
target: {event: purchase, departments: ["Garden & outdoor"], horizon_days: 90}
features:
  columns: [recency_days, frequency_12m, spend_share_garden_outdoor]
model: {estimator: gradient_boosting, parameters: {max_depth: 3}}
owners: {business_owner: a@example.com, technical_owner: team:ds, sponsor: b@example.com}
published_to_analysts: true
"""
SAFE_SQL = (
    "select l.customer_id, count(*) as n from sales.fct_sales_lines as l "
    "where l.sold_date < $cutoff group by l.customer_id"
)


def write(folder: Path, relative: str, text: str) -> Path:
    path = folder / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def refused(tmp_path, text: str, sql: str | None = None) -> str:
    if sql is not None:
        write(tmp_path, "PL/f.sql", sql)
    result = parse_declaration(write(tmp_path, "PL/garden.yml", text), UNITS, DOCUMENTED)
    assert isinstance(result, Refusal), result
    message = result.message
    assert str(tmp_path / "PL" / "garden.yml") in message
    return message


def test_a_good_declaration_loads_with_its_table_and_sql(tmp_path):
    text = GOOD.replace("spend_share_garden_outdoor]", "spend_share_garden_outdoor]\n  sql: f.sql")
    write(tmp_path, "PL/f.sql", SAFE_SQL)
    score = parse_declaration(write(tmp_path, "PL/garden.yml", text), UNITS, DOCUMENTED)
    assert isinstance(score, LocalScore), score
    assert score.table == "scores.local_pl_garden"
    assert score.feature_tables == ("sales.fct_sales_lines",)


def test_an_unknown_profile_column_is_refused_with_its_line_and_field(tmp_path):
    message = refused(tmp_path, GOOD.replace("frequency_12m", "frequency_13m"))
    assert "line 4, features.columns.1: unknown column 'frequency_13m'" in message


def test_an_unknown_column_of_a_table_is_refused(tmp_path):
    message = refused(tmp_path, GOOD.replace("recency_days", "sales.fct_sales_lines.loyalty_points"))
    assert "features.columns.0: unknown column 'sales.fct_sales_lines.loyalty_points'" in message
    sql = SAFE_SQL.replace("count(*)", "sum(l.loyalty_points)")
    message = refused(tmp_path, GOOD.replace("outdoor]", "outdoor]\n  sql: f.sql"), sql)
    assert "features.sql: unknown column loyalty_points of sales.fct_sales_lines" in message


def test_an_unknown_estimator_or_parameter_is_refused(tmp_path):
    message = refused(tmp_path, GOOD.replace("gradient_boosting", "xgboost"))
    assert (
        "model.estimator: Input should be 'logistic_regression', 'random_forest' or 'gradient_boosting'"
        in (message)
    )
    message = refused(tmp_path, GOOD.replace("max_depth", "max_dept"))
    assert "model: parameter(s) ['max_dept'] not allowed for gradient_boosting" in message


def test_a_column_of_a_table_as_of_the_run_date_is_leakage(tmp_path):
    message = refused(tmp_path, GOOD.replace("recency_days", "features.customer_rfm.r_score"))
    assert (
        "features.columns.0: leakage: features.customer_rfm.r_score is as of the run's reference date"
        in message
    )


@pytest.mark.parametrize(
    ("sql", "expected"),
    [
        # a dated fact read to the end of the data: the outcome window reaches the features
        (
            SAFE_SQL.replace("where l.sold_date < $cutoff", "where l.net_amount > 0"),
            "without 'l.sold_date < $cutoff'",
        ),
        # bounded only under an OR: a row passes without it
        (SAFE_SQL.replace("l.sold_date < $cutoff", "(l.sold_date < $cutoff or l.net_amount > 0)"), "without"),
        # bounded once, read a second time without the bound
        (
            SAFE_SQL.replace(
                "as l ", "as l join sales.fct_sales_lines as later on later.customer_id = l.customer_id "
            ),
            "(as later) is read without 'later.sold_date < $cutoff'",
        ),
        # bounded, but on the wrong side of the cutoff
        (
            SAFE_SQL.replace("l.sold_date < $cutoff", "l.sold_date >= $cutoff"),
            "without 'l.sold_date < $cutoff'",
        ),
        # a snapshot as of the run's date (or the current state)
        ("select r.customer_id, r.r_score from features.customer_rfm as r", "features.customer_rfm is as of"),
        (
            "select c.customer_id, year(c.birth_date) as y from referential.dim_customer as c",
            "dim_customer is as of",
        ),
    ],
)
def test_feature_sql_that_can_see_past_the_cutoff_is_leakage(tmp_path, sql, expected):
    message = refused(tmp_path, GOOD.replace("outdoor]", "outdoor]\n  sql: f.sql"), sql)
    assert "features.sql: leakage:" in message and expected in message


def test_a_bad_declaration_is_left_out_and_reported_the_others_load(tmp_path):
    write(tmp_path, "PL/garden.yml", GOOD)
    write(tmp_path, "FR/kitchen.yml", GOOD.replace("recency_days", "recency_dayz"))
    write(tmp_path, "XX/nowhere.yml", GOOD)
    loaded, bad = load_declarations(tmp_path, UNITS, DOCUMENTED)
    assert [s.table for s in loaded] == ["scores.local_pl_garden"]
    assert sorted(r.name for r in bad) == ["kitchen", "nowhere"]
    assert any("(file): folder 'XX' is not a business unit" in p for r in bad for p in r.problems)
    # in the code location: the good one's asset and checks, the register's check saying why
    defs = defs_for(tmp_path, UNITS, __import__("dagster").Definitions())
    keys = {k.to_user_string() for a in defs.assets for k in a.keys}
    assert keys == {"ops/local_score_declarations", "scores/local_pl_garden"}
    specs = {spec.name: spec for checks in defs.asset_checks for spec in checks.check_specs}
    assert not specs["local_score_declarations_valid"].blocking  # a warning: the run and publication go on
    assert specs["local_pl_garden_keys_and_ranges"].blocking


def test_the_command_line_checks_the_demo_declarations_and_names_a_bad_one(tmp_path, capsys):
    from platform_assets.scores.local.__main__ import main

    assert main([]) == 0
    assert "local_pl_garden_season_buyer (gradient_boosting)" in capsys.readouterr().out
    bad = write(tmp_path, "PL/garden.yml", GOOD.replace("gradient_boosting", "xgboost"))
    assert main([str(bad)]) == 1
    assert f"refused: {bad}: line 5, model.estimator:" in capsys.readouterr().out
