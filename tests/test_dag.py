"""The Airflow 3 DAG (deploy/airflow/sway_daily.py, docs/AIRFLOW.md).

Airflow lives in a virtual environment of its own (scripts/airflow_setup.sh builds .airflow-venv/
once), so everything Airflow runs in a subprocess with that environment's Python; Sway's venv has no
Airflow. The integrity test loads the DAG folder with a DagBag (no metadata database: a Variable
read while parsing would fail) and renders each task's spark-submit command for given Variables.
The slow test runs `airflow dags test sway_daily <date>` on local Spark over a copy of the shared
`tiny` lake, with the packaged build (scripts/package.py) as the application and a Python that
skips site (the code comes from sway.zip only), then compares the scores with the in-process run.
If the Airflow environment cannot be installed for lack of network (exit code 75), both skip.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import stat
import subprocess
import sys
import sysconfig
import time
import zipfile
from pathlib import Path

import pytest

from jobs.session import DELTA_SETTINGS
from jobs.stages import STAGES

# The Delta extension and catalog every task passes to spark-submit (the DAG imports nothing of
# Sway, so it holds its own copy; this checks the two agree).
DELTA_CONF = [arg for key, value in DELTA_SETTINGS.items() for arg in ("--conf", f"{key}={value}")]

REPO = Path(__file__).resolve().parent.parent
DAG_FOLDER = REPO / "deploy" / "airflow"
SETUP = REPO / "scripts" / "airflow_setup.sh"
VENV = Path(os.environ.get("AIRFLOW_VENV", REPO / ".airflow-venv"))
if not VENV.is_absolute():
    VENV = REPO / VENV

# Run by the Airflow venv's Python: parse the DAG folder, describe the DAG and render its tasks.
PROBE = r'''
import copy, json, os, sys
from airflow.dag_processing.dagbag import DagBag
from airflow.providers.apache.spark.operators.spark_submit import SparkSubmitOperator

bag = DagBag(dag_folder=sys.argv[1])
out = {"import_errors": {str(k): str(v) for k, v in bag.import_errors.items()},
       "dag_ids": sorted(bag.dags)}
dag = bag.dags.get("sway_daily")
if dag is not None:
    class Vars:
        def __init__(self, values):
            self.values = values
        def get(self, key, default=None):
            return self.values.get(key, default)

    def command(task, values, ds, days, allow_empty=False):
        task = copy.copy(task)
        params = {"days": days, "allow_empty": allow_empty, "allow_thin": False}
        context = {"ds": ds, "params": params, "var": {"value": Vars(values)}}
        task.render_template_fields(context, jinja_env=dag.get_template_env())
        task.apply_rendered()
        hook = task._get_hook()
        return {"cmd": hook._build_spark_submit_command(task.application),
                "env": task.env_vars, "conn_id": task._conn_id}

    def no_date(task):
        """A run without a logical date has no `ds`: the task fails, marked not to retry."""
        task = copy.copy(task)
        context = {"params": {"days": 1}, "var": {"value": Vars({})}}
        task.render_template_fields(context, jinja_env=dag.get_template_env())
        try:
            task.apply_rendered()
        except Exception as error:
            return type(error).__name__
        return None

    for conn, master in (("SPARK_DEFAULT", "local[2]"), ("SWAY_SPARK", "local[1]")):
        os.environ["AIRFLOW_CONN_" + conn] = json.dumps({"conn_type": "spark", "host": master})
    custom = {
        "sway_home": "/srv/sway",
        "sway_application": "/src/sway/jobs/main.py",
        "sway_py_files": "",
        "sway_conf": "/srv/sway/conf/cluster.yaml, /etc/sway/mine.yaml",
        "sway_conf_dir": "",
        "sway_lake_root": "s3a://bucket/lake",
        "sway_set": "spark.shuffle_partitions=64 propagation.alpha=0.9",
        "sway_spark_conn_id": "sway_spark",
        "sway_spark_submit": "/opt/spark/bin/spark-submit",
        "sway_pyspark_python": "/opt/venv/bin/python",
        "sway_properties_file": "/etc/sway/spark.properties",
        "sway_packages": "io.delta:delta-spark_4.2_2.13:4.4.0,org.apache.hadoop:hadoop-aws:3.4.1",
    }
    out["dag"] = {
        "timetable": type(dag.timetable).__name__,
        "timetable_repr": repr(dag.timetable),
        "catchup": dag.catchup,
        "max_active_runs": dag.max_active_runs,
        "params": {k: dag.params[k] for k in dag.params},
        "order": [t.task_id for t in dag.topological_sort()],
        "tasks": {
            t.task_id: {
                "spark_submit": isinstance(t, SparkSubmitOperator),
                "upstream": sorted(t.upstream_task_ids),
                "retries": t.retries,
                "retry_delay_s": t.retry_delay.total_seconds(),
                "depends_on_past": t.depends_on_past,
                "sway_date": t.sway_date,
                "defaults": command(t, {}, "2026-11-20", 90),
                "custom": command(t, custom, "2026-11-19", 1, allow_empty=True),
                "no_date": no_date(t),
            }
            for t in dag.tasks
        },
    }
print("PROBE " + json.dumps(out))
'''


def _airflow_env(home: Path, **extra: str) -> dict[str, str]:
    """The environment of an Airflow command: ours less Python/Spark/Airflow settings."""
    drop = ("PYTHON", "SPARK_", "PYSPARK", "AIRFLOW", "VIRTUAL_ENV", "JUPYTER")
    env = {k: v for k, v in os.environ.items() if not k.startswith(drop)}
    env.update(
        AIRFLOW_HOME=str(home),
        AIRFLOW__CORE__LOAD_EXAMPLES="False",
        AIRFLOW__CORE__DAGS_FOLDER=str(DAG_FOLDER),
        **extra,
    )
    return env


@pytest.fixture(scope="module")
def airflow_bin() -> Path:
    """The Airflow venv's bin/ (built by scripts/airflow_setup.sh if missing or outdated)."""
    started = time.perf_counter()
    done = subprocess.run(
        ["bash", str(SETUP)],
        capture_output=True,
        text=True,
        timeout=1800,
        env={k: v for k, v in os.environ.items() if k != "VIRTUAL_ENV"},
    )
    if done.returncode == 75:
        pytest.skip(
            "Airflow could not be installed (scripts/airflow_setup.sh: no package index reachable)"
        )
    assert done.returncode == 0, done.stdout + done.stderr[-4000:]
    print(f"\nairflow setup: {time.perf_counter() - started:.0f} s: {done.stdout.strip()}")
    return VENV / "bin"


