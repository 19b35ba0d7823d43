"""publish: audit the staged scores, then replace the date's `scores` and `topic_scores`."""

from __future__ import annotations

from pyspark.sql import functions as F

from jobs.context import RunContext, StageReport
from transforms.audit import assert_publishable, score_violations


def run(ctx: RunContext) -> StageReport:
    lake, date = ctx.lake, ctx.score_date
    inputs = ctx.versions("scores_staged", "topic_scores_staged", "prior")
    on_date = F.col("score_date") == F.lit(date)
    staged = lake.read("scores_staged", inputs["scores_staged"]).where(on_date)
    staged_topics = lake.read("topic_scores_staged", inputs["topic_scores_staged"]).where(on_date)
    scorable = lake.read("prior", inputs["prior"]).where(on_date).select("person_id")
    violations = score_violations(staged, scorable)
    assert_publishable(violations)
    outputs = {
        "scores": lake.replace_partitions("scores", staged, {"score_date": [date]}),
        "topic_scores": lake.replace_partitions(
            "topic_scores", staged_topics, {"score_date": [date]}
        ),
    }
    return StageReport(counts={"published": violations["rows"]}, inputs=inputs, outputs=outputs)
