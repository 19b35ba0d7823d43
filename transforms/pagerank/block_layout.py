"""Setup kernels of the blocked PageRank (numpy, in Spark tasks): the block layout (ids hashed to
blocks, a partition key per block), vertex blocks, then edge tiles.

Each kernel sees whole blocks and moves packed arrays, never a row per vertex or edge: records are
hashed to blocks in bulk (pack_*), a block's ids are sorted once, and every id lookup is one
vectorised hash-table probe (pandas' Index.get_indexer) instead of a row-wise Spark join.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa

from transforms.pagerank.block_steps import (
    GRAPH_ARROW,
    TILE,
    TILE_EDGES,
    VERTEX,
    keep,
    push,
    vertex_rows,
)
from transforms.pagerank.codec import (
    Tile,
    arrow_schema,
    constant_or_array,
    decode,
    encode,
    expand,
    table,
)

PRIOR, WARM = 0, 1  # parts of a packed vertex row
VERTEX_PACK_SCHEMA = "key int, part byte, blob binary"
VBLOCK_SCHEMA = (
    "key int, blob binary, n long, prior_sum double, warm_sum double, miss_prior double, "
    "miss_n long"
)
EDGE_PACK_SCHEMA = "key int, blob binary"
_VERTEX_PACK, _VBLOCK, _EDGE_PACK = map(
    arrow_schema, (VERTEX_PACK_SCHEMA, VBLOCK_SCHEMA, EDGE_PACK_SCHEMA)
)
_BATCH_ROWS = 1 << 21  # input rows per numpy pass: few Python calls, bounded memory


@dataclass(frozen=True)
class Start:
    """Global scalars (from per-block sums) that the teleport and start vectors are scaled by."""

    vertices: int
    prior_total: float  # 0: uniform teleport
    warm_total: float | None  # None: no warm start (uniform start); 0: uniform start too

    def teleport(self, prior: np.ndarray) -> np.ndarray:
        if self.prior_total > 0.0:
            return prior / self.prior_total
        return np.full(prior.size, 1.0 / self.vertices)

    def start(self, teleport: np.ndarray, warm: np.ndarray | None) -> np.ndarray:
        """Warm rank where known, else the vertex's teleport share (as the reference does)."""
        if warm is None or not self.warm_total or self.warm_total <= 0.0:
            return np.full(teleport.size, 1.0 / self.vertices)
        return np.where(np.isnan(warm), teleport, warm) / self.warm_total


# ------------------------------------------------------------------ layout: blocks and keys
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


def _tables(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.Table]:
    pending: list[pa.RecordBatch] = []
    count = 0
    for batch in batches:
        pending.append(batch)
        count += batch.num_rows
        if count >= _BATCH_ROWS:
            yield pa.Table.from_batches(pending)
            pending, count = [], 0
    if pending:
        yield pa.Table.from_batches(pending)


def _by_block(ids: np.ndarray, fields: dict, blocks: int, keys: list[int]) -> list[dict]:
    """One row per block present: its key and a blob of its slice of each field (weights `w`
    as a constant when they are all equal)."""
    block = block_of(ids, blocks)
    # A radix sort when the block index fits 16 bits.
    order = np.argsort(block.astype(np.uint16) if blocks <= 1 << 16 else block, kind="stable")
    starts = np.searchsorted(block[order], np.arange(blocks + 1))
    gathered = {name: values[order] for name, values in fields.items()}
    rows = []
    for b in np.flatnonzero(np.diff(starts)):
        cut = {name: values[starts[b] : starts[b + 1]] for name, values in gathered.items()}
        if "w" in cut:
            cut.update(constant_or_array(cut.pop("w"), "w"))
        rows.append({"key": keys[b], "blob": encode(**cut)})
    return rows


def _concat(blobs: list[dict], name: str, dtype) -> np.ndarray:
    parts = [np.asarray(fields[name], dtype) for fields in blobs]
    return np.concatenate(parts) if parts else np.zeros(0, dtype)


