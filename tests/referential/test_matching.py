"""matching.py on hand-built records in an in-memory DuckDB: deterministic rules, blocking, Splink's
comparison levels, connected components; then the crosswalk's rule per record (crosswalk.py)."""

from datetime import date, datetime

import duckdb
import polars as pl
import pytest

from platform_assets.referential.identity.crosswalk import crosswalk, link_rules
from platform_assets.referential.identity.matching import (
    PREDICTION_BLOCKS,
    MatchingConfig,
    connected_clusters,
    deterministic_edges,
    resolve,
)

COLUMNS = (
    "first_name_std",
    "last_name_std",
    "email_std",
    "phone_e164",
    "postcode_std",
    "birth_date",
    "city_std",
)


# columns the standardised records also carry, null unless a test sets them
EXTRA = ("street_std", "customer_number_std", "country_code")


def warehouse(records: dict[str, tuple], cards: dict[str, str | None] | None = None, extra=EXTRA):
    """``records``: record_id -> values of COLUMNS (then of ``extra`` when given that long);
    ``cards``: loyalty_card_id -> crm_contact_id."""
    conn = duckdb.connect()
    conn.execute("create schema intermediate")
    conn.execute("create schema staging")
    conn.execute(
        "create table intermediate.int_customer_records_standardised (record_id varchar, first_name_std "
        "varchar, last_name_std varchar, email_std varchar, phone_e164 varchar, postcode_std varchar, "
        "birth_date date, city_std varchar, street_std varchar, customer_number_std varchar, "
        "country_code varchar, has_too_little_identity boolean)"
    )
    width = len(COLUMNS) + len(EXTRA)
    conn.executemany(
        "insert into intermediate.int_customer_records_standardised values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
        "?, false)",
        [(record_id, *values, *([None] * (width - len(values)))) for record_id, values in records.items()],
    )
    conn.execute("create table staging.stg_loyalty__cards (loyalty_card_id varchar, crm_contact_id varchar)")
    if cards:
        conn.executemany("insert into staging.stg_loyalty__cards values (?, ?)", list(cards.items()))
    return conn


def pairs(edges: pl.DataFrame, rule: str | None = None) -> set[frozenset]:
    if rule is not None:
        edges = edges.filter(pl.col("rule") == rule)
    return {frozenset(p) for p in edges.select("record_id_l", "record_id_r").iter_rows()}


def groups(clusters: pl.DataFrame) -> set[frozenset]:
    return {frozenset(g) for g in clusters.group_by("cluster_id").agg("record_id")["record_id"].to_list()}


ANNA = ("anna", "martin", "anna@x.fr", "+33611111111", "75001", date(1980, 1, 2), "paris")


def test_same_email_and_name_link_unless_a_namesake_there_has_another_phone():
    conn = warehouse(
        {
            "crm:1": ANNA,
            "ecommerce:1": ("anna", "martin", "anna@x.fr", None, "75001", None, "paris"),
            "crm:2": ("paul", "durand", "paul@x.fr", "+33633333333", None, None, None),
            "ecommerce:2": ("paul", "durand", "paul@x.fr", None, None, None, None),
            # same address and name as crm:2, another phone: a shared address, Splink decides
            "ecommerce:3": ("paul", "durand", "paul@x.fr", "+33644444444", None, None, None),
        }
    )
    edges = deterministic_edges(conn)
    assert pairs(edges, "email") == {frozenset({"crm:1", "ecommerce:1"})}
    assert pairs(edges, "phone") == set()


def test_a_shared_phone_chains_its_records_and_a_card_joins_its_contact():
    conn = warehouse(
        {
            "crm:1": ANNA,
            "ecommerce:1": ("ann", "martin", None, "+33611111111", None, None, None),
            "ecommerce_guest:1": ("a", "martin", None, "+33611111111", None, None, None),
        },
        cards={"L1": "crm:1", "L2": None},
    )
    edges = deterministic_edges(conn)
    assert pairs(edges, "phone") == {
        frozenset({"crm:1", "ecommerce:1"}),
        frozenset({"ecommerce:1", "ecommerce_guest:1"}),
    }
    # the card's contact id is the CRM source id, linked as a crm record; a card with no contact stays alone
    assert pairs(edges, "loyalty_card") == {frozenset({"loyalty:L1", "crm:crm:1"})}
    assert edges["match_probability"].is_null().all()


