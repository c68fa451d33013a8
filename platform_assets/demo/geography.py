"""Postcode centroids: the reference data a retailer buys (a national postcode file), for the demo's
postcodes. Each city of ``reference.CITIES`` has its centre (latitude, longitude, WGS 84, to about a
kilometre); a postcode's centroid is its city's centre moved by a fixed offset drawn from the postcode
itself (up to ~9 km north-south, ~8-12 km east-west), so the same postcode always lands in the same
place. Written for every postcode the demo's people (home and new home) and stores carry, clean (the
records' noisy spellings and typos are not in it: a customer with one is located nowhere)."""

from __future__ import annotations

import hashlib

import numpy as np
import polars as pl

from platform_assets.demo import config as cfg
from platform_assets.demo.reference import CITIES

# Same order as reference.CITIES: (latitude, longitude) of each city (London: each district's).
CITY_CENTRES = (
    (
        (48.857, 2.352), (45.764, 4.836), (43.296, 5.370), (43.605, 1.444), (43.710, 7.262), (47.218, -1.554),
        (48.573, 7.752), (43.611, 3.877), (44.838, -0.579), (50.629, 3.057), (48.117, -1.678), (49.258, 4.032),
        (45.440, 4.387), (49.494, 0.107), (43.124, 5.928), (45.189, 5.724), (47.322, 5.041), (47.478, -0.563),
        (43.837, 4.360), (45.778, 3.087), (48.006, 0.199), (43.529, 5.447), (48.390, -4.486), (47.394, 0.685),
        (49.894, 2.296), (45.834, 1.261), (45.899, 6.129), (42.699, 2.895), (49.119, 6.176), (47.238, 6.024),
        (47.903, 1.909), (49.443, 1.099), (49.182, -0.371), (48.692, 6.184), (43.949, 4.806), (46.580, 0.340),
        (43.295, -0.371), (46.160, -1.151), (41.919, 8.739), (46.205, 5.226), (45.564, 5.918), (44.933, 4.892),
        (49.027, 1.151), (43.344, 3.216),
    ),
    (
        (52.230, 21.012), (50.065, 19.945), (51.759, 19.456), (51.108, 17.039), (52.406, 16.925),
        (54.352, 18.646), (53.428, 14.553), (53.123, 18.008), (51.246, 22.568), (53.133, 23.169),
        (50.265, 19.024), (54.519, 18.531), (50.812, 19.120), (51.403, 21.147), (53.013, 18.598),
        (50.866, 20.628), (50.041, 21.999), (50.294, 18.672), (53.778, 20.480), (49.822, 19.045),
        (51.935, 15.506), (50.675, 17.921), (52.547, 19.706), (54.156, 19.404), (50.013, 20.989),
        (54.194, 16.172), (51.761, 18.091), (51.207, 16.155), (52.731, 15.238),
    ),
    (
        (51.501, -0.142), (51.498, -0.090), (51.538, -0.099), (51.507, -0.020), (51.555, -0.175),
        (53.448, -2.222), (52.463, -1.928), (53.820, -1.575), (55.878, -4.293), (53.375, -2.933),
        (51.457, -2.617), (53.380, -1.512), (55.920, -3.210), (51.487, -3.160), (52.610, -1.110),
        (52.950, -1.180), (54.977, -1.560), (50.915, -1.430), (50.830, -0.120), (51.480, -0.960),
        (51.730, -1.220), (52.220, 0.130), (53.950, -1.050), (52.630, 1.280), (54.570, -5.950),
        (57.165, -2.100), (50.375, -4.125), (50.730, -3.520), (51.370, -2.350), (52.040, -0.700),
        (52.410, -1.550), (52.930, -1.500), (51.615, -3.980),
    ),
)  # fmt: skip
MAX_OFFSET_DEG = (0.08, 0.12)  # latitude, longitude
COUNTRY_INDEX = {code: k for k, code in enumerate(cfg.COUNTRIES)}


def _city_of(country: int, postcode: str) -> int:
    """The city whose postcode seed begins the postcode (the longest seed; FR: same département)."""
    seeds = [seed for _, seed in CITIES[country]]
    if (
        country == 0
    ):  # FR: seed + a small offset (75001..75020 for Paris): the nearest seed of the département
        same = [k for k, s in enumerate(seeds) if postcode[:2] == s[:2]]
        return (
            min(same, key=lambda k: abs(int(postcode) - int(seeds[k]))) if same and postcode.isdigit() else -1
        )
    else:
        matches = [k for k, s in enumerate(seeds) if postcode.startswith(s)]
    return max(matches, key=lambda k: len(seeds[k])) if matches else -1


def _offset(country: str, postcode: str) -> tuple[float, float]:
    digest = hashlib.sha256(f"{country}|{postcode}".encode()).digest()
    u = np.frombuffer(digest[:8], dtype=np.uint32) / 2**32  # two uniforms in [0, 1)
    return ((u[0] * 2 - 1) * MAX_OFFSET_DEG[0], (u[1] * 2 - 1) * MAX_OFFSET_DEG[1])


def centroids_frame(postcodes: pl.DataFrame) -> pl.DataFrame:
    """``postcodes`` (columns ``country`` 0..2 and ``postcode``) -> the reference file's rows:
    country_code, postcode, latitude, longitude (a postcode of no known city is left out)."""
    rows = []
    for country, postcode in postcodes.unique().sort("country", "postcode").iter_rows():
        if postcode is None:
            continue
        city = _city_of(country, postcode)
        if city < 0:
            continue
        lat, lon = CITY_CENTRES[country][city]
        d_lat, d_lon = _offset(cfg.COUNTRIES[country], postcode)
        rows.append((cfg.COUNTRIES[country], postcode, round(lat + d_lat, 5), round(lon + d_lon, 5)))
    return pl.DataFrame(
        rows, schema=["country_code", "postcode", "latitude", "longitude"], orient="row"
    ).with_columns(pl.col("latitude").cast(pl.String), pl.col("longitude").cast(pl.String))
