"""Standardisation the SQL model cannot do: phones in E.164 with the ``phonenumbers`` library, bad
values nulled with a warning row, and the records with no usable identifier flagged.

``intermediate.int_customer_records`` (dbt) folds e-mails, names and addresses; this module adds
``phone_e164``, nulls what is not usable (a bad phone, an e-mail that is not one, a name without a
letter, a birth date outside [1900-01-01, the record's creation]) and writes one warning row per
nulled value. A bad value never sends its record to quarantine: only a record with no usable
identifier at all is left out of matching (``has_too_little_identity``, listed with the reason).

Phones: a business unit's ``default_phone_region`` reads the numbers written without a country code.
A number is kept when ``phonenumbers`` parses it and finds it possible (the right length for its
country), not only when it lies in a range allocated today: a customer's number is evidence of who
they are even where the library's metadata lags (many demo numbers sit in ranges it does not list).
Each distinct (digits, region) is read once. The national and own-country international writings of
a region's numbers are read in bulk with the region's numbering plan from the ``phonenumbers``
metadata (calling code, national prefix, the pattern and lengths of its numbers: what
``phonenumbers.parse`` and ``is_possible_number`` check); every other writing goes through
``phonenumbers.parse`` one by one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

import polars as pl

EARLIEST_BIRTH = date(1900, 1, 1)

# what a warning row holds
WARNING_SCHEMA = {
    "record_id": pl.String,
    "source_system": pl.String,
    "source_id": pl.String,
    "field": pl.String,
    "value": pl.String,
    "reason": pl.String,
}


@dataclass(frozen=True)
class NumberingPlan:
    """What a region's numbers look like, from the phonenumbers metadata."""

    region: str
    calling_code: str
    national_prefix: str | None
    general_pattern: str  # anchored regex of the region's national significant numbers
    lengths: tuple[int, ...]  # their possible lengths (without the local-only ones)

    @classmethod
    def of(cls, region: str) -> NumberingPlan | None:
        """The plan of a region, or None when the bulk path cannot read it faithfully (unknown region,
        or a national prefix that is a pattern with a transform, as in AR or MX)."""
        import phonenumbers

        meta = phonenumbers.PhoneMetadata.metadata_for_region(region)
        if meta is None or meta.general_desc is None or not meta.general_desc.national_number_pattern:
            return None
        prefix = meta.national_prefix
        parsing = meta.national_prefix_for_parsing
        # a prefix for parsing that is not plain alternatives of digits holding the national prefix
        # (GB's "0|180020" is; AR's pattern with a transform rule is not) is left to phonenumbers
        plain = parsing is None or (re.fullmatch(r"[0-9|]+", parsing) and prefix in parsing.split("|"))
        if meta.national_prefix_transform_rule or not plain:
            return None
        general = f"^(?:{meta.general_desc.national_number_pattern})$"
        try:  # a pattern polars' regex engine cannot read leaves the region to phonenumbers
            pl.select(a=pl.lit("0").str.contains(general))
        except pl.exceptions.ComputeError:
            return None
        lengths = tuple(n for n in meta.general_desc.possible_length or () if n > 0)
        return cls(region, str(meta.country_code), prefix or None, general, lengths) if lengths else None


def phone_digits(raw: pl.Expr) -> pl.Expr:
    """The digits of a phone as keyed and a leading + ("00" read as +); "(0)" dropped."""
    cleaned = raw.str.replace_all(r"\(0\)", "").str.replace_all(r"[^0-9+]", "")
    cleaned = pl.when(cleaned.str.starts_with("00")).then("+" + cleaned.str.slice(2)).otherwise(cleaned)
    return pl.when(cleaned.str.len_chars() > 0).then(cleaned)


def _parse_one(digits: str, region: str | None) -> str | None:
    import phonenumbers

    try:
        number = phonenumbers.parse(digits, region)
    except phonenumbers.NumberParseException:
        return None
    if phonenumbers.is_possible_number_with_reason(number) != phonenumbers.ValidationResult.IS_POSSIBLE:
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _bulk(distinct: pl.DataFrame, plans: dict[str, NumberingPlan]) -> pl.DataFrame:
    """E.164 of the (digits, region) pairs a region's plan reads: national writings and the
    region's own +calling code; null where the plan cannot tell (left to phonenumbers)."""
    parts = []
    for region, plan in plans.items():
        general = plan.general_pattern
        rows = distinct.filter(pl.col("region") == region)
        if rows.is_empty():
            continue
        d = pl.col("digits")
        own = "+" + plan.calling_code
        nsn = (
            pl.when(d.str.starts_with(own))
            .then(d.str.slice(len(own)))
            .when(d.str.starts_with("+"))
            .then(None)
            .when(
                pl.lit(plan.national_prefix is not None) & d.str.starts_with(plan.national_prefix or "\x00")
            )
            .then(d.str.slice(len(plan.national_prefix or "")))
            .when(pl.lit(plan.national_prefix is None))
            .then(d)
        )
        parts.append(
            rows.with_columns(nsn=nsn).with_columns(
                phone_e164=pl.when(
                    pl.col("nsn").str.contains(general) & pl.col("nsn").str.len_chars().is_in(plan.lengths)
                ).then(own + pl.col("nsn"))
            )
        )
    if not parts:
        return distinct.with_columns(phone_e164=pl.lit(None, dtype=pl.String))
    read = pl.concat(parts).select("digits", "region", "phone_e164")
    return distinct.join(read, on=["digits", "region"], how="left", nulls_equal=True)


