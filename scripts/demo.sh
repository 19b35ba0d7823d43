#!/usr/bin/env bash
# Command 1 of the README: set up if needed, generate the `small` sample lake, run the daily job for
# its last two days on local Spark, print the top people and where the tables are.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/python scripts/demo.py "$@"
