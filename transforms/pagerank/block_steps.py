"""Blocked PageRank: vertex blocks, edge tiles, the per-iteration kernel (numpy, in Spark tasks).

Layout (transforms/pagerank/blocked.py says why): every vertex hashes to one of B blocks; a block
keeps its vertices' ids sorted, so a vertex is (block b, local index i), densely numbered
offsets[b] + i over the whole graph. A block is a Spark group under an int key chosen so that
Spark's hash partitioner sends block b to partition b mod P (no two blocks collide on a core).
The out-edges of a source block are one CSR matrix, cut into tiles of at most TILE_EDGES edges:
its rows are the destination vertices (sorted by dense index, so grouped by destination block),
its columns the source block's local indices, its values the raw edge weights. An iteration
multiplies each tile by the source block's rank vector scaled by 1 / out-weight, and sends each
destination block one partial vector per tile: vectors move, edges stay where they are.

Every row carries its arrays in one binary `blob` (transforms/pagerank/codec.py).

Resident blocks: what an iteration needs of a block besides its messages (1 / out-weight,
teleport, tiles) does not change, so it is kept in the Python worker processes (Spark reuses
them across tasks), backed by a file per block written once at setup on the executor's local
disk (Arrow IPC, memory-mapped: the workers of an executor share one copy in the page cache).
An iteration then moves rank vectors only. The file is the truth: a block whose file this
executor lacks (its task ran elsewhere) answers MISS, and the driver redoes that iteration with
the tiles shipped from the cached graph, which also writes the file here.
"""

from __future__ import annotations

import os
import tempfile
import time
from collections import OrderedDict
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from transforms.pagerank.codec import Tile, arrow_schema, decode, encode, expand, table

# Row kinds of the cached graph and of each iteration's output.
VERTEX, TILE, PARTIAL, SELF, STATS = 0, 1, 2, 3, 4
# A tile stays far below Arrow's 2 GB per batch and a Python worker's memory.
TILE_EDGES = 1 << 22

# STATS of an iteration: l1 change, dangling mass, t: the kernel's seconds, miss: 1 when the
# block was not resident (the iteration is redone with the tiles shipped).
STEP_SCHEMA = (
    "key int, kind byte, blob binary, n long, m long, l1 double, dm double, t double, miss long"
)
GRAPH_SCHEMA = f"{STEP_SCHEMA}, ids binary"  # ids: read back only to name the final ranks
STEP_ARROW, GRAPH_ARROW = arrow_schema(STEP_SCHEMA), arrow_schema(GRAPH_SCHEMA)


def push(tiles: list[Tile], x: np.ndarray, keys: list[int], sizes: list[int]) -> list[dict]:
    """PARTIAL rows: for each tile and destination block it reaches, the inflow it brings there.
    x is the source block's ranks times 1 / out-weight. A partial covering its whole block is
    sent dense; otherwise with the local indices it adds to."""
    rows = []
    for tile in tiles:
        inflow = tile.multiply(x)
        for block in np.flatnonzero(np.diff(tile.bounds)):
            start, end = tile.bounds[block], tile.bounds[block + 1]
            part = {"vals": inflow[start:end]}
            if end - start < sizes[block]:
                part["idx"] = tile.rows[start:end]
            rows.append({"key": keys[block], "kind": PARTIAL, "blob": encode(**part)})
    return rows


def vertex_rows(key: int, ranks: np.ndarray, *, inv_out: np.ndarray, **stats) -> list[dict]:
    """A block's SELF row (its ranks) and STATS row (dangling mass and the given stats)."""
    dangling = float(ranks[inv_out == 0.0].sum())  # no out-weight: the vertex is dangling
    stats.update(key=key, kind=STATS, n=int(ranks.size), dm=dangling)
    return [{"key": key, "kind": SELF, "blob": encode(vals=ranks)}, stats]


@dataclass(frozen=True)
class Block:
    """What an iteration needs of a block besides its messages (fixed from setup on)."""

    inv_out: np.ndarray  # 1 / out-weight, 0 for a dangling vertex
    prior: np.ndarray  # teleport share
    tiles: list[Tile]

    @staticmethod
    def of(blobs: pa.Array | pa.ChunkedArray) -> Block:
        """From the blobs of its VERTEX row then its TILE rows."""
        vertex = decode(blobs[0])
        inv_out = vertex["inv_out"]
        tiles = [Tile.decoded(blobs[i]) for i in range(1, len(blobs))]
        return Block(inv_out, expand(vertex, "prior", inv_out.size), tiles)


def step(graph: pa.Table, messages: pa.Table, *, store: tuple | None, **kw) -> pa.Table:
    """One iteration for one block, its VERTEX and TILE rows shipped from the cached graph (the
    cogroup's left side); with a store, they are made resident here for the next iterations."""
    started = time.perf_counter()
    # (An empty side of a cogroup comes without columns.)
    kinds = graph.column("kind").to_numpy() if graph.num_rows else np.zeros(0)
    if not np.any(kinds == VERTEX):  # messages for a block without vertices: cannot happen
        return table(STEP_ARROW, [])
    at = [int(np.flatnonzero(kinds == VERTEX)[0]), *np.flatnonzero(kinds == TILE).tolist()]
    key, blobs = graph.column("key")[at[0]].as_py(), graph.column("blob").take(at)
    block = keep(store, key, blobs) if store is not None else Block.of(blobs)
    return advance(key, block, messages, started=started, **kw)


