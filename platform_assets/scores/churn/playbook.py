"""The churn horizon's bounds and the playbook's bands: plain constants, read by the model and by the
blocking checks (importable without numpy or polars)."""

# Horizon = this quantile of a business unit's gaps between purchase days, rounded up to a month:
# 19 repeat purchases in 20 come back within it, so silence beyond it is meaningful.
HORIZON_QUANTILE = 0.95
HORIZON_BOUNDS = (60, 365)

# (band, lowest score, meaning, action) from the ChurnGuard playbook (DOMAIN.md).
BANDS = (
    ("healthy", 0, "prevention: loyalty, personalised content, early access"),
    ("attention", 26, "closer monitoring: satisfaction survey, complementary offer, community"),
    (
        "moderate risk",
        51,
        "re-engagement campaign: personal e-mail, discount on the favourite product, service call",
    ),
    ("high risk", 76, "urgent personal contact: human call, strong win-back offer, ask why"),
)