def _edges(rows: pa.Table) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """src, dst, weight of packed edge rows."""
    blobs = [decode(cell) for cell in rows.column("blob")] if rows.num_rows else []
    weights = [expand(fields, "w", fields["src"].size) for fields in blobs]
    weight = np.concatenate(weights) if weights else np.zeros(0)
    return _concat(blobs, "src", np.int64), _concat(blobs, "dst", np.int64), weight


def pack_vertices(
    batches: Iterator[pa.RecordBatch], *, blocks: int, keys: list[int], part: int
) -> Iterator[pa.RecordBatch]:
    """person_id, value rows -> per block: ids and values (priors, or warm ranks)."""
    for chunk in _tables(batches):
        ids = chunk.column("person_id").to_numpy()
        values = np.asarray(chunk.column("value").to_numpy(zero_copy_only=False), np.float64)
        if part == PRIOR:  # null, NaN or negative: no prior mass (the reference's rule)
            values = np.where(values > 0.0, values, 0.0)
        else:  # null or NaN: no warm rank (NaN marks it); negative: 0
            values = np.where(values < 0.0, 0.0, values)
        rows = _by_block(ids, {"ids": ids, "vals": values}, blocks, keys)
        yield from table(_VERTEX_PACK, [{**row, "part": part} for row in rows]).to_batches()


def vertex_block(rows: pa.Table, *, warm_start: bool) -> pa.Table:
    """A block's vertices: ids sorted (unique), priors, warm ranks (NaN: none), and the sums
    that the driver turns into the global normalisation constants."""
    parts = rows.column("part").to_numpy()
    blobs = [decode(cell) for cell in rows.column("blob")]
    mine = [fields for fields, part in zip(blobs, parts, strict=True) if part == PRIOR]
    ids = _concat(mine, "ids", np.int64)
    if not ids.size:  # only warm ranks of people who are no longer vertices
        return table(_VBLOCK, [])
    order = np.argsort(ids, kind="stable")
    ids, prior = ids[order], _concat(mine, "vals", np.float64)[order]
    first = np.r_[True, ids[1:] != ids[:-1]]  # a repeated person keeps one prior
    ids, prior = ids[first], prior[first]
    row = {"key": rows.column("key")[0].as_py(), "n": int(ids.size)}
    row.update(prior_sum=float(prior.sum()))
    fields = {"ids": ids, "prior": prior}
    if warm_start:
        warm = np.full(ids.size, np.nan)
        known = [fields for fields, part in zip(blobs, parts, strict=True) if part == WARM]
        where = pd.Index(ids).get_indexer(_concat(known, "ids", np.int64))
        hit = where >= 0
        warm[where[hit]] = _concat(known, "vals", np.float64)[hit]
        missing = np.isnan(warm)
        fields["warm"] = warm
        row.update(warm_sum=float(warm[~missing].sum()), miss_prior=float(prior[missing].sum()))
        row["miss_n"] = int(missing.sum())
    return table(_VBLOCK, [{**row, "blob": encode(**fields)}])


def pack_edges(
    batches: Iterator[pa.RecordBatch], *, blocks: int, keys: list[int]
) -> Iterator[pa.RecordBatch]:
    """src, dst, weight rows -> per destination block: the packed edges."""
    for chunk in _tables(batches):
        src, dst = chunk.column("src").to_numpy(), chunk.column("dst").to_numpy()
        fields = {"src": src, "dst": dst, "w": chunk.column("weight").to_numpy()}
        yield from table(_EDGE_PACK, _by_block(dst, fields, blocks, keys)).to_batches()