def normalise_phones(phones: pl.DataFrame) -> pl.DataFrame:
    """``phones``: phone (as keyed), region (ISO 3166 alpha-2 or null) -> the same rows with
    ``phone_e164`` (null when not a possible number). Each distinct (digits, region) is read once."""
    keyed = phones.with_columns(digits=phone_digits(pl.col("phone")))
    distinct = keyed.select("digits", "region").unique().filter(pl.col("digits").is_not_null())
    plans = {}
    for region in distinct["region"].drop_nulls().unique().to_list():
        plan = NumberingPlan.of(region)
        if plan is not None:
            plans[region] = plan
    read = _bulk(distinct, plans)
    # what the plans did not read (other countries, odd lengths, invalid numbers): phonenumbers itself
    rest = read.filter(pl.col("phone_e164").is_null())
    if rest.height:
        parsed = [_parse_one(d, r) for d, r in zip(rest["digits"], rest["region"], strict=True)]
        rest = rest.with_columns(phone_e164=pl.Series(parsed, dtype=pl.String))
        read = pl.concat([read.filter(pl.col("phone_e164").is_not_null()), rest])
    return keyed.join(read, on=["digits", "region"], how="left", nulls_equal=True).drop("digits")


def _warnings(frame: pl.DataFrame, field: str, bad: pl.Expr, value: pl.Expr, reason: str) -> pl.DataFrame:
    return frame.filter(bad).select(
        "record_id",
        "source_system",
        "source_id",
        pl.lit(field).alias("field"),
        value.cast(pl.String).alias("value"),
        pl.lit(reason).alias("reason"),
    )


@dataclass(frozen=True)
class Standardised:
    records: pl.DataFrame  # int_customer_records + phone_e164 + has_too_little_identity, bad values nulled
    warnings: pl.DataFrame  # WARNING_SCHEMA: one row per value nulled, one per record left unmatched


def standardise_records(records: pl.DataFrame, phone_regions: dict[str, str]) -> Standardised:
    """``records``: the rows of int_customer_records; ``phone_regions``: business unit code -> the
    region that reads its national phone numbers."""
    regions = pl.DataFrame(
        {"country_code": list(phone_regions), "region": list(phone_regions.values())},
        schema={"country_code": pl.String, "region": pl.String},
    )
    with_region = records.join(regions, on="country_code", how="left")
    phoned = normalise_phones(with_region.select("record_id", "phone", "region"))
    frame = with_region.drop("region").join(
        phoned.select("record_id", "phone_e164", "region"), on="record_id", how="left"
    )
    created = pl.col("record_created_at").cast(pl.Date)
    bad_birth = pl.col("birth_date").is_not_null() & (
        (pl.col("birth_date") < EARLIEST_BIRTH) | (pl.col("birth_date") > created)
    )
    keyed = [  # raw column, standardised column, reason when keyed but unusable
        ("email", "email_std", "not an e-mail address"),
        ("first_name", "first_name_std", "no letter in the name"),
        ("last_name", "last_name_std", "no letter in the name"),
        ("postcode", "postcode_std", "no letter or digit in the postcode"),
    ]
    warnings = [
        _warnings(
            frame,
            raw,
            pl.col(raw).str.strip_chars().str.len_chars().fill_null(0).gt(0) & pl.col(std).is_null(),
            pl.col(raw),
            reason,
        )
        for raw, std, reason in keyed
    ]
    warnings.append(_phone_warnings(frame))
    warnings.append(_warnings(frame, "birth_date", bad_birth, pl.col("birth_date"), "implausible birth date"))
    frame = frame.with_columns(birth_date=pl.when(~bad_birth.fill_null(False)).then(pl.col("birth_date")))
    named = pl.col("first_name_std").is_not_null() | pl.col("last_name_std").is_not_null()
    located = (
        pl.col("birth_date").is_not_null()
        | pl.col("postcode_std").is_not_null()
        | pl.col("street_std").is_not_null()
    )
    usable = (
        pl.col("email_std").is_not_null()
        | pl.col("phone_e164").is_not_null()
        | pl.col("customer_number_std").is_not_null()
        | (named & located)
    )
    frame = frame.with_columns(has_too_little_identity=~usable).drop("region")
    warnings.append(
        _warnings(
            frame,
            "record",
            pl.col("has_too_little_identity"),
            pl.lit(None, dtype=pl.String),
            "no usable identifier (no e-mail, phone or customer number, and no name with a birth date or "
            "address): not matched, its own customer",
        )
    )
    return Standardised(frame, pl.concat(warnings).cast(WARNING_SCHEMA))


def _phone_warnings(frame: pl.DataFrame) -> pl.DataFrame:
    keyed = pl.col("phone").str.contains(r"[0-9]").fill_null(False)
    bad = frame.filter(keyed & pl.col("phone_e164").is_null())
    return bad.select(
        "record_id",
        "source_system",
        "source_id",
        pl.lit("phone").alias("field"),
        pl.col("phone").alias("value"),
        pl.when(pl.col("region").is_null())
        .then(pl.lit("not a possible international phone number (no default region for the record)"))
        .otherwise(pl.lit("not a possible phone number for region ") + pl.col("region"))
        .alias("reason"),
    )
