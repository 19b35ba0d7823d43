"""Do the burst defences spare organic virality? Compare two evaluations of one sample.

    python scripts/evaluate.py --size small --json with.json
    python scripts/evaluate.py --size small --reuse --set edges.burst_cap=1e9 \\
        --set edges.crowd_cap=1e9 --json without.json
    python scripts/viral_check.py with.json without.json

Prints, for the sample's organic viral people (scripts/sample_viral.py), the median and lowest
share of their defences-off score that they keep with the defences on (target: >= 95%), and the
burst customers' median percentile both ways (the defences must still damp them).
"""

from __future__ import annotations

import json
import statistics
import sys
from pathlib import Path


def kept_shares(with_defences: dict, without: dict) -> list[float]:
    """Per viral person scored in both runs with a positive score without the defences."""
    on, off = with_defences["viral_scores"], without["viral_scores"]
    return [on[p] / off[p] for p in on if p in off and off[p] > 0]


def main(argv: list[str]) -> int:
    with_defences, without = (json.loads(Path(p).read_text()) for p in argv[:2])
    shares = kept_shares(with_defences, without)
    if not shares:
        print("no viral person scored in both runs")
        return 1
    print(
        f"organic viral people: {len(shares)}; share of the defences-off score kept: median "
        f"{statistics.median(shares):.3f}, lowest {min(shares):.3f} (target >= 0.95)"
    )
    for name, figures in (("with", with_defences), ("without", without)):
        kinds = figures["kinds"]
        line = ", ".join(
            f"{k} {kinds[k]['median_percentile']:.1f}"
            for k in ("burst_customer", "viral", "normal_ordinary")
            if k in kinds
        )
        print(f"median percentile {name} the defences: {line}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
