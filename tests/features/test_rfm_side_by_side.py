"""The benchmark's two RFM summaries (pandas reference, ours) compute the same numbers, so the speed
ratio `make bench` reports compares like with like."""

import duckdb
import pandas as pd

from benchmarks.ours import rfm_ours_seconds
from benchmarks.side_by_side import rfm_pandas
from tests.conftest import E2E_REFERENCE_DATE


def test_ours_and_the_pandas_reference_give_the_same_summary(refreshed):
    _, db = refreshed
    with duckdb.connect(str(db), read_only=True) as conn:
        _, reference = rfm_pandas(conn, E2E_REFERENCE_DATE)
        rfm_ours_seconds(conn, E2E_REFERENCE_DATE)
        ours = conn.sql(
            "select country_code, customer_id, recency_days as recency, frequency, monetary from bench_rfm"
        ).df()
    reference = reference.reset_index()[["country_code", "customer_id", "recency", "frequency", "monetary"]]
    key = ["country_code", "customer_id"]
    merged = reference.merge(ours, on=key, how="outer", suffixes=("_pandas", "_ours"), indicator=True)
    assert len(reference) > 100
    assert (merged["_merge"] == "both").all()
    assert (merged["recency_pandas"] == merged["recency_ours"]).all()
    assert (merged["frequency_pandas"] == merged["frequency_ours"]).all()
    pd.testing.assert_series_equal(
        merged["monetary_pandas"], merged["monetary_ours"], check_names=False, rtol=1e-9
    )
