"""The encoding of PageRank blocks: arrays in one binary cell, and edge tiles.

A row of the blocked PageRank (transforms/pagerank/block_steps.py) carries its numpy arrays in one
binary `blob`: a few columns keep the Arrow conversion and the driver's per-query planning (a py4j
call per column) cheap, and decode reads the arrays back without copying. A Tile is part of a
source block's out-edges as a CSR matrix, stored the same way.
"""

from __future__ import annotations

import json
import struct
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import scipy.sparse as sp


def arrow_schema(ddl: str) -> pa.Schema:
    """The Arrow schema of a DDL string made of the types used here."""
    types = {"int": pa.int32(), "byte": pa.int8(), "long": pa.int64(), "double": pa.float64()}
    fields = [part.strip().split(" ") for part in ddl.split(",")]
    return pa.schema([(name, types.get(kind, pa.binary())) for name, kind in fields])


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
        return self._matrix(x.size) @ x

    def _matrix(self, columns: int) -> sp.csr_array:
        """Built once: a resident tile is multiplied every iteration."""
        matrix = self.__dict__.get("_csr")
        if matrix is None or matrix.shape[1] != columns:
            # scipy would compute in the weights' dtype: float32 weights are widened first.
            data = self.data if self.data.dtype == np.float64 else self.data.astype(np.float64)
            matrix = sp.csr_array((data, self.cols, self.indptr), shape=(self.rows.size, columns))
            object.__setattr__(self, "_csr", matrix)  # frozen: a cache, not a field
        return matrix

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
