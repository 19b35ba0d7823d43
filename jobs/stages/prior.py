"""prior: the teleport prior of the personalized PageRank, one row per scorable person."""

from __future__ import annotations

from pyspark.sql import functions as F

from jobs.context import RunContext, StageReport
from transforms.population import scorable_accounts, scorable_people
from transforms.prior import teleport_prior


def run(ctx: RunContext) -> StageReport:
    lake, cfg, date = ctx.lake, ctx.config, ctx.score_date
    inputs = ctx.versions("accounts", "people")
    accounts = lake.read("accounts", inputs["accounts"])
    people = lake.read("people", inputs["people"])
    scorable = scorable_people(people, accounts, date, cfg.population.min_age)
    prior = teleport_prior(scorable_accounts(accounts, scorable), people, scorable, date, cfg.prior)
    outputs = {"prior": lake.replace_partitions("prior", prior, {"score_date": [date]})}
    written = lake.read_day("prior", date)
    stats = written.agg(
        F.count(F.lit(1)).alias("people"),
        F.sum((F.col("offline") > 0).cast("int")).alias("offline"),
    ).collect()[0]
    counts = {"people": int(stats["people"]), "with_offline_signal": int(stats["offline"] or 0)}
    return StageReport(counts=counts, inputs=inputs, outputs=outputs)
