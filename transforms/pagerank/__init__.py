"""Weighted, personalized PageRank: the engines the propagate stage chooses from, and their parts.

- result.py: what every engine takes (PageRankParams) and returns (PageRankResult), checkpoints.
- reference.py: the reference engine in Spark DataFrames (the semantics, in the clearest form).
- single.py: the single-machine engine (the graph collected to the driver, power_iteration.py).
- power_iteration.py: the numpy / scipy power iteration (the single engine's core and the
  oracle the distributed engines are tested against).
- blocked.py: the fast distributed engine (sparse products per block inside Spark tasks), with
  inputs.py (typed inputs, its setup queries), block_layout.py (setup kernels: blocks, tiles),
  block_iteration.py (an iteration's Spark job, resuming after a failure), block_steps.py (the
  per-iteration kernel) and codec.py (arrays in one binary cell).
"""
