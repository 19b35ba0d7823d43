"""Propagation benchmark: our Spark PageRank engine against GraphX and scipy on one power-law graph.

    python scripts/bench_propagation.py [--vertices 1000000 --edges 10000000 | --graph PATH]
        [--seed 7] [--iterations 20] [--master 'local[2]'] [--json PATH] [--scaling]

One run: the engine with unit weights and uniform prior (the problem GraphX and scipy solve too)
and with weights and a prior, GraphX PageRank.run, scipy (pagerank_arrays, one thread), all for
exactly --iterations iterations (tol 0); then warm start after a 1% edge change against a cold start
(to --warm-tol); with --scaling, the weighted engine at several sizes and the log-log slope of its
time against edges. Core time per edge-iteration = wall * cores / (edges * iterations). GraphX
ranks sum to N and leak the dangling mass, so only their correlation with scipy's is reported.
Times exclude loading (the engine's inputs are cached first, GraphX's load is reported apart) and
follow an untimed warm-up of the JVM on a tiny graph.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"  # the scipy baseline is single-threaded (set before numpy loads BLAS)

import numpy as np  # noqa: E402
from pyspark import StorageLevel  # noqa: E402
from pyspark.sql import DataFrame, SparkSession  # noqa: E402
from pyspark.sql import functions as F  # noqa: E402

if __package__ in (None, ""):  # run as a script: make the repo root importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from jobs.config import load_config  # noqa: E402
from scripts import bench_tables as tables  # noqa: E402
from scripts import powerlaw_graph as plg  # noqa: E402
from transforms.pagerank.blocked import blocked_pagerank, default_blocks  # noqa: E402
from transforms.pagerank.power_iteration import pagerank_arrays  # noqa: E402
from transforms.pagerank.reference import personalized_pagerank  # noqa: E402
from transforms.pagerank.result import PageRankParams  # noqa: E402

ENGINES = {"blocked": blocked_pagerank, "reference": personalized_pagerank}
# The settings the daily job runs with (conf/base.yaml `propagation`) are the defaults here.
PROPAGATION = load_config().propagation


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--vertices", type=int, default=1_000_000)
    ap.add_argument("--edges", type=int, default=10_000_000)
    ap.add_argument("--graph", help="parquet edges (src, dst[, weight]) instead of generating")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--iterations", type=int, default=20, help="fixed, for the timing comparison")
    ap.add_argument("--alpha", type=float, default=PROPAGATION.alpha)
    ap.add_argument("--engine", choices=sorted(ENGINES), default="blocked")
    ap.add_argument("--master", default="local[2]")
    ap.add_argument("--driver-memory", default="12g")
    ap.add_argument("--partitions", type=int, help="shuffle and GraphX partitions (2 x cores)")
    ap.add_argument("--checkpoint-every", type=int, default=PROPAGATION.checkpoint_every)
    ap.add_argument("--no-graphx", action="store_true")
    ap.add_argument("--no-warmup", action="store_true", help="skip the untimed JVM warm-up")
    ap.add_argument("--no-warm", action="store_true", help="skip the warm-start comparison")
    ap.add_argument("--change", type=float, default=0.01, help="edge fraction changed (warm)")
    ap.add_argument("--warm-tol", type=float, default=PROPAGATION.tol)
    ap.add_argument("--warm-max-iter", type=int, default=200)
    ap.add_argument("--warm-sweep", default="", help="edge fractions for scipy warm vs cold")
    ap.add_argument("--scaling", action="store_true", help="time the engine at --scaling-edges")
    ap.add_argument("--scaling-edges", default="1000000,3000000,10000000")
    ap.add_argument("--workdir", help="keep the graph files here (default: a temp dir, removed)")
    ap.add_argument("--json", help="write the figures to this file")
    return ap.parse_args(argv)


def build_session(args: argparse.Namespace) -> SparkSession:
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    conf = {
        "spark.driver.memory": args.driver_memory,
        "spark.ui.enabled": "false",
        "spark.ui.showConsoleProgress": "false",
        "spark.sql.execution.arrow.pyspark.enabled": "true",
        "spark.cleaner.referenceTracking.cleanCheckpoints": "true",
    }
    builder = SparkSession.builder.master(args.master).appName("sway-bench-propagation")
    spark = builder.config(map=conf).getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")
    return spark


class Bench:
    def __init__(self, spark: SparkSession, args: argparse.Namespace, work: Path):
        self.spark, self.args, self.work = spark, args, work
        self.engine_name, self.engine = args.engine, ENGINES[args.engine]
        self.cores = spark.sparkContext.defaultParallelism
        self.out: dict[str, Any] = {"engine": self.engine_name, "cores": self.cores}
        self.scipy: dict[str, np.ndarray] = {}

    def frames(self, graph: plg.Graph, tag: str) -> tuple[DataFrame, DataFrame]:
        """(edges, prior) from parquet files, cached and counted (loading is not timed)."""
        paths, level = plg.write_parquet(graph, self.work / tag), StorageLevel.MEMORY_AND_DISK
        started = time.perf_counter()
        edges, prior = (self.spark.read.parquet(str(p)).persist(level) for p in paths)
        edges.count(), prior.count()
        self.load_s = time.perf_counter() - started  # the last inputs' loading time
        return edges, prior

    def run(self, edges, prior, *, tol, max_iter, initial=None) -> tuple[Any, float, dict | None]:
        """(result, wall seconds, per-phase timings) of the engine, its ranks computed."""
        timings: dict | None = None
        params = PageRankParams(self.args.alpha, tol, max_iter)
        kw = dict(checkpoint_every=self.args.checkpoint_every, initial=initial)
        if self.engine_name == "blocked":
            kw["timings"] = timings = {}
            kw["blocks"] = default_blocks(edges.count(), self.cores, PROPAGATION.block_edges)
        started = time.perf_counter()
        result = self.engine(edges, prior, params, **kw)
        result.ranks.agg(F.sum("rank")).first()  # computed, not just counted
        return result, time.perf_counter() - started, timings

    def warmup(self) -> None:
        """JIT and class loading on a tiny graph, untimed, for the engine and GraphX alike; the
        engine's iterations there are the fixed cost of an iteration job (its floor)."""
        tiny = plg.power_law_graph(500, 2500, self.args.seed)
        edges, prior = self.frames(tiny, "warmup")
        _, _, timings = self.run(edges, prior, tol=0.0, max_iter=12)
        if timings:
            self.out["floor_iteration_s"] = float(np.median(timings["iterations"][2:]))
        edges.unpersist(), prior.unpersist()
        if not self.args.no_graphx:
            self.graphx(tiny, 2, "warmup")

    def graphx(self, graph: plg.Graph, iterations: int, tag: str):
        parts, reset = self.args.partitions or 2 * self.cores, 1.0 - self.args.alpha
        return plg.graphx_pagerank(self.spark, graph, self.work / tag, iterations, reset, parts)

    def compare_graphx(self, graph: plg.Graph) -> None:
        out, n_iter = self.out, self.args.iterations
        out["graphx_load_s"], out["graphx_s"], gx = self.graphx(graph, n_iter, "graphx")
        out.update(graphx_iterations=n_iter, **plg.graphx_agreement(gx, self.scipy["unit"]))
        print(
            f"graphx: load {out['graphx_load_s']:.2f}s, rank sum {out['graphx_rank_sum']:.6g}, "
            f"pearson {out['graphx_pearson']:.6f}, spearman {out['graphx_spearman']:.6f} vs scipy;"
            f" max |normalized - scipy| {out['graphx_max_abs_diff']:.2e} (other dangling rule)"
        )

    def timed_comparison(self, graph: plg.Graph) -> None:
        a, out, n_iter = self.args, self.out, self.args.iterations
        unit, weighted = (np.ones(graph.m), np.ones(graph.n)), (graph.weight, graph.prior)
        for tag, (weight, prior) in {"unit": unit, "weighted": weighted}.items():
            arrays, started = (graph.src, graph.dst, weight, graph.n, prior), time.perf_counter()
            x, iters, _ = pagerank_arrays(*arrays, PageRankParams(a.alpha, 0.0, n_iter))
            self.scipy[tag], out[f"scipy_{tag}_s"] = x, time.perf_counter() - started
            out[f"scipy_{tag}_iterations"] = iters
        edges, prior = self.frames(graph, "graph")
        out["engine_load_s"] = self.load_s
        for tag in ("unit", "weighted"):
            e = edges if tag == "weighted" else edges.withColumn("weight", F.lit(1.0))
            p = prior if tag == "weighted" else prior.withColumn("prior", F.lit(1.0))
            result, wall, timings = self.run(e, p, tol=0.0, max_iter=n_iter)
            got = plg.ranks_vector(result.ranks, graph.ids)
            out[f"engine_{tag}_s"], out[f"engine_{tag}_iterations"] = wall, result.iterations
            out[f"engine_{tag}_timings"] = timings
            out[f"max_abs_diff_{tag}"] = plg.normalized_diff(got, self.scipy[tag])
            out[f"missing_{tag}"] = int(np.isnan(got).sum())
        edges.unpersist(), prior.unpersist()
        if not a.no_graphx:
            self.compare_graphx(graph)
        out.update(
            engine_s=out["engine_unit_s"], iterations=out["engine_unit_iterations"],
            scipy_s=out["scipy_unit_s"], ratio_scipy=out["engine_unit_s"] / out["scipy_unit_s"],
            max_abs_diff=max(out["max_abs_diff_unit"], out["max_abs_diff_weighted"]),
        )  # fmt: skip
        if "graphx_s" in out:  # headline: engine with its setup, GraphX without its load
            iterations = sum((out["engine_unit_timings"] or {}).get("iterations", [])) or None
            with_load = out["engine_s"] + out["engine_load_s"]
            out.update(
                ratio_graphx=out["engine_s"] / out["graphx_s"],
                ratio_graphx_with_load=with_load / (out["graphx_s"] + out["graphx_load_s"]),
                ratio_graphx_iterations=iterations and iterations / out["graphx_s"],
            )  # fmt: skip
        tables.print_table(self.out, graph, n_iter, self.cores)

    def warm_start(self, graph: plg.Graph) -> None:
        a, out = self.args, self.out
        until = dict(tol=a.warm_tol, max_iter=a.warm_max_iter)
        warm_params = PageRankParams(a.alpha, a.warm_tol, a.warm_max_iter)
        changed = plg.perturb(graph, a.change, a.seed)
        edges, prior = self.frames(graph, "graph")
        cold, cold_s, _ = self.run(edges, prior, **until)
        saved = str(self.work / "ranks_cold")
        cold.ranks.write.mode("overwrite").parquet(saved)  # yesterday's ranks, as from the table
        yesterday = plg.ranks_vector(cold.ranks, graph.ids)
        edges.unpersist(), prior.unpersist()
        edges, prior = self.frames(changed, "changed")
        warm, warm_s, _ = self.run(edges, prior, initial=self.spark.read.parquet(saved), **until)
        got = plg.ranks_vector(warm.ranks, changed.ids)
        edges.unpersist(), prior.unpersist()
        arrays = (changed.src, changed.dst, changed.weight, changed.n, changed.prior)
        want, scipy_warm, _ = pagerank_arrays(*arrays, warm_params, initial=yesterday)
        _, scipy_cold, _ = pagerank_arrays(*arrays, warm_params)
        out.update(
            cold_iterations=cold.iterations, cold_converged=cold.converged, cold_s=cold_s,
            warm_iterations=warm.iterations, warm_converged=warm.converged, warm_s=warm_s,
            scipy_cold_iterations=scipy_cold, scipy_warm_iterations=scipy_warm,
            warm_max_abs_diff=plg.normalized_diff(got, want),
            cold_history=cold.history, warm_history=warm.history,
        )  # fmt: skip
        print(
            f"\nwarm start after a {a.change:.0%} edge change, to tol {a.warm_tol:g}: cold "
            f"{cold.iterations} iterations {cold_s:.1f}s, warm {warm.iterations} iterations "
            f"{warm_s:.1f}s (scipy on the changed graph: cold {scipy_cold}, warm {scipy_warm}); "
            f"warm result vs scipy's: max |diff| {out['warm_max_abs_diff']:.2e}; first l1 "
            f"change: cold {cold.history[0]:.2e}, warm {warm.history[0]:.2e}"
        )
        if a.warm_sweep:
            self.sweep(graph, yesterday, [float(f) for f in a.warm_sweep.split(",")])

    def sweep(self, graph: plg.Graph, yesterday: np.ndarray, fractions: list[float]) -> None:
        """scipy alone: warm vs cold iterations and first l1 change for other daily changes."""
        a, points = self.args, []
        for fraction in fractions:
            changed = plg.perturb(graph, fraction, a.seed)
            arrays = (changed.src, changed.dst, changed.weight, changed.n, changed.prior)
            runs = {}
            for name, start in {"cold": None, "warm": yesterday}.items():
                history: list[float] = []
                params = PageRankParams(a.alpha, a.warm_tol, a.warm_max_iter)
                _, runs[name], _ = pagerank_arrays(*arrays, params, initial=start, history=history)
                runs[f"{name}_first_l1"] = history[0]
            points.append({"change": fraction, **runs, "ratio": runs["warm"] / runs["cold"]})
            print(f"warm sweep (scipy): {fraction:.2%} changed: " + json.dumps(points[-1]))
        self.out["warm_sweep"] = points

    def scaling(self, sizes: list[int]) -> None:
        a, points = self.args, []
        for m in sizes:
            if m == self.out["edges"] and not a.graph and "engine_weighted_s" in self.out:
                wall = self.out["engine_weighted_s"]  # this graph was timed already
            else:
                graph = plg.power_law_graph(max(2, round(m * a.vertices / a.edges)), m, a.seed)
                edges, prior = self.frames(graph, f"scaling_{m}")
                del graph
                _, wall, _ = self.run(edges, prior, tol=0.0, max_iter=a.iterations)
                edges.unpersist(), prior.unpersist()
            ns = tables.core_ns(wall, self.cores, m, a.iterations)
            points.append({"edges": m, "engine_s": wall, "ns_per_edge_iteration": ns})
            print(f"scaling (weighted engine): {m:>11,} edges {wall:8.2f}s {ns:8.1f} core-ns/e-i")
        x, y = np.log([p["edges"] for p in points]), np.log([p["engine_s"] for p in points])
        self.out["scaling"] = points
        self.out["slope"] = float(np.polyfit(x, y, 1)[0]) if len(points) > 1 else None
        print(f"scaling: log-log slope of time vs edges {self.out['slope']}")


