"""The SparkSession: built from the config, never at import time, classic or over Spark Connect."""

from __future__ import annotations

import logging
import os
import shutil
import sys

from pyspark.errors import PySparkRuntimeError
from pyspark.sql import SparkSession

from jobs.config import SwayConfig

log = logging.getLogger(__name__)

DELTA_SETTINGS = {
    "spark.sql.extensions": "io.delta.sql.DeltaSparkSessionExtension",
    "spark.sql.catalog.spark_catalog": "org.apache.spark.sql.delta.catalog.DeltaCatalog",
}
# Session settings a Spark Connect client may set (runtime SQL settings; the rest is the server's).
SQL_SETTINGS = {
    "spark.sql.session.timeZone": "UTC",
    # Delta readers everywhere understand microsecond timestamps; INT96 is legacy.
    "spark.sql.parquet.outputTimestampType": "TIMESTAMP_MICROS",
    "spark.sql.sources.partitionOverwriteMode": "static",
    "spark.sql.execution.arrow.pyspark.enabled": "true",
}


class JavaMissingError(RuntimeError):
    """Spark needs a Java runtime and none was found."""


class SparkStartError(RuntimeError):
    """The Spark driver did not start (most often: the Delta JARs could not be resolved)."""


def require_java() -> None:
    """Fail early, with install advice, when no Java runtime is reachable."""
    java_home = os.environ.get("JAVA_HOME")
    if java_home and os.path.exists(os.path.join(java_home, "bin", "java")):
        return
    if shutil.which("java"):
        return
    raise JavaMissingError(
        "Spark needs Java 17 and none was found (no JAVA_HOME, no `java` on PATH).\n"
        "Install it, e.g. `sudo apt-get install openjdk-17-jre-headless` (Debian/Ubuntu), "
        "`brew install openjdk@17` (macOS), then run the command again."
    )


def classic_settings(config: SwayConfig) -> dict[str, str]:
    """Every setting of a classic session: Delta, the JARs to resolve, SQL settings, overrides."""
    settings = dict(DELTA_SETTINGS)
    if config.spark.packages:
        settings["spark.jars.packages"] = ",".join(config.spark.packages)
    settings.update(SQL_SETTINGS)
    settings["spark.sql.shuffle.partitions"] = str(config.spark.shuffle_partitions)
    # The propagation checkpoints every few iterations; delete the files once unreferenced.
    settings["spark.cleaner.referenceTracking.cleanCheckpoints"] = "true"
    settings["spark.checkpoint.dir"] = config.checkpoint_dir
    settings.update(config.spark.conf)
    return settings


def build_session(config: SwayConfig) -> SparkSession:
    """Get or create the session for a run: over Spark Connect when `spark.remote` is set (the
    server brings Delta and the checkpoint folder), else a classic session; spark-submit
    settings take precedence over master."""
    if config.spark.remote:
        return remote_session(config)
    require_java()
    # Python workers must run the same interpreter as the driver (venvs, notebooks).
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    builder = SparkSession.builder.appName(config.spark.app_name)
    if config.spark.master:
        builder = builder.master(config.spark.master)
    for key, value in classic_settings(config).items():
        builder = builder.config(key, value)
    try:
        spark = builder.getOrCreate()
    except PySparkRuntimeError as exc:
        raise SparkStartError(
            f"Spark did not start ({exc.getErrorClass()}); if its output says "
            f"'unresolved dependency', it could not download {', '.join(config.spark.packages)}: "
            "point spark.jars at local copies instead (--set 'spark.packages=[]' and "
            'spark.conf."spark.jars"=a.jar,b.jar; docs/CLUSTER.md)'
        ) from exc
    spark.sparkContext.setLogLevel(config.spark.log_level)
    return spark


def remote_session(config: SwayConfig) -> SparkSession:
    """A Spark Connect session to `spark.remote` with the run's SQL settings."""
    builder = SparkSession.builder.remote(config.spark.remote)
    spark = builder.getOrCreate()
    settings = dict(SQL_SETTINGS)
    settings["spark.sql.shuffle.partitions"] = str(config.spark.shuffle_partitions)
    for key, value in settings.items():
        spark.conf.set(key, value)
    return spark
