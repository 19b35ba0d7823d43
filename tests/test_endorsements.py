"""+K rate limits: 5 per giver per day, one per receiver and topic per 7 days."""

from __future__ import annotations

import datetime as dt

from transforms.endorsements import limit_endorsements
from transforms.schemas import ENGAGEMENTS

D = dt.date(2026, 11, 20)


def _row(event, actor, target, topic, day, minute, network="klout", action="plus_k"):
    ts = dt.datetime.combine(day, dt.time(8, minute))
    return (event, network, action, actor, target, None, [topic], ts, day)


def test_plus_k_limits(spark):
    today = [_row(f"g{k}", 1, 100 + k, "ai", D, k) for k in range(7)]  # 7 receivers: 5 count
    today += [
        _row("repeat", 2, 50, "ai", D, 0),  # 2 gave 50 an "ai" +K 6 days ago: dropped
        _row("new-topic", 2, 50, "art", D, 1),  # another topic: counts
        _row("week-later", 3, 50, "ai", D, 0),  # 3's previous one was 7 days ago: counts
        _row("like", 1, 50, "ai", D, 59, network="twitter", action="like"),  # not a +K
    ]
    earlier = [
        _row("old-2", 2, 50, "ai", D - dt.timedelta(days=6), 0),
        _row("old-3", 3, 50, "ai", D - dt.timedelta(days=7), 0),
    ]
    frame = spark.createDataFrame(today, ENGAGEMENTS.schema)
    context = spark.createDataFrame(earlier, ENGAGEMENTS.schema)
    kept = limit_endorsements(frame, context, "klout", "plus_k", 5, 7)
    events = sorted(r.event_id for r in kept.collect())
    assert events == sorted(["g0", "g1", "g2", "g3", "g4", "new-topic", "week-later", "like"])
    assert kept.columns == frame.columns
