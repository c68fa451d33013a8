"""Who is the same person: deterministic rules first, then Splink (Fellegi-Sunter) for the rest.

Works on a DuckDB connection holding ``intermediate.int_customer_records_standardised``; returns
plain frames (edges, clusters, trained weights) for the asset to store.
"""

import copy
import logging
import time
from dataclasses import dataclass, field

import duckdb
import numpy as np
import polars as pl

from platform_assets.referential.identity.schema import CARDS, RECORDS

# Every record that gets a customer id: person records, plus loyalty cards (their holder's id).
ALL_RECORD_IDS = f"""
    select record_id from {RECORDS}
    union all
    select 'loyalty:' || loyalty_card_id from {CARDS}
"""


@dataclass(frozen=True)
class MatchingConfig:
    """Thresholds of the matching; the platform's ``match_threshold`` (CDP_MATCH_THRESHOLD) sets the link one."""

    # Splink match probability from which two records are linked: a false merge costs more than a
    # missed link. With the corroborated pairs below, the 20k demo is matched with pairwise precision
    # 0.99895, recall 0.99374 (0.99278 at 0.9999 alone).
    link_threshold: float = 0.9999
    # A corroborated pair (see _corroborated_sql: a personal identifier agrees, or the names agree at
    # an address no other identity carries) that nothing contradicts (no comparison at its "else"
    # level, first names that do not differ, no two streets in one postcode) links from this
    # probability: its doubt is thin evidence, not disagreeing evidence. A name and an address a
    # household shares still need link_threshold. Hard profile at 20k: recall 0.9572 -> 0.9719 at
    # precision 0.9986; see benchmarks/README.md.
    corroborated_link_threshold: float = 0.95
    predict_threshold: float = 0.5  # pairs kept for inspection below the link threshold
    # u is estimated on sampled pairs of profiles (one per distinct identity in a rule cluster); the
    # combined name and address comparisons need fewer pairs than the former seven separate ones:
    # 4e6 gave the same clusters as 1e7 on the 20k demo (P 0.99895, R 0.99278) and the hard profile
    # (R 0.9503 vs 0.9505), in half the training time (u sampling is a fixed cost, most of it at 20k)
    u_max_pairs: float = 4e6
    seed: int = 42
    # Splink's backend (CDP_ENGINE): duckdb (the working file's connection) or spark (lib/engine.py:
    # the records are handed to a Spark session, the predictions come back to DuckDB)
    engine: str = "duckdb"
    spark_dir: str | None = None  # the spark engine's folder (its scratch tables)
    spark_master: str = "local[2]"

    @property
    def u_chunks(self) -> int:
        """Chunks of u sampling's pairs (Splink stops after a chunk once every level is seen 100 times).
        On Spark each chunk is a job of its own, a second or more to plan and schedule whatever its
        size (at 20k customers 55 jobs, a minute): one pass over all the pairs instead. Where no
        comparison stops early, as at 20k, the counts are those of the ten chunks."""
        return 1 if self.engine == "spark" else 10

    @classmethod
    def with_threshold(cls, link_threshold: float | None, **backend) -> "MatchingConfig":
        """The defaults, with the configured link threshold when there is one (the threshold of
        corroborated pairs is never above it); ``backend``: engine, spark_dir, spark_master."""
        if link_threshold is None:
            return cls(**backend)
        return cls(
            link_threshold=link_threshold,
            corroborated_link_threshold=min(link_threshold, cls.corroborated_link_threshold),
            **backend,
        )


WEIGHT_SCHEMA = {
    "comparison": pl.String,
    "comparison_level": pl.String,
    "comparison_vector_value": pl.Int64,
    "m_probability": pl.Float64,
    "u_probability": pl.Float64,
    "match_weight": pl.Float64,
}


@dataclass(frozen=True)
class MatchResult:
    edges: pl.DataFrame  # record_id_l, record_id_r, rule, match_probability
    clusters: pl.DataFrame  # record_id, cluster_id
    match_weights: pl.DataFrame  # comparison, level, m, u, match_weight
    splink_pairs: int  # pairs scored by Splink above predict_threshold
    seconds: dict[str, float]  # wall time of each phase, for the asset's metadata and the benchmark
    plan: dict = field(default_factory=dict)  # MatchingPlan.as_dict(): identifiers used, steps skipped


def _chain(conn: duckdb.DuckDBPyConnection, rule: str, source_sql: str, partition: str) -> pl.DataFrame:
    """Link the records sharing ``partition`` each to the next (ordered): enough for connectivity."""
    return conn.sql(
        f"""
        select record_id as record_id_l, next_record_id as record_id_r,
               '{rule}' as rule, null::double as match_probability
        from (
            select record_id, lead(record_id) over (partition by {partition} order by record_id) as next_record_id
            from ({source_sql})
        )
        where next_record_id is not null
        """
    ).pl()


