"""Which version of a score drives each customer's decisions: a deterministic hashed split.

``draw = int(sha256("<model>|<customer_id>")[:15 hex], 16) / 16^15``, uniform in [0, 1); below the
challenger's share, the challenger drives. The same customer is in the same arm on every run, whoever
else is scored, and independently of the campaigns' holdout draws (which hash the campaign too).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

CHAMPION = "champion"
CHALLENGER = "challenger"
ARMS = (CHAMPION, CHALLENGER)
_SCALE = float(16**15)


def draw(model: str, customer_id: str) -> float:
    return int(hashlib.sha256(f"{model}|{customer_id}".encode()).hexdigest()[:15], 16) / _SCALE


def arms(customer_ids: Sequence[str], model: str, share: float) -> list[str]:
    """The arm of each customer: ``challenger`` for a draw below ``share``, else ``champion``."""
    return [CHALLENGER if draw(model, c) < share else CHAMPION for c in customer_ids]
