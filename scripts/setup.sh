#!/usr/bin/env bash
# Sets up the project once: checks Java and Python, creates .venv and installs Sway with its dev
# extra. Safe to rerun: it reinstalls only when pyproject.toml changed.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v java >/dev/null 2>&1 && [ -z "${JAVA_HOME:-}" ]; then
  cat >&2 <<'MSG'
Sway runs on Apache Spark, which needs Java 17, and no Java was found (no `java` on PATH, no JAVA_HOME).
Install it, then run this command again:
  Debian/Ubuntu:  sudo apt-get install -y openjdk-17-jre-headless
  Fedora/RHEL:    sudo dnf install -y java-17-openjdk-headless
  macOS:          brew install openjdk@17
MSG
  exit 3
fi

PYTHON="${PYTHON:-python3.11}"
command -v "$PYTHON" >/dev/null 2>&1 || PYTHON=python3
if ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))'; then
  echo "Sway needs Python 3.11 (found $("$PYTHON" --version 2>&1)); set PYTHON=/path/to/python3.11" >&2
  exit 3
fi

if [ ! -x .venv/bin/python ]; then
  echo "setup: creating .venv with $("$PYTHON" --version)"
  "$PYTHON" -m venv .venv
fi
stamp=.venv/.sway-installed
wanted=$(sha256sum pyproject.toml | cut -c1-16)
if [ "$(cat "$stamp" 2>/dev/null)" != "$wanted" ]; then
  echo "setup: installing Sway and its dependencies into .venv (first time: a few minutes)"
  .venv/bin/python -m pip install --quiet --upgrade pip
  .venv/bin/python -m pip install --quiet -e ".[dev]"
  echo "$wanted" > "$stamp"
fi

# The Delta Lake JARs (conf/base.yaml spark.packages), resolved by Spark's Ivy from Maven Central
# once and cached, so that a first run has no download surprise. A session start resolves them.
if ! ls "${HOME}"/.ivy2*/jars/io.delta_delta-spark_*.jar >/dev/null 2>&1; then
  echo "setup: fetching the Delta Lake JARs from Maven Central (once)"
  .venv/bin/python - <<'PY'
from jobs.config import load_config
from jobs.session import build_session

config = load_config(["conf/local.yaml"], ["spark.log_level=ERROR", "lake.root=/tmp/sway-setup"])
build_session(config).stop()
PY
fi
