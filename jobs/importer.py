"""`python -m jobs import`: load a public data set's file into the input tables (docs/IMPORT.md).

Reads the file with Spark (any size; .gz works), numbers its lines, parses them with the format's
parser (transforms/import_formats.py) and writes, in this order:
- `accounts` and `people`: appended rows for users the tables do not know (known ones untouched);
- `interactions`: the event_date partitions the file covers are replaced by their rows from other
  sources plus this file's rows (so a rerun of the same file leaves the same table);
- `quarantine` (source `import:<format>`): the bad lines, replaced the same way per file.
The attempt is recorded in the `runs` manifest as stage `import` (score_date: the import's day).
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from dataclasses import dataclass, field

from pyspark import StorageLevel
from pyspark.sql import functions as F

from jobs import manifest
from jobs.context import RunContext, StageReport
from jobs.runner import StageFailedError
from transforms import import_edgelist, import_formats, imports

log = logging.getLogger("sway")

CONSENTS = ("opted_in", "opted_out")
_CONTRACT_TABLES = ("interactions", "accounts", "people", "quarantine")


@dataclass(frozen=True)
class ImportRequest:
    fmt: str
    path: str
    network: str | None = None
    # Tag of the file in event ids and quarantine records; default: from the file name.
    source: str | None = None
    # Consent recorded for new people: opted_out unless the operator says the data set may be
    # scored (a null or missing consent is never consent).
    consent: str = "opted_out"
    # created_at of new accounts; default: the first time the file shows them.
    accounts_created: dt.datetime | None = None
    # edgelist only: what the columns mean, every line's action, or type -> action.
    columns: tuple[str, ...] = import_edgelist.DEFAULT_COLUMNS
    action: str | None = None
    types: dict[str, str] = field(default_factory=dict)


def run_import(ctx: RunContext, request: ImportRequest) -> StageReport:
    """Import the file, timed and logged, with a `runs` row whatever the outcome."""
    started = dt.datetime.now(dt.UTC)
    clock = time.perf_counter()
    log.info("import format=%s path=%s run_id=%s: started", request.fmt, request.path, ctx.run_id)
    try:
        with ctx.writing("import"):
            report = _import(ctx, request)
    except Exception as error:
        manifest.record(
            ctx, "import", "failed", None, started, dt.datetime.now(dt.UTC), repr(error)[:2000]
        )
        log.error(
            "import %s: FAILED after %.1fs: %r", request.path, time.perf_counter() - clock, error
        )
        raise StageFailedError(f"import of {request.path} failed: {error}") from error
    manifest.record(ctx, "import", "succeeded", report, started, dt.datetime.now(dt.UTC))
    counts = " ".join(f"{k}={v}" for k, v in report.counts.items())
    log.info(
        "import %s: done in %.1fs %s dates=%s..%s outputs=%s",
        request.path,
        time.perf_counter() - clock,
        counts,
        report.details.get("first_date"),
        report.details.get("last_date"),
        report.outputs,
    )
    if report.counts.get("new_people") and request.consent != "opted_in":
        log.warning(
            "import: %d new people recorded as %s: they will not be scored. For a public, "
            "pseudonymous data set you may score, rerun with --consent opted_in.",
            report.counts["new_people"],
            request.consent,
        )
    return report


def _import(ctx: RunContext, request: ImportRequest) -> StageReport:
    if request.consent not in CONSENTS:
        raise import_formats.ImportFormatError(
            f"consent must be one of {CONSENTS}, got {request.consent!r}"
        )
    lake, spark = ctx.lake, ctx.spark
    network = import_formats.default_network(request.fmt, request.path, request.network)
    layout = _layout(request, network)
    _check_weighted(ctx, network, _actions(request.fmt, network, layout))
    source = request.source or import_formats.source_tag(request.path)
    for name in _CONTRACT_TABLES:
        lake.create(name)
    inputs = ctx.versions("interactions", "accounts", "people", "quarantine")

    lines = import_formats.number_lines(spark.read.text(request.path))
    # Persisted: the counts, the dates, the accounts and both writes read it again.
    parsed = import_formats.parse_lines(lines, request.fmt, network, layout).persist(
        StorageLevel.MEMORY_AND_DISK
    )
    try:
        return _write(ctx, request, parsed, lines, source, inputs)
    finally:
        parsed.unpersist()


def _layout(request: ImportRequest, network: str) -> import_edgelist.EdgeListLayout | None:
    if request.fmt != import_edgelist.EDGELIST:
        if request.action or request.types or request.columns != import_edgelist.DEFAULT_COLUMNS:
            raise import_formats.ImportFormatError(
                "--columns, --action and --types are options of the edgelist format"
            )
        return None
    try:
        return import_edgelist.EdgeListLayout(
            network, tuple(request.columns), request.action, dict(request.types)
        )
    except import_edgelist.EdgeListLayoutError as error:
        raise import_formats.ImportFormatError(str(error)) from error


def _actions(fmt: str, network: str, layout) -> set[str]:
    if layout is not None:
        return layout.actions()
    if fmt == import_formats.SNAP_HIGGS:
        return set(import_formats.HIGGS_ACTIONS.values())
    return {import_formats.KLOUT_ACTIONS[network]}


def _check_weighted(ctx: RunContext, network: str, actions: set[str]) -> None:
    """Every action the file can hold must have a weight in the config's `networks`, or ingest
    would quarantine all of it as unknown: fail before reading the file, naming the key."""
    weights = ctx.config.networks.get(network, {})
    missing = sorted(a for a in actions if a not in weights)
    if missing:
        raise import_formats.ImportFormatError(
            f"networks.{network}.{missing[0]} has no weight in the config: add it in an overlay "
            f"or with --set networks.{network}.{missing[0]}=WEIGHT (conf/realdata.yaml has the "
            "public data sets' networks)"
        )


def _write_identities(ctx, request, parsed, inputs) -> tuple[dict, int, int]:
    """The accounts and people the file names for the first time, appended: (outputs, new
    accounts, new people). First: the interactions then never point at unknown accounts."""
    lake, outputs = ctx.lake, {}
    seen = imports.seen_accounts(parsed)
    fresh_accounts = imports.new_accounts(
        seen, lake.read("accounts", inputs["accounts"]), request.accounts_created
    ).persist()
    fresh_people = imports.new_people(
        fresh_accounts, lake.read("people", inputs["people"]), request.consent
    ).persist()
    try:
        n_accounts, n_people = fresh_accounts.count(), fresh_people.count()
        if n_accounts:
            outputs["accounts"] = lake.append("accounts", fresh_accounts)
        if n_people:
            outputs["people"] = lake.append("people", fresh_people)
    finally:
        fresh_accounts.unpersist()
        fresh_people.unpersist()
    return outputs, n_accounts, n_people


def _dates(frame) -> list:
    return sorted(r["event_date"] for r in frame.select("event_date").distinct().collect())


def _write_rows(ctx, request, parsed, source, inputs, fallback) -> tuple[dict, list]:
    """The file's interactions and quarantined lines, each merged into the partitions of their
    dates (this source's earlier rows there replaced): (outputs, interaction dates)."""
    lake = ctx.lake
    imported = imports.interaction_rows(parsed, request.fmt, source)
    dates = _dates(imported)
    existing = lake.read("interactions", inputs["interactions"])
    existing = existing.where(F.col("event_date").isin(dates))
    prefix = imports.event_id_prefix(request.fmt, source)
    merged = imports.merge_interactions(existing, imported, prefix)
    outputs = {
        "interactions": lake.replace_partitions("interactions", merged, {"event_date": dates})
    }
    q_source = imports.quarantine_source(request.fmt)
    rejected = imports.quarantine_rows(parsed, request.fmt, source, ctx.run_id, fallback)
    q_dates = _dates(rejected)
    q_existing = lake.read("quarantine", inputs["quarantine"]).where(
        (F.col("source") == F.lit(q_source)) & F.col("event_date").isin(q_dates)
    )
    outputs["quarantine"] = lake.replace_partitions(
        "quarantine",
        imports.merge_quarantine(q_existing, rejected, source),
        {"source": [q_source], "event_date": q_dates},
    )
    return outputs, dates


def _write(ctx, request, parsed, lines, source, inputs) -> StageReport:
    stats = parsed.agg(
        F.count(F.lit(1)).alias("data_lines"),
        F.count(F.when(F.col("reason").isNull(), F.lit(1))).alias("good"),
        F.min(F.to_date(F.col("event_ts"))).alias("first_date"),
        F.max(F.to_date(F.when(F.col("reason").isNull(), F.col("event_ts")))).alias("last_date"),
    ).collect()[0]
    total_lines = lines.count()
    good, bad = int(stats["good"]), int(stats["data_lines"]) - int(stats["good"])
    # A line whose date is unknown is filed under the file's first date: stable across reruns.
    fallback = stats["first_date"] or ctx.score_date
    outputs, n_accounts, n_people = _write_identities(ctx, request, parsed, inputs)
    written, dates = _write_rows(ctx, request, parsed, source, inputs, fallback)
    outputs.update(written)
    counts = {
        "lines": total_lines,
        "skipped": total_lines - int(stats["data_lines"]),
        "imported": good,
        "quarantined": bad,
        "dates": len(dates),
        "new_accounts": n_accounts,
        "new_people": n_people,
    }
    details = {"first_date": dates[0] if dates else None, "last_date": stats["last_date"]}
    return StageReport(counts=counts, inputs=inputs, outputs=outputs, details=details)
