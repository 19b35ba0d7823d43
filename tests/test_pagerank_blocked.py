"""The blocked engine and the single-machine path against networkx, power_iteration and the
reference engine; the kernels alone on numpy; the iteration plan (tiles read in place).

One "case" graph carries every shape that matters: the hand graph of test_propagation (a hub most
vertices point to, dangling vertices, a vertex without prior, isolated vertices with and without
prior), a random weighted graph, a vertex that reacts to 150 others (out-hub), edges touching
unknown people and a zero weight; ids are 64-bit and not dense.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest
from pagerank_oracles import (
    BIG,
    CHECKPOINT_EVERY,
    HAND_EDGES,
    HAND_PRIOR,
    NOISE,
    assert_close,
    collected,
    frames,
    local_pagerank,
    nx_pagerank,
    params,
    random_graph,
    shuffles,
    warm_start_case,
)
from pyspark.sql.functions import col, hash, lit, pmod

from transforms.pagerank import block_iteration, codec
from transforms.pagerank import block_layout as tiles
from transforms.pagerank import block_steps as blk
from transforms.pagerank import blocked as pagerank_blocked
from transforms.pagerank.blocked import blocked_pagerank
from transforms.pagerank.reference import personalized_pagerank
from transforms.pagerank.single import single_machine_pagerank

SHIFT = 10**6  # the random graph's ids, apart from the hand graph's


def case_graph() -> tuple[list, dict[int, float]]:
    edges, prior = random_graph(7, n=120, m=700)
    edges = [(s + SHIFT, d + SHIFT, w) for s, d, w in edges]
    prior = {v + SHIFT: p for v, p in prior.items()}
    hub = BIG + SHIFT - 1  # reacts to 150 people, with a prior
    edges += [(hub, v, 1.0 + (v % 3)) for v in list(prior)[:150] if v != hub]
    return HAND_EDGES + edges, {**HAND_PRIOR, **prior, hub: 1.0}


# ------------------------------------------------------------------------ kernels (numpy only)
def test_blob_round_trip():
    fields = {"a": np.arange(5, dtype=np.int32), "b": np.linspace(0, 1, 3), "c": 2.5, "d": 7}
    cell = pa.array([codec.encode(**fields)], pa.binary())[0]
    got = codec.decode(cell)
    assert got["c"] == 2.5 and got["d"] == 7
    assert np.array_equal(got["a"], fields["a"]) and got["a"].dtype == np.int32
    assert np.array_equal(got["b"], fields["b"])


def test_tile_weights_are_stored_narrow_but_exact():
    rows, bounds = np.arange(2, dtype=np.int32), np.array([0, 2], np.int64)
    indptr, cols = np.array([0, 1, 2], np.int32), np.array([0, 1], np.int32)
    unit = codec.Tile.of(rows, bounds, indptr, cols, np.array([2.0, 2.0]))
    exact = codec.Tile.of(rows, bounds, indptr, cols, np.array([0.5, 3.0]))
    full = codec.Tile.of(rows, bounds, indptr, cols, np.array([0.1, 3.0]))
    assert unit.data is None and unit.const == 2.0
    assert exact.data.dtype == np.float32 and full.data.dtype == np.float64
    x = np.array([1.0, 10.0])
    for tile, want in [(unit, [2.0, 20.0]), (exact, [0.5, 30.0]), (full, [0.1, 30.0])]:
        decoded = codec.Tile.decoded(pa.array([tile.blob()], pa.binary())[0])
        assert np.allclose(decoded.multiply(x), want, rtol=0, atol=1e-15)


def test_tiles_push_the_transition_product():
    """Small tiles (rows split across them), duplicate edges, several destination blocks: the
    partials of all tiles add up to the product with the dense matrix."""
    rng = np.random.default_rng(3)
    offsets = np.array([0, 4, 4, 9, 15])  # block 1 has no vertices
    n_src, edges = 6, 40
    cols, dst = rng.integers(0, n_src, edges), rng.integers(0, 15, edges)
    cols[:3], dst[:3] = 2, 11  # the same edge three times
    weight = rng.uniform(0.1, 2.0, edges)
    made = tiles.make_tiles(cols, dst, weight, offsets, tile_edges=7)
    assert len(made) == 6
    x = rng.uniform(size=n_src)
    keys, sizes = [10, 11, 12, 13], np.diff(offsets).tolist()
    got = np.zeros(15)
    for row in blk.push(made, x, keys, sizes):
        fields = codec.decode(pa.array([row["blob"]], pa.binary())[0])
        block = keys.index(row["key"])
        local = fields.get("idx", np.arange(sizes[block]))
        np.add.at(got, offsets[block] + local, fields["vals"])
    want = np.zeros(15)
    np.add.at(want, dst, weight * x[cols])
    assert np.allclose(got, want, rtol=0, atol=1e-14)


@pytest.mark.parametrize(("blocks", "partitions"), [(2, 2), (3, 2), (8, 2), (12, 4), (7, 7)])
def test_partition_keys_spread_blocks(blocks, partitions):
    keys = tiles.partition_keys(blocks, partitions)
    assert len(set(keys)) == blocks
    assert [tiles.spark_partition(k, partitions) for k in keys] == [
        b % partitions for b in range(blocks)
    ]


def test_spark_partition_is_sparks_hash_partitioner(spark):
    frame = spark.range(50).select(col("id").cast("int").alias("key"))
    got = frame.select("key", pmod(hash("key"), lit(7)).alias("p")).collect()
    assert all(tiles.spark_partition(row["key"], 7) == row["p"] for row in got)


# ------------------------------------------------------------------------------ Spark engines
@pytest.mark.parametrize("blocks", [1, 3, 7])
def test_blocked_matches_networkx(spark, blocks):
    """Converged to networkx's fixed point, for several block counts (with 7 blocks some hold
    no edge; with 2 partitions the blocks share cores); timings filled in."""
    edge_list, prior_map = case_graph()
    edges, prior = frames(spark, edge_list + NOISE, prior_map)
    timings: dict = {}
    ranks_of = params(tol=1e-13, max_iter=200)
    result = blocked_pagerank(
        edges, prior, ranks_of, checkpoint_every=CHECKPOINT_EVERY, blocks=blocks, timings=timings
    )
    _, iterations, _ = local_pagerank(edge_list, prior_map, tol=1e-13, max_iter=200)
    assert result.converged and result.iterations == iterations == len(result.history)
    got = collected(result.ranks)
    assert_close(got, nx_pagerank(edge_list, prior_map, tol=1e-13, max_iter=200))
    assert got[BIG + 10] == 0.0  # isolated, no prior
    phases = {"relabel", "setup", "iterations", "kernel", "shipped", "finalize", "total"}
    assert set(timings) == phases and timings["shipped"] == 0
    assert len(timings["iterations"]) == len(timings["kernel"]) == iterations


def test_single_blocked_and_reference_agree_step_by_step(spark):
    """Stopped at max_iter (not converged): the three engines and power_iteration hold the same
    ranks and the same L1 history."""
    edge_list, prior_map = case_graph()
    edges, prior = frames(spark, edge_list + NOISE, prior_map)
    kw = dict(tol=1e-13, max_iter=3)
    three = params(**kw)
    results = {
        "blocked": blocked_pagerank(edges, prior, three, checkpoint_every=2, blocks=2),
        "single": single_machine_pagerank(edges, prior, three),
        "reference": personalized_pagerank(edges, prior, three, checkpoint_every=2),
    }
    want, _, _ = local_pagerank(edge_list, prior_map, **kw)
    history = results["reference"].history
    for result in results.values():
        assert (result.iterations, result.converged) == (3, False)
        assert_close(collected(result.ranks), want, atol=1e-13)
        assert result.history == pytest.approx(history, abs=1e-13)


def test_warm_start_reaches_the_fixed_point_sooner(spark):
    edge_list, prior_map, yesterday = warm_start_case()
    edges, prior = frames(spark, edge_list, prior_map)
    # A null rank is no rank (like a missing one); a negative one counts as 0.
    rows = [*yesterday.items(), (BIG + 11, None)]
    initial = spark.createDataFrame(rows, "person_id long, rank double")
    until = params(tol=1e-11, max_iter=100)
    _, cold_iterations, _ = local_pagerank(edge_list, prior_map, tol=1e-11, max_iter=100)
    _, warm_iterations, _ = local_pagerank(
        edge_list, prior_map, initial=yesterday, tol=1e-11, max_iter=100
    )
    want = nx_pagerank(edge_list, prior_map, tol=1e-13)
    for result in (
        blocked_pagerank(
            edges, prior, until, checkpoint_every=CHECKPOINT_EVERY, blocks=2, initial=initial
        ),
        single_machine_pagerank(edges, prior, until, initial=initial),
    ):
        assert result.converged and result.iterations == warm_iterations < cold_iterations
        assert_close(collected(result.ranks), want)


def test_empty_prior(spark):
    edges, prior = frames(spark, HAND_EDGES, {})
    blocked = blocked_pagerank(edges, prior, params(), checkpoint_every=CHECKPOINT_EVERY, blocks=2)
    for result in (blocked, single_machine_pagerank(edges, prior, params())):
        assert (result.iterations, result.converged, result.history) == (0, True, [])
        assert result.ranks.count() == 0


def test_a_failed_iteration_resumes_from_the_last_checkpoint(spark, monkeypatch):
    """The 4th iteration's job fails once (as on a lost executor): the run resumes from the
    reliable checkpoint of iteration 2 and ends where an undisturbed run does."""
    calls = {"n": 0}
    totals = block_iteration.stats_totals

    def flaky(frame, keys, *columns):
        calls["n"] += 1
        if calls["n"] == 5:  # setup, iterations 1, 2, 3, then 4; redone: 3, 4, then 5
            raise RuntimeError("executor lost")
        return totals(frame, keys, *columns)

    for module in (pagerank_blocked, block_iteration):
        monkeypatch.setattr(module, "stats_totals", flaky)
    edge_list, prior_map = random_graph(5)
    edges, prior = frames(spark, edge_list, prior_map)
    five = params(tol=1e-13, max_iter=5)
    result = blocked_pagerank(edges, prior, five, checkpoint_every=2, blocks=2)
    assert calls["n"] == 8 and (result.iterations, len(result.history)) == (5, 5)
    want, _, _ = local_pagerank(edge_list, prior_map, tol=1e-13, max_iter=5)
    assert_close(collected(result.ranks), want, atol=1e-13)


def test_a_block_missing_where_its_task_runs_is_shipped_once(spark, monkeypatch, tmp_path):
    """Block files deleted after iteration 2 (as when a block's task runs on another executor):
    iteration 3 finds them missing, is redone with the tiles shipped (which writes them again),
    and the run ends where an undisturbed run does."""
    totals = block_iteration.stats_totals
    calls = {"n": 0}

    def deleting(frame, keys, *columns):
        got = totals(frame, keys, *columns)
        calls["n"] += 1
        if calls["n"] == 3:  # setup, iterations 1 and 2
            for path in tmp_path.glob("*/*.arrow"):
                path.unlink()
        return got

    for module in (pagerank_blocked, block_iteration):
        monkeypatch.setattr(module, "stats_totals", deleting)
    edge_list, prior_map = case_graph()
    edges, prior = frames(spark, edge_list + NOISE, prior_map)
    timings: dict = {}
    kw = dict(checkpoint_every=CHECKPOINT_EVERY, blocks=3, tile_dir=str(tmp_path), timings=timings)
    result = blocked_pagerank(edges, prior, params(tol=1e-13, max_iter=6), **kw)
    assert timings["shipped"] == 1 and calls["n"] == 1 + 6 + 1  # iteration 3 twice
    want, _, _ = local_pagerank(edge_list, prior_map, tol=1e-13, max_iter=6)
    assert_close(collected(result.ranks), want, atol=1e-13)
    assert list(tmp_path.iterdir()) == []  # the run's files are deleted at the end


def _node(plan, name):
    """The first node called `name` of an executed plan."""
    stack = [plan]
    while stack:
        node = stack.pop()
        if node.nodeName() == name:
            return node
        children = node.children()
        stack.extend(children.apply(i) for i in range(children.size()))
    raise AssertionError(f"no {name} in the plan")


@pytest.mark.parametrize("resident", [True, False])
def test_iterations_move_only_messages(spark, monkeypatch, resident):
    """Each iteration's query: the only exchange moves the messages (block vectors). Resident:
    the cached graph is not read at all. Shipped: the tiles' side of the cogroup is the cached
    graph as laid out at setup (no exchange, no sort)."""
    plans = []
    edges, prior = frames(spark, HAND_EDGES, HAND_PRIOR)
    frame_class = type(edges)  # pyspark's classic DataFrame, a subclass of the public one
    checkpoint = frame_class.localCheckpoint

    def spy(self, *args, **kwargs):
        plans.append((self._jdf.queryExecution().executedPlan(), self))
        return checkpoint(self, *args, **kwargs)

    monkeypatch.setattr(frame_class, "localCheckpoint", spy)
    timings: dict = {}
    kw = dict(checkpoint_every=CHECKPOINT_EVERY, blocks=2, resident=resident, timings=timings)
    result = blocked_pagerank(edges, prior, params(tol=0.0, max_iter=3), **kw)
    assert len(plans) == 3 and timings["shipped"] == (0 if resident else 3)
    want, _, _ = local_pagerank(HAND_EDGES, HAND_PRIOR, tol=0.0, max_iter=3)
    assert_close(collected(result.ranks), want, atol=1e-13)
    for number, (plan, frame) in enumerate(plans, start=1):
        if resident:
            _node(plan, "FlatMapGroupsInArrow")
            executed = plan.toString()
        else:
            tiles_side = _node(plan, "FlatMapCoGroupsInArrow").children().apply(0).toString()
            # What runs is above the cache; below it is how the tiles were built once, at setup.
            executed = tiles_side.split("InMemoryRelation")[0]
            assert "Exchange" not in executed and "Sort " not in executed
        assert ("InMemoryTableScan" in executed) == (not resident or number == 1)
        moved = shuffles(frame)
        if number == 1 and not resident:  # the first messages are cached with the tiles, laid
            assert moved == []  # out alike (resident, the graph is cached as built)
        else:
            assert len(moved) == 1 and moved[0].startswith("hashpartitioning(key#")