def test_dag_integrity_and_rendered_commands(airflow_bin, tmp_path):
    probe = tmp_path / "probe.py"
    probe.write_text(PROBE)
    # No `airflow db migrate`: the metadata database has no tables, so the DAG file must not read
    # Variables (or anything else from the database) at parse time.
    done = subprocess.run(
        [str(airflow_bin / "python"), str(probe), str(DAG_FOLDER)],
        capture_output=True,
        text=True,
        timeout=300,
        env=_airflow_env(tmp_path / "airflow"),
    )
    assert done.returncode == 0, done.stderr[-4000:]
    line = next(x for x in done.stdout.splitlines() if x.startswith("PROBE "))
    out = json.loads(line.removeprefix("PROBE "))

    assert out["import_errors"] == {}
    assert out["dag_ids"] == ["sway_daily"]
    dag = out["dag"]
    assert dag["timetable"] == "CronDataIntervalTimetable"
    assert "0 0 * * *" in dag["timetable_repr"] and "UTC" in dag["timetable_repr"]
    assert dag["catchup"] is False
    assert dag["max_active_runs"] == 1
    assert dag["params"] == {"days": 1, "allow_empty": False, "allow_thin": False}

    stages = list(STAGES)
    assert stages == [
        "ingest", "aggregate", "prior", "edges", "audience", "propagate", "score", "publish",
    ]  # fmt: skip
    assert dag["order"] == stages
    tasks = dag["tasks"]
    assert set(tasks) == set(stages)
    for previous, stage in zip([None, *stages], stages, strict=False):
        task = tasks[stage]
        assert task["spark_submit"], stage
        assert task["upstream"] == ([previous] if previous else []), stage
        assert task["retries"] >= 2 and task["retry_delay_s"] >= 60, stage
        assert task["depends_on_past"] is True, stage
        # The date comes from the run's data interval (logical date), never from "now".
        assert task["sway_date"] == "{{ ds | default('') }}", stage

        days = ["--days", "90"] if stage in ("ingest", "aggregate") else []
        defaults = task["defaults"]
        assert defaults["cmd"] == [
            "spark-submit",
            "--master",
            "local[2]",
            *DELTA_CONF,
            "--py-files",
            "/opt/sway/sway.zip",
            "--packages",
            "io.delta:delta-spark_4.2_2.13:4.4.0",
            "--name",
            f"sway-{stage}-2026-11-20",
            "/opt/sway/main.py",
            stage,
            "--date",
            "2026-11-20",
            *days,
            "--conf",
            "/opt/sway/conf/local.yaml",
        ]
        assert defaults["env"] == {"SWAY_CONF_DIR": "/opt/sway/conf"}
        assert defaults["conn_id"] == "spark_default"

        custom = task["custom"]
        assert custom["conn_id"] == "sway_spark"
        assert custom["cmd"] == [
            "/opt/spark/bin/spark-submit",
            "--master",
            "local[1]",
            *DELTA_CONF,
            "--properties-file",
            "/etc/sway/spark.properties",
            "--packages",
            "io.delta:delta-spark_4.2_2.13:4.4.0,org.apache.hadoop:hadoop-aws:3.4.1",
            "--name",
            f"sway-{stage}-2026-11-19",
            "/src/sway/jobs/main.py",
            stage,
            "--date",
            "2026-11-19",
            *(["--allow-empty"] if stage == "ingest" else []),
            "--conf",
            "/srv/sway/conf/cluster.yaml",
            "--conf",
            "/etc/sway/mine.yaml",
            "--set",
            "lake.root=s3a://bucket/lake",
            "--set",
            "spark.shuffle_partitions=64",
            "--set",
            "propagation.alpha=0.9",
        ]
        assert custom["env"] == {"PYSPARK_PYTHON": "/opt/venv/bin/python"}
        assert task["no_date"] == "AirflowFailException", stage


