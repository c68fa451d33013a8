"""Helpers for the quality tests: tiny landing files written in the test's own folder."""

from datetime import datetime
from pathlib import Path

import duckdb
import pytest

LOADED_AT = datetime(2026, 11, 1, 6, 0)
# headers of the small landing files the tests write
STORES = (
    "store_code,store_name,store_type,country_code,city,postcode,timezone,currency,opened_on,surface_m2\n"
)
PRODUCTS = "sku,product_name,category_id,brand,price_tier,launched_on\n"
RECEIPTS = "ticket_id;store_code;register_no;ticket_ts;loyalty_card_no;total_amount;currency\n"
LINES = "ticket_id;line_no;sku;qty;unit_price;discount_amount;line_amount;is_return\n"


def write(path: Path, text: str | bytes, encoding: str = "utf-8") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text if isinstance(text, bytes) else text.encode(encoding))
    return path


@pytest.fixture
def conn():
    with duckdb.connect() as c:
        yield c
