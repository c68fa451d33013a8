"""The playbook's churn bands and their actions: plain constants, read by the model and by the blocking
checks (importable without numpy or polars). Where each band starts (its lowest score) and the churn
horizon are the retailer's settings (``churn`` in its configuration, per business unit where one
differs: ``lib.retailer.ChurnUnitSettings``)."""

# (band, action) from the ChurnGuard playbook (DOMAIN.md), from the lowest risk to the highest.
BANDS = (
    ("healthy", "prevention: loyalty, personalised content, early access"),
    ("attention", "closer monitoring: satisfaction survey, complementary offer, community"),
    (
        "moderate risk",
        "re-engagement campaign: personal e-mail, discount on the favourite product, service call",
    ),
    ("high risk", "urgent personal contact: human call, strong win-back offer, ask why"),
)


def band_lows(cutoffs: tuple[int, ...]) -> tuple[int, ...]:
    """Lowest score of each band in BANDS: 0 for healthy, then the configured cut-offs."""
    return (0, *cutoffs)
