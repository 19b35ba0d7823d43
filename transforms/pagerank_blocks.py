"""Blocked PageRank: vertex blocks, edge tiles, the per-iteration kernel (numpy, in Spark tasks).

Layout (transforms/pagerank_blocked.py says why): every vertex hashes to one of B blocks; a block
keeps its vertices' ids sorted, so a vertex is (block b, local index i), densely numbered
offsets[b] + i over the whole graph. A block is a Spark group under an int key chosen so that
Spark's hash partitioner sends block b to partition b mod P (no two blocks collide on a core).
The out-edges of a source block are one CSR matrix, cut into tiles of at most TILE_EDGES edges:
its rows are the destination vertices (sorted by dense index, so grouped by destination block),
its columns the source block's local indices, its values the raw edge weights. An iteration
multiplies each tile by the source block's rank vector scaled by 1 / out-weight, and sends each
destination block one partial vector per tile: vectors move, edges stay where they are.

Every row carries its arrays in one binary `blob` (see encode): a few columns keep the Arrow
conversion and the driver's per-query planning (a py4j call per column) cheap.
"""

from __future__ import annotations

import json
import struct
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import scipy.sparse as sp

# Row kinds of the cached graph and of each iteration's output.
VERTEX, TILE, PARTIAL, SELF, STATS = 0, 1, 2, 3, 4
# A tile stays far below Arrow's 2 GB per batch and a Python worker's memory.
TILE_EDGES = 1 << 22

STEP_SCHEMA = "key int, kind byte, blob binary, n long, m long, l1 double, dm double"
GRAPH_SCHEMA = f"{STEP_SCHEMA}, ids binary"  # ids: read back only to name the final ranks


def arrow_schema(ddl: str) -> pa.Schema:
    """The Arrow schema of a DDL string made of the types used here."""
    types = {"int": pa.int32(), "byte": pa.int8(), "long": pa.int64(), "double": pa.float64()}
    fields = [part.strip().split(" ") for part in ddl.split(",")]
    return pa.schema([(name, types.get(kind, pa.binary())) for name, kind in fields])


STEP_ARROW, GRAPH_ARROW = arrow_schema(STEP_SCHEMA), arrow_schema(GRAPH_SCHEMA)


def encode(**fields: np.ndarray | float | int) -> bytes:
    """Arrays and scalars in one buffer: a JSON header (name -> [dtype, offset, length] or the
    scalar) then the arrays, 8-byte aligned, so that decode reads them without copying."""
    header: dict[str, object] = {}
    chunks: list[memoryview] = []
    offset = 0
    for name, value in fields.items():
        if not isinstance(value, np.ndarray):
            header[name] = value
            continue
        data = np.ascontiguousarray(value)
        header[name] = [data.dtype.str, offset, int(data.size)]
        chunks.append(memoryview(data).cast("B"))
        padding = -data.nbytes % 8
        chunks.append(memoryview(bytes(padding)))
        offset += data.nbytes + padding
    head = json.dumps(header).encode()
    head += b" " * (-(len(head) + 4) % 8)
    return b"".join([struct.pack("<I", len(head)), head, *chunks])


def decode(cell: pa.Scalar) -> dict:
    """The fields of an encoded blob: numpy views of the Arrow buffer, and scalars."""
    buffer = cell.as_buffer()
    (size,) = struct.unpack_from("<I", buffer, 0)
    header = json.loads(bytes(buffer[4 : 4 + size]))
    base = 4 + size
    fields = {}
    for name, value in header.items():
        if isinstance(value, list):
            dtype, offset, length = value
            fields[name] = np.frombuffer(buffer, dtype, length, base + offset)
        else:
            fields[name] = value
    return fields


def constant_or_array(values: np.ndarray, name: str) -> dict:
    """{name: values}, or {name + "_c": v} when every value is v (unit weights, a uniform prior):
    a constant costs nothing to store and to move each iteration."""
    if values.size and np.all(values == values[0]):
        return {f"{name}_c": float(values[0])}
    return {name: values}


