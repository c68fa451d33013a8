"""The platform's shared library: the one place that reads configuration and reads and writes the
warehouse. Domains use it; they never import each other's asset modules.

  settings.py    typed configuration resource (``PlatformSettings``) and the run's reference date
  resources.py   the resources, built once from the environment (the only reader of ``os.environ``)
  warehouse.py   the DuckDB resource (``Warehouse``): connections
  tables.py      atomic table replacement, existence, the "as of" guard, column comments
  model_metrics.py  ``ops.model_metrics``: its definition and its one writer
  gates.py       blocking SQL gates: keys unique and not null, values in range
  metadata.py    what the Dagster UI shows: markdown tables, column schemas, asset metadata, check
                 descriptions (what it checks, whether it blocks), the allowed asset kinds
  layers.py      the layers of the flow, in order: every asset's Dagster group
  recovery.py    runs whose process died marked failed, their pool slots freed (sensor, schedule, CLI)
  charts.py      matplotlib figures as markdown images (imports matplotlib only when drawing)
  step_output.py what a step shows: libraries' warnings, log records and prints to its debug log,
                 its one summary line at info (and the run config of a console at info)
"""
