"""The layers of the flow, in order: every asset's Dagster group is one of them.

Groups are the flow, owners are the mesh: an asset's group says where it sits in the nightly flow
(what it reads from the left, what reads it on the right); its owners, ``domain`` metadata and roles
come from ``platform_assets/governance/ownership.py`` and do not follow the group (the sales facts
are owned by sales, the identity's quality tables by the referential team).

An asset reads only from its own layer or an earlier one, so the lineage reads left to right
(``tests/governance/test_layers.py``). Python assets name their layer with these constants; dbt
nodes with ``meta: layer`` on their folder in ``dbt_project.yml`` (an exception in the node's yml),
read by the translator.

  landing      raw.* — every source file as delivered, as text, with lineage columns
  staging      staging.stg_* — dbt views over raw (the web export's a table): typed and renamed, one
               row per raw row; with the retailer settings a staging model applies
               (referential.web_bot_rule)
  referential  the retailer's reference data (business units, date window), identity resolution
               and erasure, the golden record and the conformed dimensions and facts (sales,
               marketing) keyed by the resolved customer_id: dim_customer reads the facts, so they
               sit with it
  quality      measures of the referential's quality: identity match quality, field warnings
  features     as-of features per customer (profile, RFM and its playbook, CLV) and LTV/CAC; the
               profit engine (attribution, product margin matrix)
  scores       predictive scores and behavioural segments
  activation   marketing's decision matrix and limits, audiences, exports, measured uplift
  publication  the analyst and restricted files, published last
"""

LANDING = "landing"
STAGING = "staging"
REFERENTIAL = "referential"
QUALITY = "quality"
FEATURES = "features"
SCORES = "scores"
ACTIVATION = "activation"
PUBLICATION = "publication"

LAYERS: tuple[str, ...] = (LANDING, STAGING, REFERENTIAL, QUALITY, FEATURES, SCORES, ACTIVATION, PUBLICATION)


def layer_index(layer: str) -> int:
    """The layer's position in the flow (0 = landing); a clear error for a name not in ``LAYERS``."""
    try:
        return LAYERS.index(layer)
    except ValueError:
        raise ValueError(
            f"{layer!r} is not a layer of the flow (platform_assets/lib/layers.py: {', '.join(LAYERS)})"
        ) from None