def resolve_dst(
    edges: pa.Table,
    vertices: pa.Table,
    *,
    blocks: int,
    keys: list[int],
    offsets: np.ndarray,
    index_type: str,
) -> pa.Table:
    """Edges into one block, their destination as a dense index (of index_type: int32 below
    2^31 vertices, half the bytes to move), edges to unknown people dropped, regrouped by
    source block."""
    if not edges.num_rows or not vertices.num_rows:
        return table(_EDGE_PACK, [])
    block = keys.index(vertices.column("key")[0].as_py())
    src, dst, weight = _edges(edges)
    where = pd.Index(decode(vertices.column("blob")[0])["ids"]).get_indexer(dst)
    hit = where >= 0
    fields = {"src": src[hit], "dst": (where[hit] + offsets[block]).astype(index_type)}
    return table(_EDGE_PACK, _by_block(src[hit], {**fields, "w": weight[hit]}, blocks, keys))


def make_tiles(
    cols: np.ndarray, dst: np.ndarray, weight: np.ndarray, offsets, tile_edges: int = TILE_EDGES
) -> list[Tile]:
    """A source block's edges (local source, dense destination, weight) as CSR tiles of at most
    tile_edges edges; a destination with more in-edges spans tiles, each adding its share."""
    order = np.argsort(dst)
    dst, cols, weight = dst[order], cols[order].astype(np.int32), weight[order]
    tiles = []
    for first in range(0, dst.size, tile_edges):
        part = slice(first, min(first + tile_edges, dst.size))
        heads = np.flatnonzero(np.r_[True, dst[part][1:] != dst[part][:-1]])
        rows = dst[part][heads]
        local = rows - offsets[np.searchsorted(offsets, rows, side="right") - 1]
        indptr = np.r_[heads, dst[part].size].astype(np.int32)
        bounds = np.searchsorted(rows, offsets).astype(np.int64)
        tiles.append(Tile.of(local.astype(np.int32), bounds, indptr, cols[part], weight[part]))
    return tiles


def build_graph(
    edges: pa.Table,
    vertices: pa.Table,
    *,
    keys: list[int],
    offsets: np.ndarray,
    start: Start,
    store: tuple | None = None,
    tile_edges: int = TILE_EDGES,
) -> pa.Table:
    """A source block's cached rows: VERTEX (teleport, 1 / out-weight; ids aside), its TILEs,
    and the first iteration's input: SELF (start vector), STATS, and the start vector's
    PARTIALs. With a store, the block is also made resident (block_steps)."""
    if not vertices.num_rows:  # edges from people who are not vertices carry nothing
        return table(GRAPH_ARROW, [])
    key, block = vertices.column("key")[0].as_py(), decode(vertices.column("blob")[0])
    ids = block["ids"]
    teleport = start.teleport(np.asarray(block["prior"]))
    ranks = start.start(teleport, block.get("warm"))
    src, dst, weight = _edges(edges)
    where = pd.Index(ids).get_indexer(src)
    hit = where >= 0
    cols, dst, weight = where[hit], dst[hit], weight[hit]
    out_weight = np.bincount(cols, weights=weight, minlength=ids.size)
    inv_out = np.zeros(ids.size)
    np.divide(1.0, out_weight, out=inv_out, where=out_weight > 0.0)
    tiles = make_tiles(cols, dst, weight, offsets, tile_edges)
    vertex = encode(inv_out=inv_out, **constant_or_array(teleport, "prior"))
    blobs = [tile.blob() for tile in tiles]
    if store is not None:
        keep(store, key, pa.array([vertex, *blobs], pa.binary()))
    rows = [
        {"key": key, "kind": VERTEX, "blob": vertex, "ids": memoryview(ids), "n": int(ids.size)},
        *({"key": key, "kind": TILE, "blob": blob} for blob in blobs),
        *vertex_rows(key, ranks, l1=0.0, inv_out=inv_out),
    ]
    rows[-1]["m"] = int(weight.size)
    rows += push(tiles, ranks * inv_out, keys, np.diff(offsets).tolist())
    return table(GRAPH_ARROW, rows)