def deterministic_edges(conn: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    """Links no model needs to weigh: a loyalty card and its contact, a shared phone, and a shared
    e-mail when nothing contradicts it.

    E-mail addresses are shared (households, a typo that lands on someone else's address), so named
    records sharing one link only when first and last names agree and their phones do not differ
    (Splink weighs the rest),
    and a nameless record (an e-mail subscriber) joins one named record only: it never bridges two.
    """
    named = f"select * from {RECORDS} where email_std is not null and last_name_std is not null"
    # first and last name in either order: a name keyed in each other's field is still the same name
    keyed = f"select *, list_sort([first_name_std, last_name_std]) as name_key from ({named})"
    # namesakes sharing an address (a work address first.last@company) but with different phones or
    # birth dates are two people until Splink says otherwise
    unambiguous = f"""
        select * from ({keyed})
        window w as (partition by email_std, name_key)
        qualify count(distinct phone_e164) over w <= 1 and count(distinct birth_date) over w <= 1
    """
    nameless = f"select * from {RECORDS} where email_std is not null and last_name_std is null"
    # The same full name at the same street and postcode, or born the same day in the same country:
    # one person, unless their phones or birth dates say otherwise (a father and son of one name).
    # Splink sees these pairs too, but scores name and address as independent evidence, which
    # undervalues them together.
    full_name = f"""
        select *, list_sort([first_name_std, last_name_std]) as name_key
        from {RECORDS} where first_name_std is not null and last_name_std is not null
    """
    same_address = f"""
        select * from ({full_name}) where street_std is not null and postcode_std is not null
        window w as (partition by name_key, street_std, postcode_std)
        qualify count(distinct phone_e164) over w <= 1 and count(distinct birth_date) over w <= 1
    """
    # a birth date many records share is a default or a clipped value (1900-01-01, the day someone
    # turned 18), not evidence: only dates at most five times as frequent as the average date
    dated = f"select * from ({full_name}) where birth_date is not null and country_code is not null"
    same_birth = f"""
        select * from ({dated})
        where birth_date not in (
            select birth_date from ({dated}) group by birth_date
            having count(*) > 5 * (select count(*) / count(distinct birth_date) from ({dated}))
        )
        window w as (partition by name_key, birth_date, country_code)
        qualify count(distinct phone_e164) over w <= 1
    """
    frames = [
        _chain(conn, "name_address", same_address, "first_name_std, last_name_std, street_std, postcode_std"),
        _chain(
            conn, "name_birth_date", same_birth, "first_name_std, last_name_std, birth_date, country_code"
        ),
        _chain(conn, "email", unambiguous, "email_std, name_key"),
        _chain(conn, "phone", f"select * from {RECORDS} where phone_e164 is not null", "phone_e164"),
        # subscribers whose address no named record carries: one customer per address
        _chain(
            conn, "email", f"{nameless} and email_std not in (select email_std from ({named}))", "email_std"
        ),
        conn.sql(
            f"""
            select nameless.record_id as record_id_l, min(named.record_id) as record_id_r,
                   'email' as rule, null::double as match_probability
            from ({nameless}) as nameless
            join ({named}) as named using (email_std)
            group by nameless.record_id
            """
        ).pl(),
        conn.sql(
            f"""
            select 'loyalty:' || loyalty_card_id as record_id_l, 'crm:' || crm_contact_id as record_id_r,
                   'loyalty_card' as rule, null::double as match_probability
            from {CARDS}
            where crm_contact_id is not null
            """
        ).pl(),
    ]
    return pl.concat(frames)


# The identifier columns Splink can use; a column with no value in the records (a retailer without
# phones, a source set without birth dates) drops the comparisons, blocks and training sessions
# that need it, and the asset's metadata says which.
IDENTIFIER_COLUMNS = (
    "email_std",
    "phone_e164",
    "customer_number_std",
    "first_name_std",
    "last_name_std",
    "birth_date",
    "street_std",
    "postcode_std",
    "city_std",
)

# Candidate pairs Splink scores: records equal on one of these (and not joined by the rules yet).
# Measured at 1M customers (3.2M records): last name + postcode alone made 77M pairs and first + last
# name + city 36M (Smiths of London); with the first initial and the postcode they make 12M and 8M.
# The others catch what typos, swapped and missing names leave: a name with a typo still shares the
# birth date and the postcode, a swapped name matches itself crossed, a household shares the street.
PREDICTION_BLOCKS: dict[str, tuple[str, ...]] = {
    "email": ("email_std",),
    # the same mailbox, a domain mistyped (after its first letter: on the mailbox alone, namesakes'
    # marie.martin@ of every provider made 58k pairs at 100k customers, with it 4k)
    "email_mailbox": ("split_part(email_std, '@', 1)", "left(split_part(email_std, '@', 2), 1)"),
    "phone": ("phone_e164",),
    "customer_number": ("customer_number_std",),
    "last_name+postcode+initial": ("last_name_std", "postcode_std", "substr(first_name_std, 1, 1)"),
    "birth_date+first_name_prefix": ("birth_date", "substr(first_name_std, 1, 3)"),
    "birth_date+last_name_prefix": ("birth_date", "substr(last_name_std, 1, 3)"),
    "birth_date+postcode": ("birth_date", "postcode_std"),
    "street+postcode": ("street_std", "postcode_std"),
    "names_swapped": ("first_name_std", "last_name_std"),  # crossed: see _prediction_rule
}
# EM sessions, in order: each trains the comparisons that do not use its columns.
TRAINING_BLOCKS: dict[str, tuple[str, ...]] = {
    "phone": ("phone_e164",),
    "email": ("email_std",),
    "last_name+birth_date": ("last_name_std", "birth_date"),
    "street+postcode": ("street_std", "postcode_std"),
}
# deterministic rules from which the prior (two random records match) is estimated
PRIOR_RULES: dict[str, tuple[str, ...]] = {
    "first_name+last_name+birth_date": ("first_name_std", "last_name_std", "birth_date"),
    "email": ("email_std",),
    "phone": ("phone_e164",),
}
MIN_TRAINING_PAIRS = 10  # fewer pairs in a training block: the session is skipped
SPLINK_COLUMNS = ", ".join(f"r.{c}" for c in IDENTIFIER_COLUMNS)
# name words, split once for the comparisons (see _sim); the birth date as digits for its typos
DERIVED_COLUMNS = """
    first_name_std || ' ' || last_name_std as full_name,
    string_split(first_name_std, ' ') as first_name_words,
    string_split(last_name_std, ' ') as last_name_words,
    strftime(birth_date, '%Y%m%d') as birth_date_digits,
    count(*) over (partition by split_part(email_std, '@', 2)) as email_domain_records
"""
# of two e-mail domains close to each other, one this many times rarer than the other is its typo
RARE_DOMAIN_RATIO = 50


def _columns_of(block: tuple[str, ...]) -> set[str]:
    return {c for c in IDENTIFIER_COLUMNS for part in block if c in part}


def _sim(a: str, b: str) -> str:
    """Two name parts agree: Jaro-Winkler >= 0.9 or one edit (a typo), or a compound keyed in part, which
    keeps its first word ("garcia lopez" / "garcia", "anne marie" / "anne"; the words are split
    once, in splink_records, as ``<column>_words``). Only the first word: "manon camille" and
    "camille" are two people more often than one (a daughter named after her mother)."""
    words_a, words_b = (x.replace("_std_", "_words_") for x in (a, b))
    # a cheap guard first (DuckDB stops at the first false of an and): a Jaro-Winkler of 0.9 needs
    # the same first letter or the same ending, and one edit in four letters or more keeps the
    # first letter or the last two; one typo in a short name ("simon" / "sidon", "khan" / "hkan")
    # leaves Jaro-Winkler below 0.9; the words only matter when a side has two
    guard = f"(substr({a}, 1, 1) = substr({b}, 1, 1) or right({a}, 2) = right({b}, 2))"
    close = (
        f"jaro_winkler_similarity({a}, {b}) >= 0.9 or (length({a}) >= 4 "
        f"and abs(length({a}) - length({b})) <= 1 and damerau_levenshtein({a}, {b}) <= 1)"
    )
    words = f"(array_length({words_a}) > 1 or array_length({words_b}) > 1) and {words_a}[1] = {words_b}[1]"
    return f"(({guard} and ({close})) or ({words}))"


def _level(sql_condition: str, label: str):
    """A Splink level written in DuckDB's SQL: Splink transpiles it for another backend (Spark)."""
    import splink.comparison_level_library as cll

    return cll.CustomLevel(sql_condition, label, base_dialect_str="duckdb")


def _name_comparison():
    """First and last name together, so that swapped names, initials and missing parts each have
    their level (two separate comparisons would see a swapped name as two disagreements)."""
    import splink.comparison_level_library as cll
    from splink.comparison_library import CustomComparison

    f_l, f_r, l_l, l_r = "first_name_std_l", "first_name_std_r", "last_name_std_l", "last_name_std_r"
    one_first_missing = f"({f_l} is null or {f_r} is null)"
    one_last_missing = f"({l_l} is null or {l_r} is null)"
    initial = f"((length({f_l}) = 1 or length({f_r}) = 1) and substr({f_l}, 1, 1) = substr({f_r}, 1, 1))"
    levels = [
        _level(
            f"({f_l} is null and {l_l} is null) or ({f_r} is null and {l_r} is null)", "a side has no name"
        ).configure(is_null_level=True),
        # a rare name agreeing says more than a common one: term frequencies of the full name
        cll.ExactMatchLevel("full_name").configure(
            tf_adjustment_column="full_name", label_for_charts="first and last name equal"
        ),
        _level(f"{f_l} = {l_r} and {l_l} = {f_r}", "first and last name swapped"),
        _level(f"{_sim(f_l, f_r)} and {_sim(l_l, l_r)}", "both close (typo, compound)").configure(
            tf_adjustment_column="full_name"
        ),
        _level(f"{_sim(f_l, l_r)} and {_sim(l_l, f_r)}", "both close, swapped"),
        _level(f"{initial} and {_sim(l_l, l_r)}", "last name close, first name an initial"),
        _level(f"{one_first_missing} and {_sim(l_l, l_r)}", "last name close, a first name missing"),
        _level(f"{one_last_missing} and {_sim(f_l, f_r)}", "first name close, a last name missing"),
        _level(_sim(l_l, l_r), "last name close, first names differ"),
        cll.ElseLevel(),
    ]
    return CustomComparison(levels, output_column_name="name", comparison_description="first and last name")


def _string_comparison(column: str, label: str, fuzzy_sql: str, fuzzy_label: str):
    import splink.comparison_level_library as cll
    from splink.comparison_library import CustomComparison

    return CustomComparison(
        [
            cll.NullLevel(column),
            cll.ExactMatchLevel(column),
            _level(fuzzy_sql.format(l=f"{column}_l", r=f"{column}_r"), fuzzy_label),
            cll.ElseLevel(),
        ],
        output_column_name=label,
    )


def _email_comparison():
    """A typo in the domain (gmial.com, .con) leaves the mailbox: strong evidence. A mailbox one or
    two characters off is weaker: namesakes pick marie.lefevre@ and marie_lefevre@."""
    import splink.comparison_level_library as cll
    from splink.comparison_library import CustomComparison

    e_l, e_r = "email_std_l", "email_std_r"
    local_l, local_r = (f"split_part({e}, '@', 1)" for e in (e_l, e_r))
    return CustomComparison(
        [
            cll.NullLevel("email_std"),
            cll.ExactMatchLevel("email_std"),
            # a mistyped domain is far rarer than the one meant (gmial.com); two common ones close are
            # two providers (o2.pl, op.pl, wp.pl), which namesakes use with the same mailbox name
            _level(
                f"left({e_l}, 3) = left({e_r}, 3) and {local_l} = {local_r} and levenshtein({e_l}, {e_r}) <= 2 "
                f"and {RARE_DOMAIN_RATIO} * least(email_domain_records_l, email_domain_records_r) "
                f"< greatest(email_domain_records_l, email_domain_records_r)",
                "same mailbox, domain mistyped",
            ),
            # two edits leave the first three or the last eight characters as they were. Namesakes'
            # mailboxes differ in their digits (marie.martin84, marie.martin45) or their separators
            # (rachel.roberts, rachel_roberts, rachelroberts); typos hit letters
            _level(
                f"(left({e_l}, 3) = left({e_r}, 3) or right({e_l}, 8) = right({e_r}, 8)) "
                f"and levenshtein({e_l}, {e_r}) <= 2 and split_part({e_l}, '@', 2) = split_part({e_r}, '@', 2) "
                f"and regexp_replace({local_l}, '[^0-9]', '', 'g') = regexp_replace({local_r}, '[^0-9]', '', 'g') "
                f"and regexp_replace({local_l}, '[._-]', '', 'g') <> regexp_replace({local_r}, '[._-]', '', 'g')",
                "mailbox one or two letters off",
            ),
            cll.ElseLevel(),
        ],
        output_column_name="email",
    )


def _birth_date_comparison():
    import splink.comparison_level_library as cll
    from splink.comparison_library import CustomComparison

    b_l, b_r = "birth_date_l", "birth_date_r"
    return CustomComparison(
        [
            cll.NullLevel("birth_date"),
            # a date many share (a default, a clipped age) is weaker evidence than a rare one
            cll.ExactMatchLevel("birth_date").configure(tf_adjustment_column="birth_date"),
            _level(
                "(left(birth_date_digits_l, 4) = left(birth_date_digits_r, 4) or "
                "right(birth_date_digits_l, 4) = right(birth_date_digits_r, 4)) and "
                "damerau_levenshtein(birth_date_digits_l, birth_date_digits_r) <= 1",
                "one digit off or two swapped",
            ),
            _level(
                f"year({b_l}) = year({b_r}) and month({b_l}) = day({b_r}) and day({b_l}) = month({b_r})",
                "day and month swapped",
            ),
            cll.ElseLevel(),
        ],
        output_column_name="birth_date",
    )


def _address_comparison():
    """Street, postcode and city as one comparison: they agree together, so three comparisons
    would count the same evidence three times (and a household would look like one person)."""
    import splink.comparison_level_library as cll
    from splink.comparison_library import CustomComparison

    s_l, s_r, p_l, p_r, c_l, c_r = (
        f"{c}_{side}" for c in ("street_std", "postcode_std", "city_std") for side in "lr"
    )
    return CustomComparison(
        [
            _level(
                f"({s_l} is null and {p_l} is null and {c_l} is null) or "
                f"({s_r} is null and {p_r} is null and {c_r} is null)",
                "a side has no address",
            ).configure(is_null_level=True),
            _level(f"{s_l} = {s_r} and {p_l} = {p_r}", "street and postcode equal"),
            _level(
                f"left({p_l}, 2) = left({p_r}, 2) and damerau_levenshtein({p_l}, {p_r}) <= 1 "
                f"and jaro_winkler_similarity({s_l}, {s_r}) >= 0.9",
                "street close, postcode equal or one character off",
            ),
            _level(f"{p_l} = {p_r} and ({s_l} is null or {s_r} is null)", "postcode equal, a street missing"),
            _level(f"{p_l} = {p_r}", "postcode equal, streets differ"),
            _level(f"{c_l} = {c_r}", "city equal"),
            cll.ElseLevel(),
        ],
        output_column_name="address",
    )


def _comparisons(populated: set[str]) -> dict[str, object]:
    """Comparison name -> Splink comparison, for the identifiers the records carry."""
    import splink.comparison_library as cl

    candidates = {
        "name": ({"first_name_std", "last_name_std"}, _name_comparison),
        "email": ({"email_std"}, _email_comparison),
        "phone": (
            {"phone_e164"},
            lambda: _string_comparison(
                "phone_e164",
                "phone",
                "(left({l}, 6) = left({r}, 6) or right({l}, 5) = right({r}, 5)) and damerau_levenshtein({l}, {r}) <= 1",
                "one digit off or two swapped",
            ),
        ),
        "customer_number": ({"customer_number_std"}, lambda: cl.ExactMatch("customer_number_std")),
        "birth_date": ({"birth_date"}, _birth_date_comparison),
        "address": ({"street_std", "postcode_std", "city_std"}, _address_comparison),
    }
    return {name: make() for name, (columns, make) in candidates.items() if columns & populated}


# comparisons whose agreement (any level above "else") corroborates a pair: what a person has and
# a household does not share; the comparison vector values that contradict a pair, beyond every
# comparison's "else" (0)
PERSONAL_COMPARISONS = ("email", "phone", "birth_date", "customer_number")
CONTRADICTING_LEVELS = {"name": (0, 1), "address": (0, 2)}  # first names differ; streets differ
# comparison vector values (see _name_comparison, _address_comparison): first and last name agree
# (equal, swapped, close, or an initial), street and postcode equal
NAME_AGREES_FROM = 4
ADDRESS_EQUAL = 5


# Splink names a comparison's level column after its output column: ours, but for ExactMatch (its column)
GAMMA_COLUMNS = {"customer_number": "gamma_customer_number_std"}


def _gamma(comparison: str) -> str:
    return GAMMA_COLUMNS.get(comparison, f"gamma_{comparison}")


def _corroborated_sql(comparisons: dict[str, object]) -> str:
    """SQL over Splink's predictions (gamma_<comparison>: the level, -1 when a side is null) joined
    to ``splink_address_identities`` as ``a``: no comparison contradicts, and a personal identifier
    agrees, or the first and last names agree at an address no other identity carries (not a
    household: two people of one name and one address are rarer than one person keyed twice)."""
    personal = [
        # an e-mail whose holders' phones or birth dates differ is shared (namesakes on
        # first.last@company, which the e-mail rule left apart): it corroborates no pair
        f"({_gamma(c)} > 0 and email_std_l not in (select email_std from splink_shared_emails))"
        if c == "email"
        else f"{_gamma(c)} > 0"
        for c in PERSONAL_COMPARISONS
        if c in comparisons
    ]
    contradicting = [
        f"{_gamma(c)} in ({', '.join(str(v) for v in CONTRADICTING_LEVELS.get(c, (0,)))})"
        for c in comparisons
    ]
    if {"name", "address"} <= comparisons.keys():
        personal.append(
            f"(gamma_name >= {NAME_AGREES_FROM} and gamma_address = {ADDRESS_EQUAL} and a.identities = 2)"
        )
    if not personal:
        return "false"
    return f"coalesce(({' or '.join(personal)}) and not ({' or '.join(contradicting)}), false)"


def _prediction_rule(name: str, columns: tuple[str, ...]):
    from splink import block_on
    from splink.blocking_rule_library import And, CustomRule, Not

    if name == "names_swapped":
        rule = CustomRule("l.first_name_std = r.last_name_std and l.last_name_std = r.first_name_std")
    else:
        rule = block_on(*columns)
    # pairs the deterministic rules already joined could add no link (their records are connected
    # anyway), and they were most of the work
    return And(rule, Not(block_on("rule_cluster_id")))


def _block_pairs(conn: duckdb.DuckDBPyConnection, columns: tuple[str, ...]) -> int:
    """Pairs of splink_records a block on ``columns`` makes (all columns non-null)."""
    keys = ", ".join(columns)
    not_null = " and ".join(f"{c} is not null" for c in columns)
    return conn.sql(
        f"select coalesce(sum(n * (n - 1) / 2), 0)::bigint from "
        f"(select count(*) as n from splink_records where {not_null} group by {keys})"
    ).fetchall()[0][0]


@dataclass
class MatchingPlan:
    """What Splink used on this data, and what it skipped and why (the asset's metadata)."""

    populated: dict[str, int]  # identifier column -> records carrying it
    comparisons: list[str]
    prediction_blocks: list[str]
    training: dict[str, str]  # step -> "trained (...)" or "skipped: why"

    @property
    def absent(self) -> list[str]:
        return [c for c, n in self.populated.items() if n == 0]

    def as_dict(self) -> dict:
        return {
            "populated": self.populated,
            "absent_identifiers": self.absent,
            "comparisons": self.comparisons,
            "prediction_blocks": self.prediction_blocks,
            "training": self.training,
        }


def _settings(comparisons: dict[str, object], blocks: dict[str, tuple[str, ...]]):
    from splink import SettingsCreator

    return SettingsCreator(
        link_type="dedupe_only",
        unique_id_column_name="record_id",
        comparisons=list(comparisons.values()),
        blocking_rules_to_generate_predictions=[_prediction_rule(n, c) for n, c in blocks.items()],
        # the comparison vector values (gamma_*, which Splink keeps with the matching columns) tell
        # a corroborated pair (see _corroborated_sql)
        retain_matching_columns=True,
        retain_intermediate_calculation_columns=False,
    )


class _Stopwatch(dict):
    """Seconds per named phase: ``lap(name)`` closes the phase that ran since the previous lap."""

    def __init__(self):
        super().__init__()
        self._last = time.perf_counter()

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        self[name] = round(self.get(name, 0.0) + now - self._last, 1)
        self._last = now


def _train(linker, conn: duckdb.DuckDBPyConnection, config: "MatchingConfig", populated: set[str]) -> dict:
    """Prior, u and m; every step whose identifiers are absent or too sparse is skipped, not failed."""
    from splink import block_on
    from splink.internals.exceptions import EMTrainingException, SplinkException

    training: dict[str, str] = {}
    rules = {n: c for n, c in PRIOR_RULES.items() if set(c) <= populated}
    if rules:
        linker.training.estimate_probability_two_random_records_match(
            [block_on(*c) for c in rules.values()], recall=0.7
        )
        training["prior"] = "estimated from " + ", ".join(rules)
    else:
        training["prior"] = "skipped: no deterministic rule has its identifiers; Splink's default kept"
    started = time.perf_counter()
    linker.training.estimate_u_using_random_sampling(
        max_pairs=config.u_max_pairs, seed=config.seed, num_chunks=config.u_chunks
    )
    logging.getLogger(__name__).info("u sampling %.1f s", time.perf_counter() - started)
    training["u"] = f"random sampling, {config.u_max_pairs:.0e} pairs"
    for name, columns in TRAINING_BLOCKS.items():
        step = f"em:{name}"
        missing = [c for c in columns if c not in populated]
        if missing:
            training[step] = f"skipped: no value of {', '.join(missing)}"
            continue
        pairs = _block_pairs(conn, columns)
        if pairs < MIN_TRAINING_PAIRS:
            training[step] = f"skipped: {pairs} pairs share {', '.join(columns)} (< {MIN_TRAINING_PAIRS})"
            continue
        # a session that fails (too few matches among its pairs, an m driven to 0) may leave the
        # model half-updated: put back the parameters it started from
        before = copy.deepcopy(linker._settings_obj.core_model_settings)
        try:
            linker.training.estimate_parameters_using_expectation_maximisation(block_on(*columns))
        except (EMTrainingException, SplinkException, ValueError) as error:  # ValueError: an m of 0
            linker._settings_obj.core_model_settings = before
            training[step] = f"skipped: {type(error).__name__}: {str(error).splitlines()[0][:200]}"
            continue
        training[step] = f"trained on {pairs} pairs"
    return training


def probabilistic_edges(
    conn: duckdb.DuckDBPyConnection,
    config: "MatchingConfig",
    rule_clusters: pl.DataFrame,
    watch: _Stopwatch | None = None,
) -> tuple[pl.DataFrame, pl.DataFrame, int, MatchingPlan]:
    """Train Splink (prior from rules, u by sampling, m by EM) and score the candidate pairs that
    the deterministic rules left in different clusters (``rule_clusters``: record_id, cluster_id),
    with the comparisons, blocks and training sessions the populated identifiers allow."""
    from splink import DuckDBAPI, Linker

    watch = watch if watch is not None else _Stopwatch()

    conn.register("splink_rule_clusters", rule_clusters)
    # One row per distinct identity within a rule cluster: a customer's twenty guest orders with the
    # same name, e-mail and address are one profile to Splink. Fewer pairs to score, and the random
    # pairs that estimate u are no longer full of the same person's copies. Records with a name
    # only: nameless ones (e-mail subscribers) are joined by the e-mail rule alone.
    conn.execute(
        f"""
        create or replace temp table splink_records as
        select *, {DERIVED_COLUMNS}
        from (
            select min(r.record_id) as record_id, {SPLINK_COLUMNS}, c.cluster_id as rule_cluster_id
            from {RECORDS} as r
            inner join splink_rule_clusters as c using (record_id)
            where not r.has_too_little_identity
                and (r.last_name_std is not null or r.first_name_std is not null)
            group by all
        )
        """
    )
    conn.unregister("splink_rule_clusters")
    counts = conn.sql(
        "select " + ", ".join(f"count({c})" for c in IDENTIFIER_COLUMNS) + " from splink_records"
    ).fetchall()[0]
    populated = dict(zip(IDENTIFIER_COLUMNS, (int(n) for n in counts), strict=True))
    present = {c for c, n in populated.items() if n > 0}
    comparisons = _comparisons(present)
    blocks = {n: c for n, c in PREDICTION_BLOCKS.items() if _columns_of(c) <= present}
    plan = MatchingPlan(populated, list(comparisons), list(blocks), {})
    empty = pl.DataFrame(
        schema={
            "record_id_l": pl.String,
            "record_id_r": pl.String,
            "rule": pl.String,
            "match_probability": pl.Float64,
            "corroborated": pl.Boolean,
        }
    )
    if len(comparisons) < 2 or not blocks:
        plan.training["splink"] = "skipped: fewer than two identifiers to compare"
        conn.execute("drop table if exists splink_records")
        return empty, _empty_weights(), 0, plan
    if config.engine == "spark":
        records = _spark_records(conn, config)
    else:
        records = DuckDBAPI(connection=conn).register("splink_records", dataset_display_name="records")
    linker = Linker(records, _settings(comparisons, blocks), log_level=logging.WARNING)
    watch.lap("splink_setup")
    plan.training.update(_train(linker, conn, config, present))
    watch.lap("splink_training")
    predictions = linker.inference.predict(threshold_match_probability=config.predict_threshold)
    if config.engine == "spark":  # the pairs come back to DuckDB, where the rest of the run reads them
        conn.register("spark_predictions", predictions.as_spark_dataframe().toArrow())
        conn.execute("create or replace temp table splink_predictions as select * from spark_predictions")
        conn.unregister("spark_predictions")
        predicted = "splink_predictions"
    else:
        predicted = predictions.physical_name
    watch.lap("splink_predict")
    conn.execute(
        """
        create or replace temp table splink_shared_emails as
        select email_std from splink_records where email_std is not null group by email_std
        having count(distinct phone_e164) > 1 or count(distinct birth_date) > 1;
        create or replace temp table splink_address_identities as
        select street_std, postcode_std, count(distinct rule_cluster_id) as identities
        from splink_records where street_std is not null and postcode_std is not null group by all
        """
    )
    address_join = (
        "left join splink_address_identities as a on a.street_std = p.street_std_l and a.postcode_std = p.postcode_std_l"
        if "address" in comparisons
        else ""
    )
    scored = conn.sql(
        f"""
        select record_id_l, record_id_r, 'probabilistic' as rule, match_probability,
               {_corroborated_sql(comparisons)} as corroborated
        from {predicted} as p {address_join}
        """
    ).pl()
    weights = match_weights_table(linker)
    linker.table_management.delete_tables_created_by_splink_from_db()
    drop_splink_scratch(conn)
    conn.execute("drop table if exists splink_records")
    conn.execute("drop table if exists splink_shared_emails")
    conn.execute("drop table if exists splink_address_identities")
    conn.execute("drop table if exists splink_predictions")
    if config.engine == "spark":
        _spark_cleanup(config)
    watch.lap("splink_collect")
    return scored, weights, scored.height, plan


def _spark_records(conn: duckdb.DuckDBPyConnection, config: "MatchingConfig"):
    """``splink_records`` handed to Splink on Spark (a session without a metastore: dbt's process
    holds the catalog), with the similarity functions of Splink's jar; its Splink dataframe."""
    from splink import SparkAPI

    from platform_assets.lib.engine import python_spark_session, splink_handoff_folder

    spark = python_spark_session(config.spark_dir, config.spark_master)
    # Through a Parquet file, not createDataFrame: Spark keeps an Arrow table's rows in the plan (a
    # LocalRelation), and hashes and compares them again in every query Splink plans on it (each
    # cache lookup, each EM iteration): at 20k customers the training had not ended after 24 min
    import uuid

    handed = splink_handoff_folder(config.spark_dir) / f"records-{uuid.uuid4().hex}.parquet"
    handed.parent.mkdir(parents=True, exist_ok=True)
    conn.execute(f"copy (select * from splink_records) to '{handed}' (format parquet)")
    frame = spark.read.parquet(str(handed))
    api = SparkAPI(spark_session=spark, break_lineage_method="persist")
    # Splink reads our DuckDB-written levels through sqlglot, which names DuckDB's Jaro-Winkler
    # JAROWINKLER_SIMILARITY on Spark: the jar's function under that name too
    from pyspark.sql.types import DoubleType

    spark.udf.registerJavaFunction(
        "jarowinkler_similarity", "uk.gov.moj.dash.linkage.JaroWinklerSimilarity", DoubleType()
    )
    # a view of the session, replaced by the next run in the same process (Splink refuses a frame
    # whose name an earlier run registered, and does not drop its inputs)
    frame.createOrReplaceTempView("splink_records")
    return api.register("splink_records", dataset_display_name="records")


def _spark_cleanup(config: "MatchingConfig") -> None:
    """The records' personal data handed to Spark are not left on disk, nor Splink's frames in the
    session's memory (Splink drops its views, not what it persisted)."""
    import shutil

    from pyspark.sql import SparkSession

    from platform_assets.lib.engine import splink_handoff_folder

    session = SparkSession.getActiveSession()
    if session is not None:
        session.catalog.clearCache()
    shutil.rmtree(splink_handoff_folder(config.spark_dir), ignore_errors=True)


def drop_splink_scratch(conn) -> list[str]:
    """Drops every table and view Splink left in the working file (``__splink__*``: its own cleanup
    misses the samples of its u estimation, which hold personal data); the names dropped."""
    left = conn.execute(
        "select table_name, 'table' from duckdb_tables() where starts_with(table_name, '__splink__') "
        "union all select view_name, 'view' from duckdb_views() where starts_with(view_name, '__splink__')"
    ).fetchall()
    for name, kind in left:
        conn.execute(f'drop {kind} if exists "{name}"')
    return [name for name, _ in left]


def _empty_weights() -> pl.DataFrame:
    return pl.DataFrame(schema=WEIGHT_SCHEMA)


def match_weights_table(linker) -> pl.DataFrame:
    """Trained m, u and match weight of every comparison level (the prior on the first row)."""
    records = [r.as_dict() for r in linker.visualisations.match_weights_chart().raw_records]
    return pl.DataFrame(
        [
            {
                "comparison": r["comparison_name"],
                "comparison_level": r["label_for_charts"],
                "comparison_vector_value": int(r["comparison_vector_value"]),
                "m_probability": r["m_probability"],
                "u_probability": r["u_probability"],
                "match_weight": r["log2_bayes_factor"],
            }
            for r in records
        ],
        schema=WEIGHT_SCHEMA,
    )


def connected_clusters(record_ids: pl.Series, edges: pl.DataFrame) -> pl.DataFrame:
    """Connected components of the record graph: one cluster per group of linked records."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    ids = record_ids.sort()
    index = pl.DataFrame({"record_id": ids, "node": np.arange(len(ids))})
    linked = (
        edges.join(index.rename({"record_id": "record_id_l", "node": "l"}), on="record_id_l")
        .join(index.rename({"record_id": "record_id_r", "node": "r"}), on="record_id_r")
        .select("l", "r")
    )
    n = len(ids)
    graph = coo_matrix(
        (np.ones(linked.height, dtype=np.int8), (linked["l"].to_numpy(), linked["r"].to_numpy())), (n, n)
    )
    _, labels = connected_components(graph, directed=False)
    return index.with_columns(pl.Series("cluster_id", labels, dtype=pl.Int64)).select(
        "record_id", "cluster_id"
    )


def resolve(conn: duckdb.DuckDBPyConnection, config: MatchingConfig) -> MatchResult:
    watch = _Stopwatch()
    deterministic = deterministic_edges(conn)
    record_ids = conn.sql(ALL_RECORD_IDS).pl()["record_id"]
    rule_clusters = connected_clusters(record_ids, deterministic)
    watch.lap("deterministic_rules")
    scored, weights, n_scored, plan = probabilistic_edges(conn, config, rule_clusters, watch)
    linked = scored.filter(
        (pl.col("match_probability") >= config.link_threshold)
        | (pl.col("corroborated") & (pl.col("match_probability") >= config.corroborated_link_threshold))
    ).drop("corroborated")
    edges = pl.concat([deterministic, linked])
    clusters = connected_clusters(record_ids, edges)
    watch.lap("connected_components")
    return MatchResult(edges, clusters, weights, n_scored, dict(watch), plan.as_dict())


def match_weights_chart(weights: pl.DataFrame) -> str:
    """Splink's match-weights chart as markdown: one bar per comparison level (log2 Bayes factor)."""
    from platform_assets.lib.charts import figure_markdown, horizontal_bars

    shown = weights.filter(pl.col("comparison_vector_value") != -1)  # null levels weigh 0
    labels = [
        f"{c}: {lvl}" if lvl else "prior (two random records match)"
        for c, lvl in zip(shown["comparison"], shown["comparison_level"], strict=True)
    ]
    fig = horizontal_bars(
        labels, shown["match_weight"].to_list(), "Trained match weights", "match weight (log2 Bayes factor)"
    )
    return figure_markdown(fig, "match weights")
