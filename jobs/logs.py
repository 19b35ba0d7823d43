"""What a command prints, and where the rest goes.

The console gets Sway's own lines (one per stage, per backfill window) at `logging.level`, and
one line per error. Everything else goes to the command's log file under `logging.dir`: the
same lines at DEBUG, every Python traceback, and the output of the Spark driver the command
starts (Ivy's resolution report, Spark's warnings at `spark.log_level`), because a local JVM
inherits the process's stderr, which points at the log file while the session starts.
`--verbose` keeps it all on the console instead.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import os
import sys
from collections.abc import Iterator
from pathlib import Path

from jobs.config import LoggingConfig

CONSOLE_FORMAT = "%(asctime)s %(levelname)s %(message)s"
FILE_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
# One error line on the console stays readable: the rest is in the log file.
MAX_ERROR_CHARS = 400


def log_file(config: LoggingConfig, command: str) -> Path | None:
    """A new log file for this command run, or None when `logging.dir` is null."""
    if not config.dir:
        return None
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S")
    folder = Path(config.dir)
    folder.mkdir(parents=True, exist_ok=True)
    return (folder / f"{stamp}-{command}-{os.getpid()}.log").resolve()


class ConsoleHandler(logging.StreamHandler):
    """Writes to whatever sys.stderr is when a line is logged (a notebook's, a test's)."""

    def emit(self, record: logging.LogRecord) -> None:
        self.stream = sys.stderr
        super().emit(record)


def configure(config: LoggingConfig, path: Path | None, verbose: bool) -> None:
    """Console handler at the configured level (DEBUG with --verbose), file handler at DEBUG;
    replaces the handlers an earlier command of the same process set."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        if isinstance(handler, ConsoleHandler | logging.FileHandler):
            root.removeHandler(handler)
            handler.close()
    console = ConsoleHandler(sys.stderr)
    console.setLevel(logging.DEBUG if verbose else config.level)
    console.setFormatter(logging.Formatter(CONSOLE_FORMAT, "%H:%M:%S"))
    root.addHandler(console)
    if path is not None:
        to_file = logging.FileHandler(path, encoding="utf-8")
        to_file.setLevel(logging.DEBUG)
        to_file.setFormatter(logging.Formatter(FILE_FORMAT))
        root.addHandler(to_file)
    # Sway's tracebacks are DEBUG lines (file only); other libraries' DEBUG stays out.
    root.setLevel(logging.INFO)
    logging.getLogger("sway").setLevel(logging.DEBUG)
    # py4j logs every call at DEBUG/INFO: never useful to an operator.
    logging.getLogger("py4j").setLevel(logging.WARNING)


@contextlib.contextmanager
def driver_output_to(path: Path | None) -> Iterator[None]:
    """While the block runs (the session start), file descriptor 2 points at `path`: a Spark
    driver started meanwhile keeps writing its output there; Python's stderr is restored."""
    if path is None:
        yield
        return
    sys.stderr.flush()
    saved = os.dup(2)
    target = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.dup2(target, 2)
        yield
    finally:
        sys.stderr.flush()
        os.dup2(saved, 2)
        os.close(saved)
        os.close(target)


def one_line(error: BaseException) -> str:
    """The first meaningful line of an error's message (a Java exception's own message rather
    than py4j's call description), cut to MAX_ERROR_CHARS."""
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    java = [line for line in lines if line.startswith(": ")]
    text = java[0][2:] if java else (lines[0] if lines else type(error).__name__)
    if len(text) > MAX_ERROR_CHARS:
        text = text[: MAX_ERROR_CHARS - 3] + "..."
    return text
