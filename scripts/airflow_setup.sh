#!/usr/bin/env bash
# Creates the Airflow 3 environment of the DAG in deploy/airflow/ (docs/AIRFLOW.md): a virtual environment
# of its own, .airflow-venv/ (or $AIRFLOW_VENV), with apache-airflow and the Apache Spark provider.
# Airflow's dependency pins never meet Sway's: Sway's code runs in .venv, launched by spark-submit.
#
# Pins: Airflow's constraints file for this version when it can be fetched, else the pins below
# (what pip resolved for these two packages on Python 3.11; the constraints file cannot always be
# fetched where only PyPI is reachable). Safe to rerun: nothing happens when the stamp matches.
# Exit code 75: the packages could not be downloaded (no network); tests/test_dag.py then skips.
set -euo pipefail
SCRIPT="$(cd "$(dirname "$0")" && pwd)/$(basename "$0")"
cd "$(dirname "$SCRIPT")/.."

AIRFLOW_VERSION=3.3.2
SPARK_PROVIDER_VERSION=6.3.4
VENV="${AIRFLOW_VENV:-.airflow-venv}"
PYTHON="${PYTHON:-python3.11}"
command -v "$PYTHON" >/dev/null 2>&1 || PYTHON=python3
PY_MINOR=$("$PYTHON" -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")')
CONSTRAINTS_URL="https://raw.githubusercontent.com/apache/airflow/constraints-${AIRFLOW_VERSION}/constraints-${PY_MINOR}.txt"

stamp="$VENV/.sway-airflow-installed"
wanted=$(sha256sum "$SCRIPT" | cut -c1-16)
if [ -x "$VENV/bin/airflow" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$wanted" ]; then
  echo "airflow-setup: $VENV is up to date (apache-airflow $AIRFLOW_VERSION)"
  exit 0
fi

started=$(date +%s)
echo "airflow-setup: creating $VENV with $("$PYTHON" --version) (first time: about a minute)"
"$PYTHON" -m venv "$VENV"
"$VENV/bin/python" -m pip install --quiet --upgrade pip

constraints=$(mktemp)
trap 'rm -f "$constraints"' EXIT
if curl -fsSL --max-time 15 "$CONSTRAINTS_URL" -o "$constraints" 2>/dev/null; then
  echo "airflow-setup: using Airflow's constraints file $CONSTRAINTS_URL"
else
  echo "airflow-setup: Airflow's constraints file is not reachable; using the pins of this script"
  cat > "$constraints" <<'PINS'
a2wsgi==1.10.10
aiosmtplib==5.1.3
aiosqlite==0.22.1
alembic==1.20.1
annotated-doc==0.0.7
annotated-types==0.8.0
anyio==4.16.0
apache-airflow==3.3.2
apache-airflow-core==3.3.2
apache-airflow-providers-apache-spark==6.3.4
apache-airflow-providers-common-compat==1.23.0
apache-airflow-providers-common-io==1.11.0
apache-airflow-providers-common-sql==2.4.0
apache-airflow-providers-smtp==3.2.0
apache-airflow-providers-standard==1.21.0
apache-airflow-task-sdk==1.3.2
argcomplete==3.7.2
arrow==1.4.0
asgiref==3.13.0
attrs==26.1.0
babel==2.18.0
cachetools==8.0.1
cadwyn==7.0.0
certifi==2026.10.18
cffi==2.1.1
charset-normalizer==3.5.2
click==8.5.1
colorlog==6.12.0
cron_descriptor==2.2.1
croniter==7.0.0
cryptography==50.0.2
Deprecated==1.3.1
dill==0.4.1
dnspython==2.9.2
email-validator==2.4.0
fastapi==0.136.3
fastapi-cli==0.0.34
fsspec==2026.9.0
googleapis-common-protos==1.76.0
greenback==1.3.0
greenlet==3.5.6
grpcio==1.85.1
grpcio-status==1.85.1
h11==0.16.0
httpcore==1.0.9
httptools==0.9.0
httpx==0.28.1
idna==3.20
importlib_metadata==10.2.0
isoduration==20.11.0
itsdangerous==2.2.0
Jinja2==3.1.6
jsonschema==4.26.0
jsonschema-specifications==2025.9.1
lazy-importer==0.1.0
lazy-object-proxy==1.13.0
libcst==1.9.0
linkify-it-py==2.2.0
lockfile==0.12.2
Mako==1.4.3
markdown-it-py==4.3.0
MarkupSafe==3.0.4
mdurl==0.1.2
methodtools==0.4.7
more-itertools==11.2.1
msgspec==0.22.0
natsort==8.4.0
numpy==2.4.6
opentelemetry-api==1.45.2
opentelemetry-exporter-http-transport==0.66b2
opentelemetry-exporter-otlp==1.45.2
opentelemetry-exporter-otlp-common==0.66b2
opentelemetry-exporter-otlp-proto-common==1.45.2
opentelemetry-exporter-otlp-proto-grpc==1.45.2
opentelemetry-exporter-otlp-proto-http==1.45.2
opentelemetry-proto==1.45.2
opentelemetry-sdk==1.45.2
opentelemetry-semantic-conventions==0.66b2
outcome==1.3.0.post0
packaging==26.3
pandas==3.1.1
pathlib_abc==0.5.2
pathspec==1.1.1
pendulum==3.3.0
pluggy==1.7.0
protobuf==7.36.2
psutil==7.2.2
pyarrow==26.0.1
pycparser==3.12
pydantic==2.14.3
pydantic-extra-types==2.11.1
pydantic-settings==2.16.3
pydantic_core==2.50.4
Pygments==2.21.0
pygtrie==2.6.2
PyJWT==2.15.1
pyspark-client==4.2.0
python-daemon==3.1.2
python-dateutil==4.0.0
python-dotenv==1.2.4
python-multipart==0.0.34
python-slugify==9.2.0
PyYAML==6.0.3
referencing==0.37.0
requests==2.34.2
rich==15.0.0
rich-argparse==1.8.0
rich-toolkit==0.20.6
rpds-py==2026.9.1
setproctitle==1.3.8
shellingham==1.5.4
six==1.17.0
sniffio==1.3.1
SQLAlchemy==2.1.9
sqlparse==0.6.1
starlette==1.10.0
structlog==26.1.0
svcs==26.2.0
tabulate==0.10.0
tenacity==9.2.1
termcolor==3.3.0
text-unidecode==1.3
typer==0.29.2
typing-inspection==0.4.5
typing_extensions==4.16.0
tzdata==2026.6
universal_pathlib==0.3.10
urllib3==2.8.0
uuid6==2025.0.1
uvicorn==0.54.0
uvloop==0.23.0
watchfiles==1.3.0
websockets==17.4
wirerope==1.0.0
wrapt==2.5.2
zipp==4.1.2
zstandard==0.25.0
PINS
fi

if ! "$VENV/bin/python" -m pip install --quiet --constraint "$constraints" \
    "apache-airflow==${AIRFLOW_VERSION}" \
    "apache-airflow-providers-apache-spark==${SPARK_PROVIDER_VERSION}"; then
  probe=$(mktemp -d)
  if ! "$VENV/bin/python" -m pip download --quiet --no-deps --no-cache-dir -d "$probe" \
      "apache-airflow-core==${AIRFLOW_VERSION}" >/dev/null 2>&1; then
    rm -rf "$probe"
    echo "airflow-setup: cannot download Airflow from the package index (no network?)" >&2
    exit 75
  fi
  rm -rf "$probe"
  echo "airflow-setup: installing Airflow failed" >&2
  exit 1
fi
echo "$wanted" > "$stamp"
echo "airflow-setup: apache-airflow ${AIRFLOW_VERSION} + apache-spark provider ${SPARK_PROVIDER_VERSION} in $VENV ($(( $(date +%s) - started )) s)"
