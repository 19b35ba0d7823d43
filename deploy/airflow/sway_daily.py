"""Airflow 3 DAG `sway_daily`: the Sway daily job, one run per day, one task per stage.

Drop this file into Airflow's dags folder (it imports nothing from Sway). Each task runs
`spark-submit main.py <stage> --date <ds> ...` with the SparkSubmitOperator of the Apache Spark
provider (apache-airflow-providers-apache-spark), in the order of `python -m jobs daily`:
ingest -> aggregate -> prior -> edges -> audience -> propagate -> score -> publish. Every stage is
idempotent for its date, so a failed stage is retried alone and a cleared task reruns alone.
docs/AIRFLOW.md has the variables, the date semantics, first run and backfills.

The date: the DAG runs on a daily *data interval* timetable (UTC midnight to midnight) and passes
`{{ ds }}`, the run's logical date. For scheduled and backfill runs that is the start of the data
interval, i.e. the UTC day whose activity is scored; the run starts once that day is over. For a
manual run (`airflow dags trigger --logical-date D`, `airflow dags test sway_daily D`) it is D.
Never "now".

Settings come from Airflow Variables, read through templates when a task runs (never while the file
is parsed), each with a default:

    sway_home            /opt/sway       dist/ of scripts/package.py (main.py, sway.zip, conf/)
    sway_application     <home>/main.py  the application file
    sway_py_files        <home>/sway.zip --py-files (empty: none, e.g. jobs/main.py of a checkout)
    sway_conf            <home>/conf/local.yaml  config overlays, comma-separated, in order
    sway_conf_dir        <home>/conf     SWAY_CONF_DIR of the driver (empty: not set, cluster mode)
    sway_lake_root       (empty)         --set lake.root=... (empty: the config's lake.root)
    sway_set             (empty)         more `key=value` overrides, separated by spaces
    sway_spark_conn_id   spark_default   the Spark connection (master, deploy mode, queue)
    sway_spark_submit    spark-submit    the spark-submit binary (name on PATH or full path)
    sway_pyspark_python  (empty)         PYSPARK_PYTHON of the job (empty: not set)
    sway_properties_file (empty)         --properties-file (more Spark settings)
    sway_packages        io.delta:delta-spark_4.2_2.13:4.4.0
                                         --packages: the Delta Lake JARs (empty: none, e.g.
                                         already on the cluster's classpath)

Run parameter `days` (default 1): ingest/aggregate the N days ending at the date, for the first
run: `airflow dags trigger sway_daily --logical-date 2026-11-20 --conf '{"days": 90}'`. The job
goes through them in windows of `window.backfill_chunk_days` days (one manifest row each).
Run parameters `allow_empty` / `allow_thin` (default false): a day with no raw interactions, or
far fewer than the days before it, fails the ingest task; a rerun with one of them set lets it go
on (`--conf '{"allow_empty": true}'`).
"""

from __future__ import annotations

import shlex
from datetime import UTC, datetime, timedelta

from airflow.providers.apache.spark.operators.spark_submit import SparkSubmitOperator
from airflow.sdk import DAG, CronDataIntervalTimetable, Param, chain
from airflow.sdk.exceptions import AirflowFailException

DAG_ID = "sway_daily"
# The order of `python -m jobs daily` (jobs/stages/__init__.py STAGES).
STAGES = ("ingest", "aggregate", "prior", "edges", "audience", "propagate", "score", "publish")
# Stages that take --days (several days of raw events at once: first run, catching up).
MULTI_DAY_STAGES = ("ingest", "aggregate")


def _var(name: str, default: str) -> str:
    """A Jinja expression for Variable `name`, or `default` (itself a Jinja expression)."""
    return f"var.value.get('{name}', {default})"


HOME = _var("sway_home", "'/opt/sway'")
APPLICATION = "{{ " + _var("sway_application", HOME + " ~ '/main.py'") + " }}"
PY_FILES = "{{ " + _var("sway_py_files", HOME + " ~ '/sway.zip'") + " }}"
CONF = "{{ " + _var("sway_conf", HOME + " ~ '/conf/local.yaml'") + " }}"
CONF_DIR = "{{ " + _var("sway_conf_dir", HOME + " ~ '/conf'") + " }}"
LAKE_ROOT = "{{ " + _var("sway_lake_root", "''") + " }}"
OVERRIDES = "{{ " + _var("sway_set", "''") + " }}"
CONN_ID = "{{ " + _var("sway_spark_conn_id", "'spark_default'") + " }}"
SPARK_SUBMIT = "{{ " + _var("sway_spark_submit", "'spark-submit'") + " }}"
PYSPARK_PYTHON = "{{ " + _var("sway_pyspark_python", "''") + " }}"
PROPERTIES_FILE = "{{ " + _var("sway_properties_file", "''") + " }}"
# The Delta Lake JARs (Maven coordinates; the artifact names the Spark minor version, 4.2) and the
# settings that turn them on: spark-submit starts the JVM before the job runs, so they go here.
PACKAGES = "{{ " + _var("sway_packages", "'io.delta:delta-spark_4.2_2.13:4.4.0'") + " }}"
DELTA_CONF = {
    "spark.sql.extensions": "io.delta.sql.DeltaSparkSessionExtension",
    "spark.sql.catalog.spark_catalog": "org.apache.spark.sql.delta.catalog.DeltaCatalog",
}
# The score date: the run's logical date (= the data interval's start for scheduled runs). A run
# without a logical date has no `ds`: it renders empty and the task fails without retrying.
DATE = "{{ ds | default('') }}"
DAYS = "{{ params.days }}"
# The run health checks the operator lets go for this run: "empty", "thin", both or none.
ALLOW = (
    "{{ 'empty' if params.allow_empty | default(false) else '' }} "
    "{{ 'thin' if params.allow_thin | default(false) else '' }}"
)