def test_a_nameless_subscriber_joins_one_named_record_only_and_never_bridges_two():
    conn = warehouse(
        {
            "crm:1": ("anna", "martin", "family@x.fr", None, None, None, None),
            "crm:2": ("paul", "martin", "family@x.fr", None, None, None, None),
            "emailing:1": (None, None, "family@x.fr", None, None, None, None),
            "emailing:2": (None, None, "solo@x.fr", None, None, None, None),
            "emailing:3": (None, None, "solo@x.fr", None, None, None, None),
        }
    )
    edges = deterministic_edges(conn)
    assert pairs(edges, "email") == {
        frozenset({"emailing:1", "crm:1"}),  # the smallest named record id only
        frozenset({"emailing:2", "emailing:3"}),  # subscribers of an address no named record has
    }
    clusters = connected_clusters(
        pl.Series(["crm:1", "crm:2", "emailing:1", "emailing:2", "emailing:3"]), edges
    )
    assert groups(clusters) == {
        frozenset({"crm:1", "emailing:1"}),
        frozenset({"crm:2"}),
        frozenset({"emailing:2", "emailing:3"}),
    }


def test_connected_components_are_transitive_and_ignore_edges_to_unknown_records():
    edges = pl.DataFrame({"record_id_l": ["a", "b", "x"], "record_id_r": ["b", "c", "d"]})
    clusters = connected_clusters(pl.Series(["d", "c", "b", "a", "e"]), edges)
    assert groups(clusters) == {frozenset("abc"), frozenset("d"), frozenset("e")}
    assert clusters["record_id"].to_list() == ["a", "b", "c", "d", "e"]  # one row per record, sorted
    assert clusters["cluster_id"].n_unique() == 3


def test_the_strongest_rule_names_each_record_and_the_best_probability_wins_among_equals():
    edges = pl.DataFrame(
        {
            "record_id_l": ["a", "a", "b", "c"],
            "record_id_r": ["b", "c", "c", "d"],
            "rule": ["probabilistic", "email", "probabilistic", "probabilistic"],
            "match_probability": [0.99991, None, 0.99999, 0.99995],
        }
    )
    rules = {r: (rule, p) for r, rule, p in link_rules(edges).iter_rows()}
    assert rules == {
        "a": ("email", None),
        "b": ("probabilistic", 0.99999),
        "c": ("email", None),
        "d": ("probabilistic", 0.99995),
    }


def test_the_crosswalk_names_the_source_and_flags_records_with_too_little_identity():
    assignments = pl.DataFrame(
        {
            "record_id": ["crm:1", "ecommerce:1", "ecommerce_guest:o:7", "emailing:9"],
            "cluster_id": [0, 0, 1, 2],
            "customer_id": ["CUS-a", "CUS-a", "CUS-b", "CUS-c"],
        }
    )
    edges = pl.DataFrame(
        {
            "record_id_l": ["crm:1"],
            "record_id_r": ["ecommerce:1"],
            "rule": ["phone"],
            "match_probability": [None],
        },
        schema_overrides={"match_probability": pl.Float64},
    )
    flags = pl.DataFrame({"record_id": ["emailing:9"], "has_too_little_identity": [True]})
    now = datetime(2026, 11, 1, 6)
    xref = crosswalk(assignments, edges, flags, "run-1", now)
    rows = {r["record_id"]: r for r in xref.iter_rows(named=True)}
    assert rows["ecommerce_guest:o:7"]["source_system"] == "ecommerce_guest"
    assert rows["ecommerce_guest:o:7"]["source_id"] == "o:7"  # only the first colon separates
    assert [rows[r]["match_rule"] for r in sorted(rows)] == [
        "phone",
        "phone",
        "first_record",
        "too_little_identity",
    ]
    assert [rows[r]["is_too_little_identity"] for r in sorted(rows)] == [False, False, False, True]
    assert set(xref["linked_run_id"]) == {"run-1"} and set(xref["linked_at"]) == {now}


