"""A local Spark Connect server with Delta Lake, for notebooks and jobs run as thin clients.

    python scripts/connect_server.py [--port 15002] [--conf conf/local.yaml] [--set k=v ...]
    python -m jobs daily --date D --set spark.remote=sc://localhost:15002

It runs pyspark's own Spark Connect server class (the JAR ships with pyspark) with the config's
Delta JARs, Delta extension, checkpoint folder and Spark settings, and this checkout's Python as
the workers' interpreter (Sway's UDFs import `transforms` there). Stops on Ctrl-C. On a cluster
or Databricks the platform runs the server; docs/CLUSTER.md says what it needs.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

import pyspark

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from jobs.config import SwayConfig, load_config  # noqa: E402
from jobs.session import classic_settings  # noqa: E402

SERVER_CLASS = "org.apache.spark.sql.connect.service.SparkConnectServer"
STARTED = "Spark Connect server started"


def server_command(config: SwayConfig, port: int) -> list[str]:
    submit = Path(pyspark.__file__).parent / "bin" / "spark-submit"
    argv = [str(submit), "--class", SERVER_CLASS, "--name", "sway-connect"]
    if config.spark.master:
        argv += ["--master", config.spark.master]
    settings = classic_settings(config)
    settings["spark.connect.grpc.binding.port"] = str(port)
    for key, value in settings.items():
        argv += ["--conf", f"{key}={value}"]
    return [*argv, "spark-internal"]


def start(config: SwayConfig, port: int, log: Path) -> subprocess.Popen:
    """Start the server (its output to `log`); returns once it listens on `port`."""
    env = dict(os.environ, PYSPARK_PYTHON=sys.executable)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    handle = log.open("w")
    server = subprocess.Popen(
        server_command(config, port), cwd=REPO, env=env, stdout=handle, stderr=subprocess.STDOUT,
        start_new_session=True,
    )  # fmt: skip
    deadline = time.monotonic() + 300
    while STARTED not in log.read_text(errors="replace"):
        if server.poll() is not None or time.monotonic() > deadline:
            server.kill()
            tail = log.read_text(errors="replace")[-2000:]
            raise RuntimeError(f"the Spark Connect server did not start: {tail}")
        time.sleep(0.5)
    return server


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=15002)
    parser.add_argument("--conf", action="append", default=[], metavar="YAML")
    parser.add_argument("--set", action="append", default=[], dest="overrides")
    parser.add_argument("--log", type=Path, default=Path("connect-server.log"))
    args = parser.parse_args(argv)
    config = load_config(args.conf or [str(REPO / "conf" / "local.yaml")], args.overrides)
    server = start(config, args.port, args.log)
    print(f"Spark Connect server on sc://localhost:{args.port} (log: {args.log}); Ctrl-C stops it")
    try:
        server.wait()
    except KeyboardInterrupt:
        server.terminate()
        server.wait()
    return 0


if __name__ == "__main__":
    sys.exit(main())
