"""Segment discovery: k-means (k by silhouette) and HDBSCAN on the same scaled, PCA-reduced
behaviour, compared on silhouette, Davies-Bouldin, sizes and noise, one of them chosen with a reason.

Pure: a readable-indicator frame (``prepare.readable``) in, a ``Discovery`` out. Runs on a
fixed-seed sample of buyers: the silhouette is quadratic in customers and HDBSCAN more so, and a
segmentation found on 20,000 customers describes a million as well (the classifier assigns them).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import polars as pl

from platform_assets.scores.segments.prepare import Preparer

if TYPE_CHECKING:  # scikit-learn is imported when segments are discovered, not when the code location loads
    from sklearn.decomposition import PCA
    from sklearn.preprocessing import StandardScaler

# A marketer acts on 4 to 10 segments: fewer says nothing new next to RFM, more nobody remembers.
K_RANGE = range(4, 11)
SAMPLE_SIZE = 20_000
SILHOUETTE_SAMPLE = 5_000
PCA_VARIANCE = 0.90
# HDBSCAN wins only when clearly better and not leaving a large share of the base unsegmented.
MAX_NOISE_SHARE = 0.25
DENSITY_MARGIN = 0.02


@dataclass(frozen=True)
class Candidate:
    method: str  # "kmeans" or "hdbscan"
    params: dict
    segments: int
    silhouette: float | None  # on the segmented points (noise left out)
    davies_bouldin: float | None
    noise_share: float
    sizes: list[int]  # largest first


@dataclass
class Discovery:
    preparer: Preparer
    scaler: StandardScaler
    pca: PCA
    candidates: list[Candidate]
    chosen: Candidate
    reason: str
    customer_ids: list[str]  # the discovery sample
    labels: np.ndarray  # frozen segment per sample customer: 1 = largest; 0 = noise (HDBSCAN)
    inputs: np.ndarray  # the sample's prepared inputs (the classifier trains on them)
    seed: int = 0
    params: dict = field(default_factory=dict)


def sample(frame: pl.DataFrame, size: int, seed: int) -> pl.DataFrame:
    """A reproducible sample: the same customers for the same base, whatever the row order."""
    ordered = frame.sort("customer_id")
    return ordered if ordered.height <= size else ordered.sample(n=size, seed=seed).sort("customer_id")


def _scores(points: np.ndarray, labels: np.ndarray, seed: int) -> tuple[float | None, float | None]:
    from sklearn.metrics import davies_bouldin_score, silhouette_score

    kept = labels >= 0
    if len(np.unique(labels[kept])) < 2:
        return None, None
    pts, lab = points[kept], labels[kept]
    size = min(SILHOUETTE_SAMPLE, len(lab))
    silhouette = float(silhouette_score(pts, lab, sample_size=size, random_state=seed))
    return silhouette, float(davies_bouldin_score(pts, lab))


def _by_size(labels: np.ndarray) -> np.ndarray:
    """Renumbers clusters 1..n from the largest (ties: lowest original label); noise (-1) -> 0."""
    ids, counts = np.unique(labels[labels >= 0], return_counts=True)
    order = ids[np.lexsort((ids, -counts))]
    mapping = {int(old): new for new, old in enumerate(order, start=1)}
    return np.array([mapping.get(int(x), 0) for x in labels], dtype=np.int64)


def _candidate(method: str, params: dict, points: np.ndarray, labels: np.ndarray, seed: int):
    silhouette, db = _scores(points, labels, seed)
    ranked = _by_size(labels)
    sizes = sorted(np.bincount(ranked)[1:].tolist(), reverse=True)
    return Candidate(method, params, len(sizes), silhouette, db, float(np.mean(labels < 0)), sizes), ranked


def choose(kmeans: Candidate, density: Candidate) -> tuple[Candidate, str]:
    """The density-based segmentation only when it separates clearly better without leaving
    many customers as noise; otherwise k-means (every customer in a segment, convex groups)."""
    if density.segments < 2 or density.silhouette is None:
        return kmeans, (
            f"k-means with k={kmeans.segments} (best silhouette {kmeans.silhouette:.3f} over k="
            f"{K_RANGE.start}..{K_RANGE.stop - 1}); HDBSCAN found {density.segments} dense group(s)"
        )
    if density.noise_share > MAX_NOISE_SHARE:
        return kmeans, (
            f"k-means with k={kmeans.segments} (silhouette {kmeans.silhouette:.3f}); HDBSCAN left "
            f"{density.noise_share:.0%} of customers as noise (limit {MAX_NOISE_SHARE:.0%})"
        )
    if density.silhouette > kmeans.silhouette + DENSITY_MARGIN:
        return density, (
            f"HDBSCAN ({density.segments} segments, silhouette {density.silhouette:.3f} vs k-means "
            f"{kmeans.silhouette:.3f}, noise {density.noise_share:.0%}): non-convex groups separate better"
        )
    return kmeans, (
        f"k-means with k={kmeans.segments} (silhouette {kmeans.silhouette:.3f}, Davies-Bouldin "
        f"{kmeans.davies_bouldin:.2f}); HDBSCAN ({density.segments} segments, silhouette "
        f"{density.silhouette:.3f}, noise {density.noise_share:.0%}) is not clearly better"
    )


def discover(
    frame: pl.DataFrame, k_range: range = K_RANGE, sample_size: int = SAMPLE_SIZE, seed: int = 0
) -> Discovery:
    """Scales and reduces the sample's behaviour, fits k-means for every k and HDBSCAN, chooses."""
    from sklearn.cluster import HDBSCAN, KMeans
    from sklearn.decomposition import PCA
    from sklearn.preprocessing import StandardScaler
    from threadpoolctl import threadpool_limits

    if frame.height < 10 * k_range.start:
        raise ValueError(
            f"segment discovery needs at least {10 * k_range.start} customers with a purchase, got {frame.height}"
        )
    picked = sample(frame, sample_size, seed)
    preparer = Preparer().fit(picked)
    inputs = preparer.transform(picked)
    scaler = StandardScaler().fit(inputs)
    pca = PCA(n_components=PCA_VARIANCE, svd_solver="full", random_state=seed).fit(scaler.transform(inputs))
    points = pca.transform(scaler.transform(inputs))

    kmeans_runs = []
    # One OpenMP thread: on a shared, busy machine k-means' threads spin-wait each other (25x slower
    # measured on 1,000 customers); on a 20,000-customer sample one thread takes seconds.
    with threadpool_limits(limits=1, user_api="openmp"):
        for k in k_range:
            if k >= picked.height:
                break
            labels = KMeans(n_clusters=k, n_init=4, random_state=seed).fit_predict(points)
            kmeans_runs.append(_candidate("kmeans", {"k": k}, points, labels, seed))
    best_kmeans, kmeans_labels = max(kmeans_runs, key=lambda run: run[0].silhouette or -1.0)

    min_size = max(15, picked.height // 50)  # a segment under 2% of the base is not worth a campaign
    density_labels = HDBSCAN(min_cluster_size=min_size, min_samples=10, copy=True).fit_predict(points)
    density, density_ranked = _candidate(
        "hdbscan", {"min_cluster_size": min_size, "min_samples": 10}, points, density_labels, seed
    )
    chosen, reason = choose(best_kmeans, density)
    labels = kmeans_labels if chosen is best_kmeans else density_ranked
    return Discovery(
        preparer=preparer,
        scaler=scaler,
        pca=pca,
        candidates=[run[0] for run in kmeans_runs] + [density],
        chosen=chosen,
        reason=reason,
        customer_ids=picked["customer_id"].to_list(),
        labels=labels,
        inputs=inputs,
        seed=seed,
        params={
            "k_range": [k_range.start, k_range.stop - 1],
            "sample_size": sample_size,
            "pca": PCA_VARIANCE,
        },
    )


def comparison(discovery: Discovery) -> pl.DataFrame:
    """The candidates side by side (the chosen one flagged), for metadata and ops.model_metrics."""
    return pl.DataFrame(
        [
            {
                "method": c.method,
                "params": ", ".join(f"{k}={v}" for k, v in c.params.items()),
                "segments": c.segments,
                "silhouette": None if c.silhouette is None else round(c.silhouette, 4),
                "davies_bouldin": None if c.davies_bouldin is None else round(c.davies_bouldin, 4),
                "noise_share": round(c.noise_share, 4),
                "sizes": " / ".join(str(s) for s in c.sizes),
                "chosen": c is discovery.chosen,
            }
            for c in discovery.candidates
        ]
    )