def expand(fields: dict, name: str, size: int) -> np.ndarray:
    if f"{name}_c" in fields:
        return np.full(size, fields[f"{name}_c"])
    return np.asarray(fields[name], np.float64)


def block_of(ids: np.ndarray, blocks: int) -> np.ndarray:
    """Block index of each id: a 64-bit mix (splitmix64's finaliser) so that any id pattern
    (dense, strided, clustered) spreads evenly."""
    z = np.asarray(ids, dtype=np.int64).view(np.uint64)
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return ((z ^ (z >> np.uint64(31))) % np.uint64(blocks)).astype(np.int64)


def _murmur3_int(value: int, seed: int = 42) -> int:
    """Spark's hash() of an int column (Murmur3_x86_32.hashInt), as its hash partitioner uses."""
    mask = 0xFFFFFFFF
    k1 = (value & mask) * 0xCC9E2D51 & mask
    k1 = ((k1 << 15) | (k1 >> 17)) * 0x1B873593 & mask
    h1 = seed ^ k1
    h1 = (((h1 << 13) | (h1 >> 19)) & mask) * 5 + 0xE6546B64 & mask
    h1 ^= 4
    h1 = (h1 ^ (h1 >> 16)) * 0x85EBCA6B & mask
    h1 = (h1 ^ (h1 >> 13)) * 0xC2B2AE35 & mask
    h1 ^= h1 >> 16
    return h1 - (1 << 32) if h1 >= 1 << 31 else h1


def spark_partition(key: int, partitions: int) -> int:
    """The partition Spark's hashpartitioning(key, partitions) puts an int key in."""
    return _murmur3_int(key) % partitions


def partition_keys(blocks: int, partitions: int) -> list[int]:
    """An int key per block such that block b lands in partition b mod P: with plain 0..B-1 keys
    the hash partitioner would put several blocks on one core and none on another."""
    wanted: dict[int, list[int]] = {}
    for block in range(blocks):
        wanted.setdefault(block % partitions, []).append(block)
    keys = [0] * blocks
    candidate, left = 0, blocks
    while left:
        waiting = wanted.get(spark_partition(candidate, partitions))
        if waiting:
            keys[waiting.pop(0)] = candidate
            left -= 1
        candidate += 1
    return keys


def table(schema: pa.Schema, rows: list[dict]) -> pa.Table:
    """Rows (dicts; missing keys are null) as an Arrow table."""
    return pa.Table.from_pylist(rows, schema=schema)


@dataclass(frozen=True)
class Tile:
    """Part of a source block's out-edges: CSR rows are destination vertices, grouped by block."""

    rows: np.ndarray  # int32, destination local index of each row
    bounds: np.ndarray  # int64, B + 1 positions: rows of block d are rows[bounds[d]:bounds[d+1]]
    indptr: np.ndarray  # int32
    cols: np.ndarray  # int32, source local indices
    data: np.ndarray | None  # float64 weights, or float32 when exact; None: all equal to const
    const: float = 0.0

    def multiply(self, x: np.ndarray) -> np.ndarray:
        """Per row, sum of weight * x[col]: this tile's contribution to its destinations."""
        if self.data is None:  # unit weights (or any constant): no weight array at all
            return self.const * np.add.reduceat(x[self.cols], self.indptr[:-1])
        # scipy would compute in the weights' dtype: float32 weights are widened first.
        data = self.data if self.data.dtype == np.float64 else self.data.astype(np.float64)
        return sp.csr_array((data, self.cols, self.indptr), shape=(self.rows.size, x.size)) @ x

    def blob(self) -> bytes:
        arrays = {"rows": self.rows, "bounds": self.bounds, "indptr": self.indptr}
        weights = {"data": self.data} if self.data is not None else {"data_c": self.const}
        return encode(**arrays, cols=self.cols, **weights)

    @staticmethod
    def of(rows, bounds, indptr, cols, weights: np.ndarray) -> Tile:
        """A tile whose weights are dropped when constant and narrowed when float32 is exact."""
        if weights.size and np.all(weights == weights[0]):
            return Tile(rows, bounds, indptr, cols, None, float(weights[0]))
        narrow = weights.astype(np.float32)
        exact = np.array_equal(narrow.astype(np.float64), weights)
        return Tile(rows, bounds, indptr, cols, narrow if exact else weights)

    @staticmethod
    def decoded(cell: pa.Scalar) -> Tile:
        f = decode(cell)
        parts = (f["rows"], f["bounds"], f["indptr"], f["cols"])
        return Tile(*parts, f.get("data"), f.get("data_c", 0.0))


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


