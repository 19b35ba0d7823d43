#!/usr/bin/env bash
# Runs the Airflow DAG (deploy/airflow/sway_daily.py) once on this machine, the way tests/test_dag.py
# does: `airflow dags test sway_daily DATE` with local Spark (local[2]) on the lake in ./lake, the
# application packaged into dist/ by scripts/package.py, and Airflow's state (SQLite) in
# .airflow-venv/home. Each stage is one spark-submit of .venv's pyspark.
#
#   scripts/airflow_run.sh 2026-11-19 13     # first run: ingest/aggregate the 13 days up to the date
#   scripts/airflow_run.sh 2026-11-20        # the next day (days=1)
#
# Environment: LAKE (default ./lake), AIRFLOW_VENV (default .airflow-venv), AIRFLOW_HOME
# (default $AIRFLOW_VENV/home), SWAY_SET (extra `key=value` overrides, default
# spark.shuffle_partitions=2). Sample data: .venv/bin/python scripts/generate.py --size tiny.
set -euo pipefail
cd "$(dirname "$0")/.."
date="${1:?usage: scripts/airflow_run.sh YYYY-MM-DD [DAYS]}"
days="${2:-1}"
repo=$PWD

bash scripts/setup.sh
bash scripts/airflow_setup.sh
venv="${AIRFLOW_VENV:-.airflow-venv}"
case "$venv" in /*) ;; *) venv="$repo/$venv" ;; esac
.venv/bin/python scripts/package.py --dist "$repo/dist" >/dev/null

lake="${LAKE:-lake}"
case "$lake" in /*) ;; *) lake="$repo/$lake" ;; esac
export AIRFLOW_HOME="${AIRFLOW_HOME:-$venv/home}"
export AIRFLOW__CORE__LOAD_EXAMPLES=False
export AIRFLOW__CORE__DAGS_FOLDER="$repo/deploy/airflow"
export AIRFLOW_VAR_SWAY_HOME="$repo/dist"
export AIRFLOW_VAR_SWAY_LAKE_ROOT="$lake"
export AIRFLOW_VAR_SWAY_SET="${SWAY_SET:-spark.shuffle_partitions=2}"
export AIRFLOW_VAR_SWAY_SPARK_SUBMIT="$repo/.venv/bin/spark-submit"
export AIRFLOW_VAR_SWAY_PYSPARK_PYTHON="$repo/.venv/bin/python"
export AIRFLOW_CONN_SPARK_DEFAULT='{"conn_type": "spark", "host": "local[2]"}'
unset VIRTUAL_ENV PYTHONPATH

"$venv/bin/airflow" db migrate >/dev/null
started=$(date +%s)
"$venv/bin/airflow" dags test sway_daily "$date" --conf "{\"days\": $days}"
echo "airflow-run: sway_daily $date (days=$days) done in $(( $(date +%s) - started )) s;" \
  "scores in $lake/scores"
