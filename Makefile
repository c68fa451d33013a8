# The platform's commands. `make demo` on a fresh machine (Python 3.11 + make) does everything.
SHELL := /bin/bash
.DEFAULT_GOAL := help

# uv from PATH, else the one pip installs into this Python (make install does that)
UV := $(shell command -v uv 2>/dev/null || echo python3 -m uv)
# ENGINE=spark: the dbt models on Spark (CDP_ENGINE, platform_assets/lib/engine.py); installs the
# optional spark dependency group (pyspark, dbt-spark; Java 17 needed). Default: duckdb.
ENGINE ?= duckdb
SPARK_GROUP := $(if $(filter spark,$(ENGINE)),--group spark)
RUN := $(UV) run --locked $(SPARK_GROUP)

DATA_DIR ?= $(CURDIR)/data
CUSTOMERS ?= 20000
SEED ?= 42
# DATASET=demo (default): the generated retailer. DATASET=cdnow: the public CDNOW purchase log
# (shared datasets), landed through platform_assets/retailers/cdnow.yml into data/cdnow/.
DATASET ?= demo
CDNOW_SAMPLE ?= $(CURDIR)/../shared/datasets/cdnow/CDNOW_sample.txt

ifeq ($(DATASET),demo)
# The demo history ends on 2026-10-31: score it as of the day after.
REFERENCE_DATE ?= 2026-11-01
export CDP_DATA_DIR := $(DATA_DIR)
export CDP_LANDING_DIR ?= $(DATA_DIR)/demo/landing
export CDP_DUCKDB_PATH ?= $(DATA_DIR)/warehouse/cdp.duckdb
else ifeq ($(DATASET),cdnow)
# CDNOW's log ends on 1998-06-30; its CLV calibration end (1997-09-30) is in cdnow.yml.
REFERENCE_DATE ?= 1998-07-01
export CDP_DATA_DIR := $(DATA_DIR)/cdnow
export CDP_LANDING_DIR ?= $(DATA_DIR)/cdnow/landing
export CDP_DUCKDB_PATH ?= $(DATA_DIR)/cdnow/warehouse/cdp.duckdb
export CDP_RETAILER_CONFIG ?= $(CURDIR)/platform_assets/retailers/cdnow.yml
else
$(error DATASET=$(DATASET): use demo (the default) or cdnow)
endif
export CDP_ENGINE := $(ENGINE)
export CDP_SPARK_DIR ?= $(CDP_DATA_DIR)/spark
export DAGSTER_HOME := $(DATA_DIR)/dagster_home
export DBT_SEND_ANONYMOUS_USAGE_STATS := false
export DAGSTER_DISABLE_TELEMETRY := yes
export GX_ANALYTICS_ENABLED := false

.PHONY: help install install-spark data manifest materialize demo dev test test-spark bench lint format clean screenshot

help:  ## list the commands
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

install:  ## install uv if missing, then the locked environment (.venv), compiled to bytecode
	@command -v uv >/dev/null 2>&1 || python3 -m uv --version >/dev/null 2>&1 || python3 -m pip install --quiet uv
	$(UV) sync --locked --compile-bytecode $(SPARK_GROUP)
	@# Every process (UI reload, CLI call, dbt step, test subprocess) then reads bytecode instead of
	@# compiling thousands of modules again where PYTHONDONTWRITEBYTECODE is set.
	$(RUN) python -m compileall -q platform_assets

# The optional Spark engine (CDP_ENGINE=spark: pyspark, dbt-spark's session method; Java 17 on PATH).
# A later `make install` takes it out again (uv sync keeps the environment to what it is asked for).
install-spark:  ## install, plus the optional Spark engine (the `spark` dependency group; needs Java 17)
	@command -v uv >/dev/null 2>&1 || python3 -m uv --version >/dev/null 2>&1 || python3 -m pip install --quiet uv
	@command -v java >/dev/null 2>&1 || { echo "install-spark: no java on PATH (Spark needs Java 17, e.g. Debian's openjdk-17-jre-headless)" >&2; exit 1; }
	$(UV) sync --locked --compile-bytecode --group spark
	$(UV) run --locked --group spark python -m compileall -q platform_assets