def vertex_rows(key: int, ranks: np.ndarray, *, l1: float, inv_out: np.ndarray) -> list[dict]:
    """A block's SELF row (its ranks) and STATS row (L1 change, dangling mass)."""
    dangling = float(ranks[inv_out == 0.0].sum())  # no out-weight: the vertex is dangling
    stats = {"key": key, "kind": STATS, "n": int(ranks.size), "l1": l1, "dm": dangling}
    return [{"key": key, "kind": SELF, "blob": encode(vals=ranks)}, stats]


def step(
    graph: pa.Table,
    messages: pa.Table,
    *,
    alpha: float,
    scale: float,
    push_next: bool,
    keys: list[int],
    sizes: list[int],
) -> pa.Table:
    """One iteration for one block: the SELF row (previous ranks) and the PARTIAL inflows received
    become the new ranks alpha * inflow + scale * prior, with scale = alpha * dangling mass +
    (1 - alpha); returns them (SELF), their L1 change and dangling mass (STATS) and, unless this
    is the last iteration, the next iteration's PARTIAL rows from this block's tiles."""
    # (An empty side of a cogroup comes without columns; STATS messages are ignored.)
    kinds = graph.column("kind").to_numpy() if graph.num_rows else np.zeros(0)
    if not np.any(kinds == VERTEX):  # messages for a block without vertices: cannot happen
        return table(STEP_ARROW, [])
    at = int(np.flatnonzero(kinds == VERTEX)[0])
    key, vertex = graph.column("key")[at].as_py(), decode(graph.column("blob")[at])
    inv_out = vertex["inv_out"]
    prior = expand(vertex, "prior", inv_out.size)
    inflow, old = np.zeros(inv_out.size), np.zeros(inv_out.size)
    message_kinds = messages.column("kind").to_numpy() if messages.num_rows else []
    for i, kind in enumerate(message_kinds):
        if kind not in (SELF, PARTIAL):
            continue
        fields = decode(messages.column("blob")[i])
        if kind == SELF:
            old = fields["vals"]
        elif "idx" in fields:
            inflow[fields["idx"]] += fields["vals"]  # a tile's rows are distinct: no repeats
        else:
            inflow += fields["vals"]
    ranks = alpha * inflow + scale * prior
    rows = vertex_rows(key, ranks, l1=float(np.abs(ranks - old).sum()), inv_out=inv_out)
    if push_next:
        blobs = graph.column("blob")
        tiles = [Tile.decoded(blobs[int(i)]) for i in np.flatnonzero(kinds == TILE)]
        rows += push(tiles, ranks * inv_out, keys, sizes)
    return table(STEP_ARROW, rows)


def emit_ranks(vertices: pa.Table, state: pa.Table) -> pa.Table:
    """person_id, rank of one block from its VERTEX row (ids) and its last SELF row (ranks)."""
    schema = pa.schema([("person_id", pa.int64()), ("rank", pa.float64())])
    if not vertices.num_rows or not state.num_rows:
        return schema.empty_table()
    ids = np.frombuffer(vertices.column("ids")[0].as_buffer(), np.int64)
    return pa.table([ids, decode(state.column("blob")[0])["vals"]], schema=schema)
