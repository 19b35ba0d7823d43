"""The propagation benchmark's output: its timing table, per-phase breakdowns, plain JSON."""

from __future__ import annotations

from typing import Any

import numpy as np


def core_ns(wall: float | None, cores: int, edges: int, iterations: int) -> float | None:
    """Core time per edge-iteration in nanoseconds."""
    return None if wall is None else wall * cores / (edges * max(iterations, 1)) * 1e9


def print_timings(title: str, timings: dict | None, indent: str = "  ") -> None:
    """The engine's per-phase breakdown; lists (per-iteration times) summarised and listed."""
    if not timings:
        return
    print(f"{title} phases (s):")
    for key, value in timings.items():
        numbers = isinstance(value, list | tuple) and all(isinstance(v, int | float) for v in value)
        if isinstance(value, dict):
            print_timings(f"{indent}{key}", value, indent + "  ")
        elif numbers and value:
            v = np.asarray(value, dtype=float)
            listed = " ".join(f"{x:.2f}" for x in v)
            print(
                f"{indent}{key}: {v.size} x, sum {v.sum():.2f}, mean {v.mean():.3f}, "
                f"min {v.min():.3f}, max {v.max():.3f}: {listed}"
            )
        elif isinstance(value, float):
            print(f"{indent}{key}: {value:.3f}")
        else:
            print(f"{indent}{key}: {value}")


def plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    return value.item() if isinstance(value, np.generic) else value


def print_table(out: dict, graph, n_iter: int, engine_cores: int) -> None:
    """The timing table: wall and core time per edge-iteration of each run, ratios."""
    gx = out.get("graphx_s")
    print(f"\n{graph.n:,} vertices, {graph.m:,} edges, {n_iter} iterations each")
    head = ("run", "wall s", "cores", "core-ns/edge-iter", "/graphx", "/scipy")
    print("{:<16}{:>9}{:>6}{:>19}{:>9}{:>8}".format(*head))
    for name, wall, cores in [
        ("engine unit", out["engine_unit_s"], engine_cores),
        ("engine weighted", out["engine_weighted_s"], engine_cores), ("graphx", gx, engine_cores),
        ("scipy unit", out["scipy_unit_s"], 1), ("scipy weighted", out["scipy_weighted_s"], 1),
    ]:  # fmt: skip
        ns = core_ns(wall, cores, graph.m, n_iter)
        out[f"ns_per_edge_iteration_{name.replace(' ', '_')}"] = ns
        if wall is not None:
            vs_gx = f"{wall / gx:.2f}" if gx else "-"
            vs_scipy = wall / out["scipy_s"]
            print(f"{name:<16}{wall:>9.2f}{cores:>6}{ns:>19.1f}{vs_gx:>9}{vs_scipy:>8.2f}")
    print(
        f"max |normalized rank - scipy|: unit {out['max_abs_diff_unit']:.3e}, "
        f"weighted {out['max_abs_diff_weighted']:.3e}"
    )
    if out.get("ratio_graphx"):
        print(
            f"engine / graphx: {out['ratio_graphx']:.2f} (engine with setup, graphx without "
            f"load), {out['ratio_graphx_with_load']:.2f} (both with input load: engine "
            f"{out['engine_load_s']:.1f}s, graphx {out['graphx_load_s']:.1f}s), "
            f"{out['ratio_graphx_iterations'] or 0:.2f} (engine iterations only)"
        )
    for tag in ("unit", "weighted"):
        print_timings(f"engine {tag}", out[f"engine_{tag}_timings"])
        breakdown(out, tag, engine_cores)


def breakdown(out: dict, tag: str, cores: int) -> None:
    """Mean seconds of an iteration: the numpy kernels (core-seconds over the cores), the
    fixed cost of any iteration job (the tiny graph's), the rest: moving the vectors."""
    timings, floor = out[f"engine_{tag}_timings"], out.get("floor_iteration_s")
    if not timings or floor is None:
        return
    wall, kernel = np.mean(timings["iterations"]), np.mean(timings["kernel"]) / cores
    parts = {"wall": wall, "kernels": kernel, "job_floor": floor}
    parts["vectors_and_rest"] = wall - kernel - floor
    out[f"iteration_breakdown_{tag}"] = parts
    print("  iteration breakdown (s): " + ", ".join(f"{k} {v:.3f}" for k, v in parts.items()))