data: install  ## generate the demo retailer (CUSTOMERS=20000 SEED=42) into data/demo; DATASET=cdnow: land CDNOW's file
ifeq ($(DATASET),cdnow)
	@test -f $(CDNOW_SAMPLE) || { echo "CDNOW sample not found at $(CDNOW_SAMPLE) (set CDNOW_SAMPLE=...)" >&2; exit 1; }
	mkdir -p $(CDP_LANDING_DIR)/cdnow && cp $(CDNOW_SAMPLE) $(CDP_LANDING_DIR)/cdnow/CDNOW_sample.txt
else
	$(RUN) python -m platform_assets.demo --customers $(CUSTOMERS) --seed $(SEED) --out $(DATA_DIR)/demo
endif

manifest: install  ## parse the dbt project (target/manifest.json, read by the code location)
	cd dbt_project && $(RUN) dbt parse --quiet

$(DAGSTER_HOME)/dagster.yaml: platform_assets/dagster_instance.yaml
	mkdir -p $(DAGSTER_HOME) && cp $< $@

# `dg launch --job` (dg's replacement of `dagster job execute`) takes no run tags, and the refresh
# carries its reference date as the tag the UI shows: so this one call stays `dagster job execute`,
# with the one warning that says it is superseded filtered out by its text (it is raised before any
# code of ours loads, so no filter in the code location can catch it).
SUPERSEDED_JOB_EXECUTE := ignore:Function `job_execute_command` is superseded

materialize: manifest $(DAGSTER_HOME)/dagster.yaml  ## run the daily_refresh job now (every asset, as of REFERENCE_DATE)
	@# a run killed earlier (its process gone) would hold the warehouse pool: marked failed first
	$(RUN) python -m platform_assets.lib.recovery
	PYTHONWARNINGS='$(SUPERSEDED_JOB_EXECUTE)' $(RUN) dagster job execute -m platform_assets.definitions \
		-j daily_refresh --tags '{"cdp/reference_date": "$(REFERENCE_DATE)"}' -c platform_assets/run_config/console_info.yaml
	$(RUN) python -m platform_assets.report

demo: data materialize  ## install, generate the demo data and materialise the whole graph (DATASET=cdnow: CDNOW; ENGINE=spark: dbt and Splink on Spark)

dev: manifest $(DAGSTER_HOME)/dagster.yaml  ## the Dagster UI on http://localhost:3000 (history kept in data/dagster_home)
	$(RUN) dg dev -w workspace.yaml

BENCH_CUSTOMERS ?= 100000
bench: manifest  ## the whole graph at BENCH_CUSTOMERS (100000; 1000000 for the target run): benchmarks/results/
	$(RUN) python benchmarks/bench.py --customers $(BENCH_CUSTOMERS) --seed $(SEED) --reference-date $(REFERENCE_DATE)

lint: install  ## ruff lint and format check
	$(RUN) ruff check .
	$(RUN) ruff format --check .

format: install  ## ruff fix and format
	$(RUN) ruff check --fix .
	$(RUN) ruff format .

test: lint  ## lint, then the test suite in two workers, a test file each at a time (tests/conftest.py)
	$(RUN) pytest -n 2 --dist loadfile

# Not part of `make test` (minutes of JVM work): every dbt model built on Spark and DuckDB over a
# small generated retailer and compared (tests/spark/, marker `spark`).
test-spark: install-spark  ## the Spark equality tests (installs the spark group; needs Java 17)
	$(UV) run --locked --group spark pytest -m spark -p no:xdist tests/spark

COCKPITS ?= $(DATA_DIR)/published/cockpits
screenshot:  ## the README's picture of the Command Center (docs/command_center.png) from the site in COCKPITS
	@test -f $(COCKPITS)/command_center.html || { echo "no site in $(COCKPITS): run make demo first" >&2; exit 1; }
	mkdir -p docs && chromium --headless=new --no-sandbox --disable-gpu --hide-scrollbars --virtual-time-budget=10000 \
		--window-size=1280,1700 --screenshot=$(CURDIR)/docs/command_center.png file://$(COCKPITS)/command_center.html

clean:  ## remove generated data, warehouse, dbt target and Dagster history
	rm -rf $(DATA_DIR) dbt_project/target dbt_project/logs