def step_resident(messages: pa.Table, *, store: tuple, **kw) -> pa.Table:
    """One iteration for one block from its resident data, or a MISS row if it has none here."""
    started = time.perf_counter()
    key = messages.column("key")[0].as_py()
    block = resident(store, key)
    if block is None:
        return table(STEP_ARROW, [{"key": key, "kind": STATS, "miss": 1}])
    return advance(key, block, messages, started=started, **kw)


def advance(
    key: int,
    block: Block,
    messages: pa.Table,
    *,
    alpha: float,
    scale: float,
    push_next: bool,
    keys: list[int],
    sizes: list[int],
    started: float,
) -> pa.Table:
    """The SELF row (previous ranks) and the PARTIAL inflows received become the new ranks
    alpha * inflow + scale * prior, with scale = alpha * dangling mass + (1 - alpha); returns
    them (SELF), their L1 change and dangling mass (STATS) and, unless this is the last
    iteration, the next iteration's PARTIAL rows from this block's tiles."""
    inflow, old = np.zeros(block.inv_out.size), np.zeros(block.inv_out.size)
    message_kinds = messages.column("kind").to_numpy() if messages.num_rows else []
    for i, kind in enumerate(message_kinds):
        if kind not in (SELF, PARTIAL):  # STATS rows ride along with the messages: ignored
            continue
        fields = decode(messages.column("blob")[i])
        if kind == SELF:
            old = fields["vals"]
        elif "idx" in fields:
            inflow[fields["idx"]] += fields["vals"]  # a tile's rows are distinct: no repeats
        else:
            inflow += fields["vals"]
    ranks = alpha * inflow + scale * block.prior
    l1 = float(np.abs(ranks - old).sum())
    pushed = push(block.tiles, ranks * block.inv_out, keys, sizes) if push_next else []
    rows = vertex_rows(key, ranks, inv_out=block.inv_out, l1=l1, miss=0)
    rows[1]["t"] = time.perf_counter() - started
    return table(STEP_ARROW, rows + pushed)


def emit_ranks(vertices: pa.Table, state: pa.Table, *, store: tuple | None) -> pa.Table:
    """person_id, rank of one block from its VERTEX row (ids) and its last SELF row (ranks);
    the block's resident data here is dropped (elsewhere it goes when Spark deletes the
    executor's local dirs, or when two newer graphs have been seen)."""
    schema = pa.schema([("person_id", pa.int64()), ("rank", pa.float64())])
    if not vertices.num_rows or not state.num_rows:
        return schema.empty_table()
    if store is not None:
        forget(store, vertices.column("key")[0].as_py())
    ids = np.frombuffer(vertices.column("ids")[0].as_buffer(), np.int64)
    return pa.table([ids, decode(state.column("blob")[0])["vals"]], schema=schema)


# ------------------------------------------------------------------ resident blocks
_BLOCK_FILE = pa.schema([("blob", pa.binary())])
_RESIDENT: OrderedDict[tuple[str, int], Block] = OrderedDict()  # (graph id, key) -> block
KEEP_GRAPHS = 2  # graphs whose blocks a worker keeps: this run's and one running alongside


def block_path(store: tuple[str | None, str], key: int) -> str:
    """store: (root or None, graph id). None: the executor's first local dir (Spark gives it to
    its Python workers, and deletes it when the executor stops)."""
    root, graph = store
    if root is None:
        local = os.environ.get("SPARK_LOCAL_DIRS") or tempfile.gettempdir()
        root = os.path.join(local.split(",")[0], "sway-pagerank")
    return os.path.join(root, graph, f"{key}.arrow")


def keep(store: tuple, key: int, blobs: pa.Array | pa.ChunkedArray) -> Block:
    """Write a block's file (VERTEX blob, then its TILE blobs) and load it here."""
    path = block_path(store, key)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    partial = f"{path}.{os.getpid()}.tmp"  # a retried or speculative task writes its own file
    with pa.OSFile(partial, "wb") as sink, pa.ipc.new_file(sink, _BLOCK_FILE) as writer:
        writer.write_table(pa.Table.from_arrays([blobs], schema=_BLOCK_FILE))
    os.replace(partial, path)  # atomic: a reader sees no file or the whole file
    _RESIDENT.pop((store[1], key), None)
    return resident(store, key)


def resident(store: tuple, key: int) -> Block | None:
    """The block from this process's cache, else from its file here (mapped, not read), else
    None. A cached block whose file is gone counts as gone: the file is the truth."""
    path, entry = block_path(store, key), (store[1], key)
    if not os.path.exists(path):
        _RESIDENT.pop(entry, None)
        return None
    if entry in _RESIDENT:
        _RESIDENT.move_to_end(entry)
        return _RESIDENT[entry]
    with pa.memory_map(path) as source:
        blobs = pa.ipc.open_file(source).read_all().column("blob")
    _RESIDENT[entry] = block = Block.of(blobs)
    graphs = list(dict.fromkeys(graph for graph, _ in reversed(_RESIDENT)))
    for stale in [e for e in _RESIDENT if e[0] in graphs[KEEP_GRAPHS:]]:
        del _RESIDENT[stale]
    return block


def forget(store: tuple, key: int) -> None:
    """Drop a block's resident data in this process and its file on this executor."""
    _RESIDENT.pop((store[1], key), None)
    try:
        os.remove(block_path(store, key))
    except FileNotFoundError:
        pass
