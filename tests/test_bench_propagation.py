"""The propagation benchmark end to end on a tiny power-law graph (GraphX included), in-process."""

from __future__ import annotations

import json

import numpy as np

from scripts import powerlaw_graph as plg
from scripts.bench_propagation import main

KEYS = [
    "edges", "iterations", "engine_s", "graphx_s", "scipy_s", "ratio_graphx", "ratio_scipy",
    "max_abs_diff", "warm_iterations", "cold_iterations", "slope",
]  # fmt: skip


def test_power_law_graph_is_deterministic_and_simple():
    graph = plg.power_law_graph(2_000, 10_000, seed=3)
    again = plg.power_law_graph(2_000, 10_000, seed=3)
    assert graph.m == 10_000 and np.array_equal(graph.src, again.src)
    assert np.array_equal(graph.dst, again.dst) and np.array_equal(graph.weight, again.weight)
    keys = graph.src * graph.n + graph.dst
    assert np.unique(keys).size == graph.m and not np.any(graph.src == graph.dst)
    touched = np.zeros(graph.n, dtype=bool)
    touched[graph.src], touched[graph.dst] = True, True
    assert touched.all()  # every vertex has an edge, so GraphX knows the same vertex set
    changed = plg.perturb(graph, 0.01, seed=3)
    changed_keys = changed.src * changed.n + changed.dst
    assert changed.m == graph.m and np.unique(changed_keys).size == changed.m
    assert np.isin(changed_keys, keys).sum() == graph.m - 50  # 0.5% out, 0.5% in


def test_bench_main_on_a_tiny_graph(spark, tmp_path):
    out_file = tmp_path / "bench.json"
    argv = [
        "--vertices", "2000", "--edges", "10000", "--iterations", "3",
        "--warm-tol", "1e-4", "--warm-max-iter", "10",
        "--scaling", "--scaling-edges", "4000,10000", "--no-warmup",
        "--workdir", str(tmp_path / "work"), "--json", str(out_file),
    ]  # fmt: skip
    result = main(argv, spark=spark)
    written = json.loads(out_file.read_text())
    assert written == result
    for key in KEYS:
        assert key in written, key
    assert written["edges"] == 10_000 and written["iterations"] == 3
    assert written["graphx_iterations"] == 3
    # The table's ratio is the two timings' (engine with its setup / GraphX without its load).
    assert written["ratio_graphx"] == written["engine_s"] / written["graphx_s"]
    assert written["max_abs_diff"] < 1e-6
    assert written["missing_unit"] == written["missing_weighted"] == 0
    assert written["graphx_spearman"] > 0.9  # same graph, other normalisation
    assert 1 <= written["warm_iterations"] <= written["cold_iterations"]
    assert written["warm_max_abs_diff"] < 1e-6
    assert [p["edges"] for p in written["scaling"]] == [4000, 10_000]
    assert np.isfinite(written["slope"])
