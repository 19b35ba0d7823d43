"""The SparkSession: built from the config, never at import time."""

from __future__ import annotations

import logging
import os
import shutil
import sys

from pyspark.sql import SparkSession

from jobs.config import SwayConfig

log = logging.getLogger(__name__)

DELTA_EXTENSION = "io.delta.sql.DeltaSparkSessionExtension"
DELTA_CATALOG = "org.apache.spark.sql.delta.catalog.DeltaCatalog"


class JavaMissingError(RuntimeError):
    """Spark needs a Java runtime and none was found."""


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


def build_session(config: SwayConfig) -> SparkSession:
    """Get or create the session for a run; spark-submit settings take precedence over master."""
    require_java()
    # Python workers must run the same interpreter as the driver (venvs, notebooks).
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    builder = SparkSession.builder.appName(config.spark.app_name)
    if config.spark.master:
        builder = builder.master(config.spark.master)
    settings = {
        "spark.sql.shuffle.partitions": str(config.spark.shuffle_partitions),
        "spark.sql.session.timeZone": "UTC",
        # Delta readers everywhere understand microsecond timestamps; INT96 is legacy.
        "spark.sql.parquet.outputTimestampType": "TIMESTAMP_MICROS",
        "spark.sql.sources.partitionOverwriteMode": "static",
        "spark.sql.execution.arrow.pyspark.enabled": "true",
        # The propagation checkpoints every few iterations; delete the files once unreferenced.
        "spark.cleaner.referenceTracking.cleanCheckpoints": "true",
    }
    settings.update(config.spark.conf)
    for key, value in settings.items():
        builder = builder.config(key, value)
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel(config.spark.log_level)
    spark.sparkContext.setCheckpointDir(config.checkpoint_dir)
    return spark


def delta_jars_present(spark: SparkSession) -> bool:
    """True when delta-spark's classes are on the driver's classpath (clusters, --packages)."""
    try:
        spark.sparkContext._jvm.java.lang.Class.forName(  # type: ignore[union-attr]
            "io.delta.tables.DeltaTable",
            True,
            spark.sparkContext._jvm.java.lang.Thread.currentThread().getContextClassLoader(),  # type: ignore[union-attr]
        )
        return True
    except Exception:  # noqa: BLE001 - py4j wraps ClassNotFoundException
        return False
