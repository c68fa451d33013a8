"""Champion/challenger: a challenger version of a score beside the champion, a hashed split deciding
whose score drives each customer, the promotion rule each run, and the job that promotes."""

import dagster as dg

from platform_assets.scores.champion_challenger.assets import model_comparisons, promote_challenger

defs = dg.Definitions(assets=[model_comparisons], jobs=[promote_challenger])