def main(argv: list[str] | None = None, spark: SparkSession | None = None) -> dict[str, Any]:
    """Run the benchmark; `spark`: an existing session to use (kept), else one is built."""
    args = parse_args(argv)
    work = Path(args.workdir or tempfile.mkdtemp(prefix="sway-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    session = spark or build_session(args)
    if spark is None or session.sparkContext.getCheckpointDir() is None:
        session.sparkContext.setCheckpointDir(str(work / "checkpoints"))
    if args.partitions or spark is None:  # a given session keeps its own unless told
        partitions = args.partitions or 2 * session.sparkContext.defaultParallelism
        session.conf.set("spark.sql.shuffle.partitions", str(partitions))
    try:
        bench = Bench(session, args, work)
        started = time.perf_counter()
        graph = (
            plg.read_parquet(args.graph, args.seed) if args.graph
            else plg.power_law_graph(args.vertices, args.edges, args.seed)
        )  # fmt: skip
        dangling = int((np.bincount(graph.src, minlength=graph.n) == 0).sum())
        bench.out.update(vertices=graph.n, edges=graph.m, dangling=dangling)
        print(
            f"engine: {bench.engine_name}; graph: {graph.n:,} vertices ({dangling:,} dangling), "
            f"{graph.m:,} edges, built in {time.perf_counter() - started:.1f}s"
        )
        if not args.no_warmup:
            bench.warmup()
        bench.timed_comparison(graph)
        if not args.no_warm:
            bench.warm_start(graph)
        del graph
        if args.scaling:
            bench.scaling([int(float(s)) for s in args.scaling_edges.split(",")])
        result = tables.plain(bench.out)
        if args.json:
            Path(args.json).write_text(json.dumps(result, indent=2) + "\n")
        return result
    finally:
        if spark is None:
            session.stop()
        if not args.workdir:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    logging.basicConfig(level=logging.ERROR)  # tol 0 runs end at max_iter on purpose: no warnings
    main()
