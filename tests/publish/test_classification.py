"""The analyst file's privacy rules: what is dropped, coarsened, kept, and what stops a publication."""

import pytest

from platform_assets.publish.classification import (
    Treatment,
    UnclassifiedColumnsError,
    analyst_columns,
    check_all,
)


def test_direct_identifiers_are_dropped_and_quasi_identifiers_coarsened():
    columns = ["customer_id", "first_name", "email", "phone_e164", "street", "postcode", "city", "birth_date"]
    published = {c.name: c for c in analyst_columns("referential.dim_customer", columns)}
    assert set(published) == {"customer_id", "postcode_area", "birth_year"}
    assert published["birth_year"].treatment is Treatment.BIRTH_YEAR
    assert published["birth_year"].expression == 'year("birth_date")'
    assert published["postcode_area"].description


def test_a_rule_can_be_specific_to_one_table():
    published = [c.name for c in analyst_columns("referential.dim_store", ["store_id", "city", "postcode"])]
    assert published == ["store_id", "city", "postcode"]


def test_an_unclassified_personal_looking_column_stops_publication_naming_it():
    with pytest.raises(
        UnclassifiedColumnsError, match=r"features\.customer_profile: contact_name, home_address"
    ):
        check_all(
            {
                "features.customer_profile": [
                    "customer_id",
                    "contact_name",
                    "home_address",
                    "email_open_rate",
                ],
                "scores.churn": ["customer_id", "churn_score"],
            }
        )


def test_ordinary_columns_pass_untouched():
    columns = ["customer_id", "email_open_rate", "has_email_consent", "n_phone_calls", "product_name"]
    assert [c.name for c in analyst_columns("features.customer_profile", columns)] == columns