def _no_site_python(folder: Path) -> Path:
    """A Python that skips site (no .pth, so not the editable install of Sway) but sees the
    venv's libraries: the job's code can then only come from sway.zip."""
    wrapper = folder / "python-nosite"
    purelib = sysconfig.get_paths()["purelib"]
    # After what spark-submit puts on the path (sway.zip, pyspark): the venv's libraries.
    path = f'PYTHONPATH="${{PYTHONPATH:+$PYTHONPATH:}}{purelib}"'
    wrapper.write_text(f'#!/bin/sh\n{path} exec "{sys.executable}" -S "$@"\n')
    wrapper.chmod(wrapper.stat().st_mode | stat.S_IXUSR)
    return wrapper


def _scores(lake: Path, day: dt.date) -> list[tuple]:
    from deltalake import DeltaTable

    scores = DeltaTable(str(lake / "scores")).to_pandas()
    today = scores[scores["score_date"] == day]
    return sorted(
        zip(today["person_id"], today["score"].round(9), today["percentile"].round(9), strict=True)
    )


def _zip_version(dist: Path) -> str:
    """Sway's version as the metadata inside sway.zip gives it."""
    return next(
        n.split("/")[0][len("sway-") : -len(".dist-info")]
        for n in zipfile.ZipFile(dist / "sway.zip").namelist()
        if n.endswith("METADATA")
    )


@pytest.mark.slow
def test_airflow_dags_test_scores_the_date(airflow_bin, daily_run, tmp_path):
    """`airflow dags test` reruns the shared tiny lake's last date on a copy, ingesting and
    aggregating its last two days (`days` = 2), with the packaged build (scripts/package.py) as
    the application and a Python without site (the code comes from sway.zip alone): every stage
    a spark-submit of its own, the scores those of the in-process run."""
    from deltalake import DeltaTable

    from scripts.package import package

    config, _, last = daily_run
    lake = tmp_path / "lake"
    shutil.copytree(config.lake.root, lake)
    published = _scores(lake, last)
    dist = tmp_path / "dist"
    package(dist)
    spark_submit = Path(sys.executable).parent / "spark-submit"
    if not spark_submit.exists():
        pytest.skip("no spark-submit next to the Python interpreter")
    env = _airflow_env(
        tmp_path / "airflow",
        AIRFLOW_VAR_SWAY_HOME=str(dist),
        AIRFLOW_VAR_SWAY_LAKE_ROOT=str(lake),
        AIRFLOW_VAR_SWAY_SET="spark.shuffle_partitions=2",
        AIRFLOW_VAR_SWAY_SPARK_SUBMIT=str(spark_submit),
        AIRFLOW_VAR_SWAY_PYSPARK_PYTHON=str(_no_site_python(tmp_path)),
        AIRFLOW_CONN_SPARK_DEFAULT=json.dumps({"conn_type": "spark", "host": "local[2]"}),
    )
    airflow = str(airflow_bin / "airflow")

    began, started = dt.datetime.now(dt.UTC), time.perf_counter()
    done = subprocess.run(
        [airflow, "db", "migrate"], capture_output=True, text=True, timeout=600, env=env
    )
    assert done.returncode == 0, done.stderr[-4000:]
    migrated = time.perf_counter()
    done = subprocess.run(
        [airflow, "dags", "test", "sway_daily", last.isoformat(), "--conf", '{"days": 2}'],
        capture_output=True,
        text=True,
        timeout=2700,
        env=env,
        cwd=tmp_path,
    )
    log = done.stdout + done.stderr
    (tmp_path / "dags-test.log").write_text(log)
    assert done.returncode == 0, log[-6000:]
    finished = time.perf_counter()
    print(f"\nairflow db migrate {migrated - started:.0f} s, dags test {finished - migrated:.0f} s")

    assert "DagRun Finished: dag_id=sway_daily" in log and "state=success" in log
    for stage in STAGES:
        days = " --days 2" if stage in ("ingest", "aggregate") else ""
        assert f"main.py {stage} --date {last.isoformat()}{days} --conf" in log, stage
        assert f"stage={stage} date={last.isoformat()}: done" in log, stage
    assert _scores(lake, last) == published and len(published) > 100

    rows = DeltaTable(str(lake / "runs")).to_pandas()
    rows = rows[rows["started_at"] >= began]  # this run's rows, not the copied lake's
    # Each stage once: its `started` row, then its end row, succeeded; the two days of ingest
    # and aggregate fit one window (window.backfill_chunk_days), dated at the date.
    started_rows, runs = rows[rows["status"] == "started"], rows[rows["status"] != "started"]
    assert len(started_rows) == len(runs) == len(STAGES) and set(runs["stage"]) == set(STAGES)
    assert (runs["status"] == "succeeded").all() and set(runs["score_date"]) == {last}
    # The manifest's code version comes from the zip's metadata: no git checkout was at hand.
    assert set(rows["code_version"]) == {_zip_version(dist)}
