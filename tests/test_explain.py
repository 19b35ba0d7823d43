"""Top engagers and the main cause of a daily change, on hand-made frames."""

from __future__ import annotations

import pytest

from transforms.explain import change_causes, top_engagers
from transforms.scoring import COMPONENTS


def test_top_engagers_are_the_largest_inflows(spark):
    # 1 gives all its weight to 3; 2 splits its weight 1:3 between 3 and 4.
    edges = spark.createDataFrame(
        [(1, 3, 2.0), (2, 3, 1.0), (2, 4, 3.0)], "src long, dst long, weight double"
    )
    ranks = spark.createDataFrame([(1, 0.1), (2, 0.8)], "person_id long, rank double")
    rows = {(r.person_id, r.position): r for r in top_engagers(edges, ranks, 1).collect()}
    # inflows into 3: from 1, 0.1 * 1; from 2, 0.8 * 1/4 = 0.2 -> 2 first, with 2/3 of it.
    assert set(rows) == {(3, 1), (4, 1)}
    assert rows[(3, 1)].engager_id == 2 and rows[(3, 1)].share == pytest.approx(0.2 / 0.3)
    assert rows[(4, 1)].engager_id == 2 and rows[(4, 1)].share == pytest.approx(1.0)


def _components(spark, values):
    schema = "person_id long, " + ", ".join(f"{c} double" for c in COMPONENTS)
    return spark.createDataFrame(
        [(p, *[v.get(c, 0.0) for c in COMPONENTS]) for p, v in values.items()], schema
    )


def test_change_cause_follows_the_direction_of_the_change(spark):
    schema = "person_id long, score double, networks map<string,double>"
    yesterday = spark.createDataFrame(
        [(1, 40.0, {"twitter": 30.0, "facebook": 10.0}), (2, 50.0, {"twitter": 50.0}),
         (3, 20.0, {"twitter": 20.0})],
        schema,
    )  # fmt: skip
    today = spark.createDataFrame(
        [(1, 44.0, {"twitter": 29.0, "facebook": 15.0}),  # up: facebook +5 (twitter -1)
         (2, 45.0, {"twitter": 40.0, "instagram": 5.0}),  # down: twitter -10
         (3, 20.0, {"twitter": 20.0}),  # unchanged: no cause
         (4, 10.0, {"twitter": 10.0})],  # new today: no cause
        schema,
    )  # fmt: skip
    was = _components(spark, {1: {"reactions": 1.0, "influence": 0.5}, 2: {"influence": 2.0}})
    now = _components(
        spark, {1: {"reactions": 1.4, "influence": 0.4}, 2: {"influence": 1.5, "offline": 0.1}}
    )
    causes = {r.person_id: (r.change_network, r.change_signal) for r in
              change_causes(today, yesterday, now, was).collect()}  # fmt: skip
    assert causes == {1: ("facebook", "reactions"), 2: ("twitter", "influence")}
