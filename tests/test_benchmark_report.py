"""The benchmark's report pieces on the end-to-end warehouse: per-asset spans from dbt's own run
results, the inputs floor, and the Markdown lines."""

import time
from types import SimpleNamespace

from benchmarks.bench import MemorySampler, _asset_span, asset_line, dbt_spans, inputs_lines
from benchmarks.side_by_side import INPUT_SCANS, inputs_floor
from tests.conftest import E2E_REFERENCE_DATE


def _dbt_materialisations(result) -> list[dict]:
    return [
        {k: getattr(v, "value", v) for k, v in event.materialization.metadata.items()}
        for event in result.get_asset_materialization_events()
        if "unique_id" in event.materialization.metadata
    ]


def test_every_dbt_model_of_the_run_has_its_own_span(refreshed):
    result, _ = refreshed
    models = _dbt_materialisations(result)
    spans = dbt_spans(since=time.time() - 24 * 3600)
    assert len(models) > 20
    for meta in models:
        start, end = spans[(meta["invocation_id"], meta["unique_id"])]
        assert 0 <= end - start < 600, meta["unique_id"]
        # the span the report uses is dbt's, whatever time the event was reported at
        assert _asset_span(meta, reported_at=end + 100, dbt=spans) == (start, end, "dbt run results")


def test_a_landed_table_is_timed_by_its_loader_and_a_shared_computation_not_at_all():
    landed = {"load_seconds": SimpleNamespace(value=2.5), "rules_seconds": SimpleNamespace(value=0.5)}
    assert _asset_span(landed, reported_at=100.0, dbt={}) == (97.0, 100.0, "loader (load + rules)")
    assert _asset_span({"dagster/row_count": 3}, reported_at=100.0, dbt={}) is None


def test_inputs_floor_scans_every_input_and_cleans_up(refreshed, tmp_path):
    _, db = refreshed
    floor = inputs_floor(db, tmp_path, E2E_REFERENCE_DATE)
    assert set(floor["seconds"]) == {"sales.fct_sales_lines", *INPUT_SCANS, "write customers x 70 columns"}
    assert all(seconds >= 0 for seconds in floor["seconds"].values())  # rounded to 0.01 s: tiny here
    assert abs(floor["total"] - sum(floor["seconds"].values())) < 0.05
    assert list(tmp_path.iterdir()) == []  # the scratch file and its WAL are gone
    [line] = inputs_lines({"inputs_floor": floor, "inputs_floor_vs_floor": 2.9})
    assert "2.9 times the floor" in line and "sales.fct_orders" in line


def test_asset_line_leaves_unknown_time_and_rows_blank():
    line = asset_line(
        {
            "asset": "referential/customer_ids",
            "step": "identity_resolution",
            "seconds": None,
            "timed_by": "built together",
            "peak_memory_gb": 1.5,
            "rows": None,
        }
    )
    assert line == "| referential/customer_ids | identity_resolution |  | built together | 1.5 |  |"


def test_a_span_shorter_than_the_sampling_interval_still_has_a_peak():
    sampler = MemorySampler(pid=0, interval=0.2)
    sampler.samples = [(10.0, 1_000), (10.2, 3_000), (10.4, 2_000), (20.0, 9_000)]
    assert sampler.peak(10.25, 10.28) == 3_000  # the samples either side, not 0
    assert sampler.peak(10.0, 10.4) == 3_000
    assert sampler.peak() == 9_000
