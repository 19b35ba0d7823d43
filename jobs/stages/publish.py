"""publish: audit the staged scores, then replace the date's `scores` and `topic_scores`."""

from __future__ import annotations

from jobs.context import RunContext, StageReport
from transforms.audit import assert_publishable, score_violations


def run(ctx: RunContext) -> StageReport:
    lake, date = ctx.lake, ctx.score_date
    inputs = ctx.versions("scores_staged", "topic_scores_staged", "prior")
    staged = lake.read_day("scores_staged", date, inputs["scores_staged"])
    staged_topics = lake.read_day("topic_scores_staged", date, inputs["topic_scores_staged"])
    scorable = lake.read_day("prior", date, inputs["prior"]).select("person_id")
    violations = score_violations(staged, scorable, ctx.config.score.parts_tolerance)
    assert_publishable(violations)
    outputs = {
        "scores": lake.replace_partitions("scores", staged, {"score_date": [date]}),
        "topic_scores": lake.replace_partitions(
            "topic_scores", staged_topics, {"score_date": [date]}
        ),
    }
    return StageReport(counts={"published": violations["rows"]}, inputs=inputs, outputs=outputs)
