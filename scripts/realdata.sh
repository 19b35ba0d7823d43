#!/usr/bin/env bash
# The score on real people: import the public data sets of shared/realdata into one lake each,
# run the daily job for the score dates of the backtest and judge them (docs/EVALUATION.md §1).
#
#   scripts/realdata.sh [ROOT] [STEP...]     ROOT: where the lakes go (default /tmp/sway-real)
#   steps: import backtest fit rescore (default: import backtest)
#
#   import    the three data sets (MathOverflow's three typed files, AskUbuntu, Digg)
#   backtest  python -m jobs backtest --run on each lake's score dates (Q&A: every 180 / 365 days,
#             horizon 7; Digg: every day that leaves a 3-day horizon)
#   fit       python -m jobs fit on MathOverflow's early dates (2010-03-01 .. 2011-10-22, every
#             120 days), which no backtest date shares; prints the weights (freezing them is
#             `fit --write` under a new algorithm_version, with its calibration)
#   rescore   score and publish each backtest date again (new weights or calibration), then judge
#
# The lakes need about 0.5 GB; on 2 cores the import takes ~8 min, the backtests ~40 min.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="${1:-/tmp/sway-real}"
shift || true
STEPS=("${@:-import backtest}")
REAL="${SWAY_REALDATA:-$(cd .. && pwd)/shared/realdata}"
PY=.venv/bin/python
CONF=(--conf conf/local.yaml --conf conf/realdata.yaml --set window.backfill_chunk_days=90)

lake() { echo "--set lake.root=$ROOT/$1"; }

import_all() {
  local C=("${CONF[@]}" --consent opted_in)
  for t in a2q:answer c2q:comment c2a:comment; do
    $PY -m jobs import --format edgelist --path "$REAL/sx-mathoverflow/sx-mathoverflow-${t%%:*}.txt.gz" \
      --network qa --action "${t##*:}" "${C[@]}" $(lake mathoverflow)
  done
  $PY -m jobs import --format edgelist --path "$REAL/sx-askubuntu/sx-askubuntu-a2q.txt.gz" \
    --network qa --action answer "${C[@]}" $(lake askubuntu)
  $PY -m jobs import --format edgelist --path "$REAL/digg-reply/out.munmun_digg_reply" \
    --network digg --columns actor,target,_,time --action reply "${C[@]}" $(lake digg)
}

# name, from, to, every, horizon: the backtest dates of each lake (none is a fit date).
BACKTESTS=(
  "mathoverflow 2012-03-01 2016-02-20 180 7"
  "askubuntu 2011-03-01 2016-02-28 365 7"
  "digg 2008-10-30 2008-11-10 1 3"
)

backtest_all() {  # $1: --run or --rescore
  for spec in "${BACKTESTS[@]}"; do
    read -r name first last every horizon <<<"$spec"
    $PY -m jobs backtest --from "$first" --to "$last" --every "$every" --horizon "$horizon" "$1" \
      "${CONF[@]}" $(lake "$name")
  done
}

for step in ${STEPS[*]}; do
  case "$step" in
    import) import_all ;;
    backtest) backtest_all --run ;;
    rescore) backtest_all --rescore ;;
    fit)
      $PY -m jobs fit --from 2010-03-01 --to 2011-10-22 --every 120 --horizon 7 --run \
        "${CONF[@]}" $(lake mathoverflow) --save-rows "$ROOT/mathoverflow-fit-rows.parquet" ;;
    *) echo "unknown step $step (import, backtest, fit, rescore)" >&2; exit 2 ;;
  esac
done
