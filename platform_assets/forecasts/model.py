"""The weekly demand model, pure: direct multi-horizon gradient boosting (scikit-learn's
HistGradientBoostingRegressor) on lags, the level of the last weeks, the same weeks a year before,
the week of the year and the campaign calendar, with a Poisson loss. Its interval is a count's: a
negative binomial around the forecast whose variance / mean (the dispersion) is measured on weeks the
model had not seen. Beside it the seasonal-naive baseline: the same week a year before.

A row is a series, an origin week o (the last one known) and a horizon h (1..H): its target is week
o + h, its features are known at o (and the calendar of o + h). One model serves every horizon
(``horizon`` is a feature). Training rows are every origin whose target is known: the backtest trains
on targets up to its own origin only (no week after it is seen), then forecasts the last known weeks.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np

from platform_assets.forecasts.series import Series

SEASON = 52
ORIGIN_STEP = 2  # training origins one in this many weeks (ending at the last)
# Origins need a year and a quarter behind them: the same weeks a year before (o + h - 53 .. - 51) and
# the last quarter a year before (o - 64 ..).
MIN_ORIGIN = SEASON + 12
FEATURES = (
    "horizon",
    "week_of_year",
    "season_sin",
    "season_cos",
    "same_week_last_year",
    "around_week_last_year",
    "last_week",
    "level_4w",
    "level_13w",
    "level_52w",
    "trend_13w_vs_last_year",
    "campaigns_in_week",
    "store",
    "department",
    "weeks_of_history",
)
CATEGORICAL = ("store", "department")
PARAMETERS = {"max_iter": 300, "learning_rate": 0.05, "max_leaf_nodes": 15, "min_samples_leaf": 50}


class TooShort(ValueError):
    """Not enough weeks of sales to train and backtest the model."""


def rows_at(series: Series, origin: int, horizon: int) -> dict[str, np.ndarray]:
    """The features of every series at ``origin`` for target ``origin + horizon`` (week indices)."""
    y = series.units
    target = origin + horizon
    n = y.shape[0]
    iso = (series.weeks[0].isocalendar().week - 1 + target) % SEASON
    level_13 = y[:, origin - 12 : origin + 1].mean(axis=1)
    level_13_last_year = y[:, origin - 12 - SEASON : origin + 1 - SEASON].mean(axis=1)
    stores = series.keys["store_id"].to_numpy()
    departments = series.keys["department_name"].to_numpy()
    return {
        "horizon": np.full(n, horizon),
        "week_of_year": np.full(n, iso),
        "season_sin": np.full(n, np.sin(2 * np.pi * iso / SEASON)),
        "season_cos": np.full(n, np.cos(2 * np.pi * iso / SEASON)),
        "same_week_last_year": y[:, target - SEASON],
        "around_week_last_year": y[:, target - SEASON - 1 : target - SEASON + 2].mean(axis=1),
        "last_week": y[:, origin],
        "level_4w": y[:, origin - 3 : origin + 1].mean(axis=1),
        "level_13w": level_13,
        "level_52w": y[:, origin - SEASON + 1 : origin + 1].mean(axis=1),
        "trend_13w_vs_last_year": (level_13 + 1) / (level_13_last_year + 1),
        "campaigns_in_week": series.campaigns[:, target]
        if series.campaigns.shape[1] > target
        else np.zeros(n),
        "store": np.unique(stores, return_inverse=True)[1],
        "department": np.unique(departments, return_inverse=True)[1],
        "weeks_of_history": origin - series.started,
    }


def design(series: Series, origins: range, horizons: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(features, target, series index) of every series x origin x horizon whose target is known and
    whose series had started a year before the target."""
    known = series.units.shape[1]
    parts, targets, which = [], [], []
    for origin in origins:
        for h in range(1, horizons + 1):
            if origin + h >= known:
                continue
            block = rows_at(series, origin, h)
            keep = series.started <= origin + h - SEASON
            parts.append(np.column_stack([block[f] for f in FEATURES])[keep])
            targets.append(series.units[keep, origin + h])
            which.append(np.flatnonzero(keep))
    if not parts:
        return np.zeros((0, len(FEATURES))), np.zeros(0), np.zeros(0, dtype=int)
    return np.vstack(parts), np.concatenate(targets), np.concatenate(which)


@dataclass
class DemandModel:
    point: object
    interval: float
    version: str
    training_rows: int
    # variance / mean of a week's units around the forecast (quasi-Poisson), measured on weeks the
    # model had not seen (``dispersion``); 1 = Poisson
    dispersion: float = 1.0

    def predict(self, x: np.ndarray, widen: bool = True) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(forecast, low, high): the interval holds ``interval`` of a negative binomial with the
        forecast as mean and ``dispersion`` x mean as variance (Poisson when it is 1, or not ``widen``)."""
        from platform_assets.lib.estimators import threads

        with threads():  # OpenMP threads spin against each other on a busy machine (seconds per call)
            point = np.clip(self.point.predict(x), 0, None)
        low, high = count_interval(point, self.dispersion if widen else 1.0, self.interval)
        return point, np.minimum(low, point), np.maximum(high, point)


def count_interval(mean: np.ndarray, dispersion: float, interval: float) -> tuple[np.ndarray, np.ndarray]:
    """The central ``interval`` of a count with this mean and variance ``dispersion`` x mean."""
    from scipy.stats import nbinom, poisson

    alpha = (1 - interval) / 2
    mean = np.maximum(mean, 1e-9)
    if dispersion <= 1.0 + 1e-9:
        return poisson.ppf(alpha, mean), poisson.ppf(1 - alpha, mean)
    n, p = mean / (dispersion - 1), 1 / dispersion
    return nbinom.ppf(alpha, n, p), nbinom.ppf(1 - alpha, n, p)


def dispersion(fitted: DemandModel, series: Series, origin: int, horizons: int) -> float:
    """mean((y - forecast)^2 / forecast) over the weeks after ``origin`` the model did not see (at
    least 1): how much wider than Poisson a week's units spread around the forecast."""
    rows = forecast(fitted, series, origin, horizons, widen=False)
    actual = series.units[rows["series"], origin + rows["horizon"]]
    mean = np.maximum(rows["forecast"], 0.5)
    return float(max(1.0, np.mean((actual - rows["forecast"]) ** 2 / mean))) if actual.size else 1.0