# --- Splink, on a tiny population: 40 people; a guest order shares the phone of every fourth
# (a rule link), a web account with a mistyped e-mail and no phone comes with two of every four


def population() -> dict[str, tuple]:
    firsts = ["anna", "paul", "marie", "jean", "lucie", "marc", "julie", "louis", "emma", "hugo"]
    lasts = ["martin", "bernard", "dubois", "thomas", "robert", "richard", "petit", "durand"]
    records = {}
    for i in range(40):
        first, last = firsts[i % 10], lasts[(i * 3 + i // 10) % 8]
        postcode, born, phone = f"{75001 + i:05d}", date(1950 + i, 1 + i % 12, 1 + i % 28), f"+336{i:08d}"
        records[f"crm:{i:02d}"] = (first, last, f"{first}.{last}{i}@x.fr", phone, postcode, born, "paris")
        if i % 4 == 0:
            records[f"ecommerce_guest:{i:02d}"] = (first, last, None, phone, postcode, None, "paris")
        if i % 4 in (1, 2):
            records[f"ecommerce:{i:02d}"] = (
                first,
                last,
                f"{first}.{last[:-1]}{i}@x.fr",  # a letter of the mailbox lost
                None,
                postcode,
                born,
                "paris",
            )
    return records


@pytest.fixture(scope="module")
def resolved():
    conn = warehouse(population())
    return resolve(conn, MatchingConfig(u_max_pairs=1e4)), conn


def test_splink_links_the_typo_pairs_the_rules_could_not_and_nothing_else(resolved):
    result, _ = resolved
    linked = result.edges.filter(pl.col("rule") == "probabilistic")
    config = MatchingConfig()
    assert linked["match_probability"].min() >= config.corroborated_link_threshold
    assert pairs(linked) == {
        frozenset({f"crm:{i:02d}", f"ecommerce:{i:02d}"}) for i in range(40) if i % 4 in (1, 2)
    }
    second = {0: "ecommerce_guest", 1: "ecommerce", 2: "ecommerce"}
    assert groups(result.clusters) == {
        frozenset({f"crm:{i:02d}", f"{second[i % 4]}:{i:02d}"} if i % 4 in second else {f"crm:{i:02d}"})
        for i in range(40)
    }


def test_splink_scores_only_pairs_sharing_a_blocking_key_across_rule_clusters(resolved):
    result, conn = resolved
    records = conn.sql("select * from intermediate.int_customer_records_standardised").pl()
    rows = {r["record_id"]: r for r in records.iter_rows(named=True)}

    def key(row, part):
        if part.startswith("split_part("):  # the mailbox of an e-mail
            return row["email_std"].split("@")[0] if row["email_std"] else None
        if part.startswith("left(split_part("):  # the first letter of its domain
            return row["email_std"].split("@")[1][:1] if row["email_std"] else None
        if part.startswith("substr("):
            column, length = part[len("substr(") : -1].split(", 1, ")
            return (row[column] or "")[: int(length)] or None
        return row[part]

    def shares(left, right, name, block):
        if name == "names_swapped":
            return (
                left["first_name_std"] == right["last_name_std"]
                and left["last_name_std"] == right["first_name_std"]
            )
        return all(key(left, p) is not None and key(left, p) == key(right, p) for p in block)

    scored = result.edges.filter(pl.col("rule") == "probabilistic")
    for left, right in scored.select("record_id_l", "record_id_r").iter_rows():
        assert any(shares(rows[left], rows[right], n, b) for n, b in PREDICTION_BLOCKS.items()), (left, right)
    assert 0 < result.splink_pairs < len(rows) * (len(rows) - 1) // 2


def test_the_trained_weights_hold_every_comparison_level_and_reward_agreement(resolved):
    result, conn = resolved
    weights = result.match_weights
    comparisons = set(weights["comparison"]) - {None, "", "probability_two_random_records_match"}
    assert comparisons == {"name", "email", "phone", "birth_date", "address"}
    address = weights.filter(pl.col("comparison") == "address")
    same_postcode = address.filter(pl.col("comparison_level") == "postcode equal, a street missing")
    other = address.filter(pl.col("comparison_vector_value") == 0)
    assert same_postcode["match_weight"].item() > 0 > other["match_weight"].item()
    # Splink's working tables are gone from the warehouse
    assert conn.execute(
        "select count(*) from duckdb_tables() where table_name like '%splink%'"
    ).fetchall() == [(0,)]


def test_the_configured_threshold_replaces_only_the_link_threshold():
    assert MatchingConfig.with_threshold(None) == MatchingConfig()
    assert MatchingConfig.with_threshold(0.99999) == MatchingConfig(link_threshold=0.99999)
    # the threshold of corroborated pairs never exceeds the configured one
    assert MatchingConfig.with_threshold(0.9) == MatchingConfig(
        link_threshold=0.9, corroborated_link_threshold=0.9
    )


# --- The name comparison's levels, on pairs of folded names -----------------------------------------


def name_level(left: tuple[str | None, str | None], right: tuple[str | None, str | None]) -> str:
    """The label of the first level of matching._name_comparison that a pair of (first, last) meets."""
    from splink.internals.dialects import SplinkDialect

    from platform_assets.referential.identity.matching import _name_comparison

    dialect = SplinkDialect.from_string("duckdb")
    levels = _name_comparison().create_comparison_levels()
    cases = " ".join(
        f"when {lvl.create_sql(dialect)} then '{getattr(lvl, 'label_for_charts', None) or lvl.create_label_for_charts()}'"
        for lvl in levels[:-1]
    )
    row = {}
    for side, (first, last) in (("l", left), ("r", right)):
        row[f"first_name_std_{side}"] = first
        row[f"last_name_std_{side}"] = last
        row[f"full_name_{side}"] = f"{first} {last}" if first and last else None
        row[f"first_name_words_{side}"] = first.split(" ") if first else None
        row[f"last_name_words_{side}"] = last.split(" ") if last else None
    columns = ", ".join(f"${k} as {k}" for k in row)
    return duckdb.sql(f"select case {cases} else 'else' end from (select {columns})", params=row).fetchall()[
        0
    ][0]


@pytest.mark.parametrize(
    ("left", "right", "level"),
    [
        (("anne", "martin"), ("anne", "martin"), "first and last name equal"),
        (("martin", "anne"), ("anne", "martin"), "first and last name swapped"),
        (("anne", "martni"), ("anne", "martin"), "both close (typo, compound)"),
        (
            ("anne marie", "garcia lopez"),
            ("anne", "garcia"),
            "both close (typo, compound)",
        ),  # compounds in part
        (("garcia", "anne marie"), ("anne", "garcia"), "both close, swapped"),
        (("j", "dupont"), ("jean", "dupont"), "last name close, first name an initial"),
        ((None, "dupont"), ("jean", "dupont"), "last name close, a first name missing"),
        (("jean", None), ("jean", "dupont"), "first name close, a last name missing"),
        (("paul", "dupont"), ("marie", "dupont"), "last name close, first names differ"),  # a household
        # a compound keyed in part keeps its first word: "manon camille" is not "camille"
        (("manon camille", "benard"), ("camille", "benard"), "last name close, first names differ"),
        (("margaux", "sidon"), ("margaux", "simon"), "both close (typo, compound)"),  # one edit, JW < 0.9
        (("eva", "kot"), ("ewa", "kit"), "else"),  # names of three letters: an edit is another name
        (("paul", "durand"), ("marie", "dupont"), "else"),
        ((None, None), ("marie", "dupont"), "a side has no name"),
    ],
)
def test_the_name_comparison_tells_swapped_initials_missing_parts_and_compounds_apart(left, right, level):
    assert name_level(left, right) == level


def email_level(left: str, right: str, domain_records: tuple[int, int]) -> str:
    """The label of the first level of matching._email_comparison a pair of e-mails meets, their
    domains carried by ``domain_records`` profiles each."""
    from splink.internals.dialects import SplinkDialect

    from platform_assets.referential.identity.matching import _email_comparison

    dialect = SplinkDialect.from_string("duckdb")
    levels = _email_comparison().create_comparison_levels()
    cases = " ".join(
        f"when {lvl.create_sql(dialect)} then '{getattr(lvl, 'label_for_charts', None) or lvl.create_label_for_charts()}'"
        for lvl in levels[:-1]
    )
    row = {
        "email_std_l": left,
        "email_std_r": right,
        "email_domain_records_l": domain_records[0],
        "email_domain_records_r": domain_records[1],
    }
    columns = ", ".join(f"${k} as {k}" for k in row)
    return duckdb.sql(f"select case {cases} else 'else' end from (select {columns})", params=row).fetchall()[
        0
    ][0]


@pytest.mark.parametrize(
    ("left", "right", "domain_records", "level"),
    [
        ("anna.nowak@o2.pl", "anna.nowak@o2.pl", (900, 900), "Exact match on email_std"),
        ("anna.nowak@gmial.com", "anna.nowak@gmail.com", (3, 5000), "same mailbox, domain mistyped"),
        ("anna.nowak@o2.pl", "anna.nowak@op.pl", (900, 700), "else"),  # two providers: namesakes
        ("anna.nowk@o2.pl", "anna.nowak@o2.pl", (900, 900), "mailbox one or two letters off"),
        ("marie.martin84@x.fr", "marie.martin45@x.fr", (900, 900), "else"),  # the digits differ
        ("rachel_roberts@x.fr", "rachel.roberts@x.fr", (900, 900), "else"),  # the separator differs
    ],
)
def test_the_email_comparison_tells_typos_from_namesakes_mailboxes(left, right, domain_records, level):
    assert email_level(left, right, domain_records) == level


@pytest.mark.parametrize(
    ("gammas", "email", "identities_at_address", "corroborated"),
    [
        # e-mail exact, names close, nothing else known: corroborated
        ({"name": 6, "email": 3, "phone": -1, "birth_date": -1, "address": -1}, "a@x.fr", None, True),
        # the same, but the first names differ (a household on one e-mail): contradicted
        ({"name": 1, "email": 3, "phone": -1, "birth_date": -1, "address": -1}, "a@x.fr", None, False),
        # an e-mail whose holders' phones differ (namesakes on first.last@company) corroborates nothing
        ({"name": 8, "email": 3, "phone": -1, "birth_date": -1, "address": -1}, "shared@x.fr", None, False),
        # names close at a street and postcode only these two identities carry: corroborated
        ({"name": 6, "email": -1, "phone": -1, "birth_date": -1, "address": 5}, None, 2, True),
        # the same at an address a third identity shares (a household): only link_threshold links
        ({"name": 6, "email": -1, "phone": -1, "birth_date": -1, "address": 5}, None, 3, False),
        # a first name missing at that address: the name does not corroborate
        ({"name": 3, "email": -1, "phone": -1, "birth_date": -1, "address": 5}, None, 2, False),
        # a birth date agreeing, another phone: contradicted
        ({"name": 6, "email": -1, "phone": 0, "birth_date": 3, "address": -1}, None, None, False),
    ],
)
def test_a_corroborated_pair_has_personal_evidence_or_a_name_at_an_address_of_its_own(
    gammas, email, identities_at_address, corroborated
):
    from platform_assets.referential.identity.matching import _corroborated_sql

    conn = duckdb.connect()
    conn.execute("create table splink_shared_emails as select 'shared@x.fr' as email_std")
    columns = ", ".join(f"{v} as gamma_{k}" for k, v in gammas.items())
    sql = _corroborated_sql(dict.fromkeys(gammas))
    conn.execute(f"create table p as select {columns}, $email::varchar as email_std_l", {"email": email})
    conn.execute("create table a as select $n::bigint as identities", {"n": identities_at_address})
    assert conn.execute(f"select {sql} from p, a").fetchall() == [(corroborated,)]