class SwayStageOperator(SparkSubmitOperator):
    """spark-submit of one Sway stage for the run's date.

    On top of SparkSubmitOperator: the connection id and the spark-submit binary are templated
    (they come from Variables), the application arguments are assembled at run time from the
    templated date, overlays and overrides, and settings left empty are left out.
    """

    template_fields = (
        *SparkSubmitOperator.template_fields,
        "_conn_id",
        "_spark_binary",
        "sway_date",
        "sway_days",
        "sway_allow",
        "sway_conf",
        "sway_lake_root",
        "sway_set",
    )

    def __init__(
        self,
        *,
        stage: str,
        sway_date: str = DATE,
        sway_days: str = DAYS,
        sway_allow: str = ALLOW,
        sway_conf: str = CONF,
        sway_lake_root: str = LAKE_ROOT,
        sway_set: str = OVERRIDES,
        **kwargs,
    ) -> None:
        kwargs.setdefault("task_id", stage)
        kwargs.setdefault("name", f"sway-{stage}-{DATE}")
        super().__init__(**kwargs)
        self.stage = stage
        self.sway_date = sway_date
        self.sway_days = sway_days
        self.sway_allow = sway_allow
        self.sway_conf = sway_conf
        self.sway_lake_root = sway_lake_root
        self.sway_set = sway_set

    def sway_arguments(self) -> list[str]:
        """The application arguments: `<stage> --date D [--days N] --conf ... --set ...`."""
        date = str(self.sway_date).strip()
        if not date:
            raise AirflowFailException(
                f"{self.task_id}: the run has no logical date, so no day to score; trigger it with "
                "a logical date (airflow dags trigger sway_daily --logical-date YYYY-MM-DD)"
            )
        args = [self.stage, "--date", date]
        if self.stage in MULTI_DAY_STAGES and int(self.sway_days) > 1:
            args += ["--days", str(int(self.sway_days))]
        if self.stage == "ingest":  # the stage that checks the day's input
            args += [f"--allow-{check}" for check in str(self.sway_allow).split()]
        for overlay in str(self.sway_conf).split(","):
            if overlay.strip():
                args += ["--conf", overlay.strip()]
        if str(self.sway_lake_root).strip():
            args += ["--set", f"lake.root={str(self.sway_lake_root).strip()}"]
        for item in shlex.split(str(self.sway_set)):
            args += ["--set", item]
        return args

    def render_template_fields(self, context, jinja_env=None) -> None:
        super().render_template_fields(context, jinja_env)
        # Show the whole command line among the rendered fields (UI, `airflow tasks render`).
        if str(self.sway_date).strip():
            self.application_args = self.sway_arguments()

    def apply_rendered(self) -> None:
        """After rendering: the application arguments; settings left empty are left out."""
        self.application_args = self.sway_arguments()
        self.env_vars = {k: str(v) for k, v in (self.env_vars or {}).items() if str(v).strip()}
        self.py_files = self.py_files or None
        self.properties_file = self.properties_file or None
        self.packages = self.packages or None
        self._conn_id = self._conn_id or "spark_default"
        self._spark_binary = self._spark_binary or "spark-submit"
        self._hook = None  # built from the rendered values

    def execute(self, context):
        self.apply_rendered()
        return super().execute(context)


with DAG(
    dag_id=DAG_ID,
    description="Sway daily influence scores: one spark-submit per stage for the day",
    # Data intervals of one UTC day: the run for day D starts at D+1 00:00 UTC and gets ds = D.
    # (A plain "@daily" would be a trigger timetable in Airflow 3: ds would be the run's day.)
    schedule=CronDataIntervalTimetable("0 0 * * *", timezone="UTC"),
    start_date=datetime(2026, 1, 1, tzinfo=UTC),
    # No automatic catch-up from start_date: history is loaded on purpose, with the `days` param
    # or `airflow backfill create` (docs/AIRFLOW.md).
    catchup=False,
    # Day D warm-starts from D-1's ranks and computes deltas from D-1's scores: days run one at a
    # time, in order, and a day does not start a stage before that stage succeeded the day before.
    max_active_runs=1,
    params={
        "days": Param(
            1,
            type="integer",
            minimum=1,
            maximum=400,
            description="ingest/aggregate the N days ending at the date (first run: 90)",
        ),
        "allow_empty": Param(
            False, type="boolean", description="go on when a day has no raw interactions"
        ),
        "allow_thin": Param(
            False,
            type="boolean",
            description="go on when a day has far fewer raw interactions than the days before",
        ),
    },
    default_args={
        "owner": "sway",
        "depends_on_past": True,
        "retries": 2,
        "retry_delay": timedelta(minutes=5),
        "retry_exponential_backoff": 2.0,
        "max_retry_delay": timedelta(minutes=30),
        "execution_timeout": timedelta(hours=6),
    },
    tags=["sway", "spark"],
    doc_md=__doc__,
) as dag:
    chain(
        *(
            SwayStageOperator(
                stage=stage,
                application=APPLICATION,
                py_files=PY_FILES,
                conn_id=CONN_ID,
                spark_binary=SPARK_SUBMIT,
                properties_file=PROPERTIES_FILE,
                packages=PACKAGES,
                conf=DELTA_CONF,
                env_vars={"PYSPARK_PYTHON": PYSPARK_PYTHON, "SWAY_CONF_DIR": CONF_DIR},
            )
            for stage in STAGES
        )
    )
