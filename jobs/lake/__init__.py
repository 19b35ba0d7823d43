"""The table layer: every Delta table of the lake behind `Lake`, and the lake's writer lease.

- `table.py`: `Lake`, reads and writes conformed to the table specs (transforms/schemas/);
- `delta.py`: the Delta operations, in DataFrame and SQL calls that also run over Spark Connect;
- `lease.py`: one writing run per lake at a time, and the clean-up after a killed one;
- `errors.py`: the typed errors.
"""

from jobs.lake.errors import (
    ConcurrentWriteError,
    LakeBusyError,
    PartitionMismatchError,
    TableError,
    TableNotFoundError,
    WriteMode,
    isin,
    partition_string,
    sql_in,
    sql_literal,
)
from jobs.lake.table import Lake, conform, value_list

__all__ = [
    "ConcurrentWriteError",
    "Lake",
    "LakeBusyError",
    "PartitionMismatchError",
    "TableError",
    "TableNotFoundError",
    "WriteMode",
    "conform",
    "isin",
    "partition_string",
    "sql_in",
    "sql_literal",
    "value_list",
]
