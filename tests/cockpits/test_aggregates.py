"""The cockpits' pure figures: PSI, the RFM migration matrix, the Marketing Profit Matrix."""

import math

import pytest

from platform_assets.cockpits.aggregates import PSI_WARNING, migration_matrix, profit_matrix, psi


def test_psi_is_zero_for_the_same_shares_and_grows_with_the_shift():
    assert psi([10, 20, 30], [20, 40, 60]) == pytest.approx(0.0)
    small, large = psi([50, 50], [55, 45]), psi([50, 50], [90, 10])
    assert 0 < small < PSI_WARNING < large
    # by hand: (0.9 - 0.5) ln(0.9 / 0.5) + (0.1 - 0.5) ln(0.1 / 0.5)
    assert large == pytest.approx(0.4 * math.log(1.8) - 0.4 * math.log(0.2))


def test_psi_stays_finite_on_an_empty_bin_and_refuses_mismatched_bins():
    assert math.isfinite(psi([10, 0], [5, 5]))
    with pytest.raises(ValueError, match="same bins"):
        psi([1, 2], [1, 2, 3])
    with pytest.raises(ValueError, match="non-empty"):
        psi([0, 0], [1, 1])


def test_migration_matrix_counts_moves_in_the_given_order_then_new_segments():
    m = migration_matrix(
        [("Loyal", "Loyal", 8), ("Loyal", "At risk", 2), ("New", "Loyal", 5), ("At risk", "Lost", 1)],
        order=["Loyal", "At risk"],
    )
    assert m.segments == ["Loyal", "At risk", "Lost", "New"]
    assert m.counts[0] == [8, 2, 0, 0]
    assert m.counts[3] == [5, 0, 0, 0]
    assert m.counts[1] == [0, 0, 1, 0]
    assert m.stayed_share == pytest.approx(8 / 16)


def _channel(name, paid, cac, ltv, customers=10):
    return {
        "acquisition_channel": name,
        "is_paid_channel": paid,
        "cac_12m": cac,
        "predicted_ltv_12m": ltv,
        "customers_acquired_12m": customers,
    }


def test_profit_matrix_ratio_payback_and_quadrants_by_the_paid_medians():
    channels = profit_matrix(
        [
            _channel("search", True, 30.0, 600.0),
            _channel("display", True, 40.0, 200.0),
            _channel("flyer", True, 20.0, 500.0),
            _channel("referral", False, 0.0, 900.0),
        ]
    )
    by_name = {c.channel: c for c in channels}
    assert [c.channel for c in channels] == ["flyer", "search", "display", "referral"]  # best ratio first
    assert by_name["search"].ratio == pytest.approx(20.0)
    assert by_name["search"].payback_months == pytest.approx(30.0 / (600.0 / 12))
    assert by_name["search"].quadrant == "high LTV, high CAC"  # medians: LTV 500, CAC 30
    assert by_name["display"].quadrant == "low LTV, high CAC"
    assert by_name["flyer"].quadrant == "high LTV, low CAC"
    assert by_name["referral"].ratio is None and by_name["referral"].quadrant == "unpaid"