def fit(series: Series, last_origin: int, horizons: int, interval: float) -> DemandModel:
    """Trained on every origin from MIN_ORIGIN whose target is at most ``last_origin`` (week index)."""
    from sklearn.ensemble import HistGradientBoostingRegressor

    from platform_assets.lib.estimators import threads

    # every other origin: each target week is still reached, from origins 1-8 weeks before it at
    # alternate horizons, for half the rows (and the time) of every origin
    origins = range(last_origin - 1, MIN_ORIGIN - 1, -ORIGIN_STEP)
    x, y, _ = design(_until(series, last_origin), origins, horizons)
    if y.size == 0 or y.sum() == 0:
        raise TooShort(
            f"{len(series.weeks)} complete weeks of sales: the model needs sales over at least "
            f"{MIN_ORIGIN + 2} weeks before its last training target"
        )
    categorical = [FEATURES.index(c) for c in CATEGORICAL]
    with threads():
        point = HistGradientBoostingRegressor(
            **PARAMETERS,
            loss="poisson",
            categorical_features=categorical,
            random_state=0,
            early_stopping=False,
        ).fit(x, y)
    digest = hashlib.sha1(np.ascontiguousarray(x).tobytes() + np.ascontiguousarray(y).tobytes())
    digest.update(f"{PARAMETERS}|{interval}|{horizons}".encode())
    return DemandModel(point, interval, digest.hexdigest()[:12], int(y.size))


def _until(series: Series, last: int) -> Series:
    """The series known at week index ``last`` (later weeks cut off)."""
    return Series(
        series.keys, series.weeks[: last + 1], series.units[:, : last + 1], series.started, series.campaigns
    )


def forecast(
    fitted: DemandModel, series: Series, origin: int, horizons: int, widen: bool = True
) -> dict[str, np.ndarray]:
    """Forecasts from ``origin`` for 1..``horizons`` weeks ahead, every series that has a year of history
    behind the target, with the seasonal-naive baseline: series index, horizon, forecast, low, high,
    naive."""
    out = {k: [] for k in ("series", "horizon", "forecast", "low", "high", "naive")}
    for h in range(1, horizons + 1):
        block = rows_at(series, origin, h)
        keep = series.started <= origin + h - SEASON
        x = np.column_stack([block[f] for f in FEATURES])[keep]
        point, low, high = fitted.predict(x, widen)
        out["series"].append(np.flatnonzero(keep))
        out["horizon"].append(np.full(keep.sum(), h))
        out["forecast"].append(point)
        out["low"].append(low)
        out["high"].append(high)
        out["naive"].append(block["same_week_last_year"][keep])
    return {k: np.concatenate(v) if v else np.zeros(0) for k, v in out.items()}


def wape(actual: np.ndarray, predicted: np.ndarray) -> float:
    """Weighted absolute percentage error: sum |actual - predicted| / sum actual."""
    total = float(np.sum(actual))
    return float(np.sum(np.abs(actual - predicted)) / total) if total > 0 else float("nan")


@dataclass(frozen=True)
class Backtest:
    origin: int
    weeks: int
    points: int
    wape: float
    wape_seasonal_naive: float
    coverage: float

    @property
    def wape_reduction(self) -> float:
        """How much lower the model's WAPE is than seasonal naive's (0.1 = 10 % lower)."""
        return 1 - self.wape / self.wape_seasonal_naive


def backtest(
    series: Series, weeks: int, interval: float
) -> tuple[Backtest, DemandModel, dict[str, np.ndarray]]:
    """The model trained on targets up to the week ``weeks`` before the last known one, its dispersion
    measured on the weeks before that (by a model trained ``weeks`` earlier), then
    forecasting the last ``weeks`` known weeks, against seasonal naive: (measures, model, its rows with
    ``actual``)."""
    last = series.units.shape[1] - 1
    origin = last - weeks
    if origin - weeks - 1 < MIN_ORIGIN:
        raise TooShort(
            f"{len(series.weeks)} complete weeks of sales: the backtest needs at least "
            f"{MIN_ORIGIN + 2 + 2 * weeks}"
        )
    calibration = fit(series, origin - weeks, weeks, interval)
    fitted = fit(series, origin, weeks, interval)
    fitted.dispersion = dispersion(calibration, series, origin - weeks, weeks)
    predicted = forecast(fitted, series, origin, weeks)
    actual = series.units[predicted["series"], origin + predicted["horizon"]]
    predicted["actual"] = actual
    return summarise(origin, weeks, predicted), fitted, predicted


def summarise(origin: int, weeks: int, rows: dict[str, np.ndarray]) -> Backtest:
    """The backtest's measures over ``rows`` (forecast, low, high, naive, actual)."""
    actual = rows["actual"]
    inside = (actual >= rows["low"]) & (actual <= rows["high"])
    return Backtest(
        origin,
        weeks,
        int(actual.size),
        wape(actual, rows["forecast"]),
        wape(actual, rows["naive"]),
        float(inside.mean()) if actual.size else float("nan"),
    )
