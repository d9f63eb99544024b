"""The analysts' commands: `serve` (Datasette), `export`, `stats` and `runs`.

They are thin: each resolves the archive, calls scraper.browse and prints. scraper/cli.py adds
them to its group (`cli.add_command(serve)` ...); `python -m scraper.browse` runs them on their own.
"""

from __future__ import annotations

import json
import os
import sqlite3
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

import click
import sqlite_utils

from ..archive import read_only_uri
from ..config import CONFIG_ENV_VAR, load_config
from ..errors import ArchiveError
from .export import EXPORT_FORMATS, ExportFormat, export_articles
from .metadata import metadata_json
from .schema import COUNTS_TABLE, prepare_for_datasette
from .stats import ArchiveStats, RunSummary, archive_stats, recent_runs, run_errors, runs_as_json

# As on the `scraper` group: these commands are also invoked on their own (tests, other tools), and
# click remembers a command's help option the first time it is asked for.
HELP_OPTIONS = {"help_option_names": ["-h", "--help"]}

__all__ = ["BROWSE_COMMANDS", "datasette_args", "export", "runs", "serve", "stats"]

F = TypeVar("F", bound=Callable[..., Any])

PLUGINS_DIR = Path(__file__).with_name("plugins")
TEMPLATES_DIR = Path(__file__).with_name("templates")
DEFAULT_PORT = 8001
# Datasette's defaults (1 s per query) are tuned for small databases; a search ranked over a large
# archive or an analyst's ad-hoc GROUP BY needs longer.
DATASETTE_SETTINGS = {"sql_time_limit_ms": "5000", "facet_time_limit_ms": "500"}
ACCESS_LABELS = ("free", "teaser", "subscriber")


# The same option as scraper.cli.config_option, declared here because scraper.cli imports this
# module to register the commands (importing it back would be a cycle).
def config_option(func: F) -> F:
    return click.option(
        "--config",
        "-c",
        "config_path",
        type=click.Path(dir_okay=False),
        envvar=CONFIG_ENV_VAR,
        help=f"Config file [default: ./config.toml, or ${CONFIG_ENV_VAR}].",
    )(func)


def database_option(func: F) -> F:
    return click.option(
        "--database",
        "-d",
        type=click.Path(dir_okay=False),
        metavar="PATH",
        help="Archive file to use instead of the config's [archive].database.",
    )(func)


def archive_path(config_path: str | None, database: str | None) -> Path:
    path = Path(database) if database else load_config(config_path).database_path
    if not path.is_file():
        raise ArchiveError(f"{path}: no archive here yet; run `scraper run` first")
    return path


@contextmanager
def read_only(path: Path) -> Iterator[sqlite_utils.Database]:
    try:
        conn = sqlite3.connect(read_only_uri(path), uri=True)
        db = sqlite_utils.Database(conn)
        if not db["articles"].exists():
            raise ArchiveError(f"{path}: not a scraper archive (no articles table)")
    except sqlite3.DatabaseError as exc:
        raise ArchiveError(f"{path}: cannot open the archive: {exc}") from None
    try:
        yield db
    finally:
        db.close()


# --- serve ------------------------------------------------------------------------------------


def datasette_args(database: Path, metadata_file: Path, *, host: str, port: int) -> list[str]:
    """The `datasette serve` arguments for an archive; the same line works by hand."""
    args = [
        "serve",
        str(database),
        "--metadata",
        str(metadata_file),
        "--plugins-dir",
        str(PLUGINS_DIR),
        "--template-dir",
        str(TEMPLATES_DIR),
        "--host",
        host,
        "--port",
        str(port),
    ]
    for name, value in DATASETTE_SETTINGS.items():
        args += ["--setting", name, value]
    return args


def _ensure_prepared(path: Path) -> None:
    """Add the counts table and triggers to an archive written before they existed.

    The one write `serve` makes, a short transaction (SQLite serialises it with a running scrape);
    skipped with a warning when the file is not writable, since the archive stays browsable apart
    from the charts and weekly/monthly queries."""
    probe = sqlite3.connect(read_only_uri(path), uri=True)
    try:
        names = {row[0] for row in probe.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    finally:
        probe.close()
    if "articles" not in names:
        raise ArchiveError(f"{path}: not a scraper archive (no articles table)")
    if COUNTS_TABLE in names:
        return
    try:
        db = sqlite_utils.Database(path)
        db.execute("PRAGMA busy_timeout = 10000")
        try:
            prepare_for_datasette(db)
        finally:
            db.close()
    except sqlite3.OperationalError as exc:
        click.echo(f"Warning: {path}: cannot add the {COUNTS_TABLE} table ({exc}); charts will be empty.", err=True)


@click.command(context_settings=HELP_OPTIONS)
@config_option
@database_option
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option(
    "--port",
    "-p",
    default=DEFAULT_PORT,
    show_default=True,
    type=click.IntRange(0, 65535),
    help="Port to listen on (0: any free port).",
)
def serve(config_path: str | None, database: str | None, host: str, port: int) -> None:
    """Browse the archive in Datasette: tables, full-text search, stored queries and charts.

    The archive is opened read-only and not as immutable, so counts and pages stay current while
    a scheduled run writes to it. Charts are at /-/charts. The same server by hand,
    from a checkout, for the default data/archive.db:

    \b
        datasette data/archive.db -m scraper/browse/metadata.json \\
          --plugins-dir scraper/browse/plugins --template-dir scraper/browse/templates
    """
    from datasette.cli import cli as datasette_cli

    path = archive_path(config_path, database).resolve()
    _ensure_prepared(path)
    with tempfile.TemporaryDirectory(prefix="scraper-serve-") as folder:
        # Datasette keys metadata by database name, the file's stem.
        metadata_file = Path(folder) / "metadata.json"
        metadata_file.write_text(metadata_json(path.stem), encoding="utf-8")
        # With port 0 the system picks the port; Datasette's own "Uvicorn running on ..." line names it.
        where = f"http://{host}:{port}/" if port else f"a free port of {host} (named below)"
        click.echo(f"Serving {path} on {where} (charts: /-/charts); Ctrl-C to stop.", err=True)
        args = datasette_args(path, metadata_file, host=host, port=port)
        datasette_cli.main(args=args, prog_name="datasette")


# --- export -----------------------------------------------------------------------------------


def iso_time(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """A --since value checked and written the way SQLite's julianday() reads it ("20240501" too)."""
    if value is None:
        return None
    try:
        return datetime.fromisoformat(value).isoformat()
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date like 2024-05-01 or 2024-05-01T12:00") from None


@click.command(context_settings=HELP_OPTIONS)
@config_option
@database_option
@click.option(
    "--format",
    "fmt",
    type=click.Choice(EXPORT_FORMATS),
    default="jsonl",
    show_default=True,
    help="jsonl: one JSON object per line, authors/tags as arrays; csv: a header row, arrays as JSON text.",
)
@click.option("--outlet", "-o", "outlets", multiple=True, metavar="SLUG", help="Only this outlet (repeatable).")
@click.option(
    "--since",
    callback=iso_time,
    metavar="DATE",
    help="Only articles published on or after DATE (ISO 8601; undated articles: first seen).",
)
@click.option("--access", type=click.Choice(ACCESS_LABELS), help="Only articles with this access label.")
@click.option(
    "--output",
    default="-",
    type=click.Path(dir_okay=False, allow_dash=True),
    metavar="FILE",
    help="Write to FILE instead of standard output.",
)
def export(
    config_path: str | None,
    database: str | None,
    fmt: ExportFormat,
    outlets: tuple[str, ...],
    since: str | None,
    access: str | None,
    output: str,
) -> None:
    """Stream articles as JSON Lines or CSV, e.g. for pandas (read_json(lines=True)) or R.

    Articles come in archive order; all columns except the HTTP validators. Duplicates are
    included: filter on duplicate_of to drop them.
    """
    path = archive_path(config_path, database)
    with read_only(path) as db:
        known = {row[0] for row in db.execute("SELECT slug FROM outlets")}
        unknown = [slug for slug in outlets if slug not in known]
        if unknown:
            raise click.BadParameter(
                f"no outlet {', '.join(map(repr, unknown))} in {path}; archived: {', '.join(sorted(known))}",
                param_hint="--outlet",
            )
        if output == "-":
            try:
                export_articles(db, sys.stdout, fmt, outlets=outlets, since=since, access=access)
                sys.stdout.flush()
            except BrokenPipeError:
                # `scraper export | head`: the reader has what it wanted.
                sys.stderr.close()
            return
        with open(output, "w", encoding="utf-8", newline="") as out:
            count = export_articles(db, out, fmt, outlets=outlets, since=since, access=access)
    click.echo(f"Exported {count} articles to {output}.", err=True)


# --- stats and runs ---------------------------------------------------------------------------


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes} min {rest:02d} s" if minutes < 60 else f"{minutes // 60} h {minutes % 60:02d} min"


_OFFLINE_JOBS = frozenset({"reextract", "import-warc"})


def _console() -> Any:
    from rich.console import Console

    # Off a terminal (cron mail, a pipe, a file) rich would assume 80 columns and cut dates and
    # counts to "202…": a wide page reads better there. COLUMNS, when set, still decides.
    wide = not sys.stdout.isatty() and not os.environ.get("COLUMNS")
    return Console(highlight=False, width=200 if wide else None)


def _errors_table(errors: list[dict[str, Any]], run: int, limit: int | None) -> Any:
    from rich.table import Table

    shown = errors if limit is None else errors[:limit]
    more = len(errors) - len(shown)
    table = Table(
        title=f"Errors in run {run}",
        title_justify="left",
        caption=f"… and {more} more: scraper runs --run {run}" if more else None,
    )
    for name in ("Outlet", "Stage", "Type", "Message", "URL"):
        table.add_column(name, overflow="fold")
    for error in shown:
        table.add_row(error["outlet"], error["stage"], error["type"], error["message"], error["url"])
    return table


def _runs_table(summaries: list[RunSummary], title: str) -> Any:
    from rich.table import Table

    table = Table(title=title, title_justify="left")
    table.add_column("Run", justify="right")
    table.add_column("Started (UTC)")
    table.add_column("Took", justify="right")
    table.add_column("Status")
    for name in ("Fetched", "New", "Updated", "Dupl.", "Teasers", "Errors"):
        table.add_column(name, justify="right")
    table.add_column("What failed", overflow="fold")
    for run in summaries:
        status = run.status or "?"
        style = {"ok": "green", "partial": "yellow"}.get(status, "red" if status != "running" else "")
        # reextract and import-warc runs carry their job's name as message: a kind of run, no failure.
        job = run.message if run.message in _OFFLINE_JOBS else None
        failed = "; ".join(part for part in (run.not_ok, run.error_kinds, None if job else run.message) if part)
        shown = f"[{style}]{status}[/]" if style else status
        table.add_row(
            str(run.run),
            (run.started_at or "")[:19].replace("T", " "),
            _duration(run.duration_s),
            f"{shown} ({job})" if job else shown,
            *(str(n) for n in (run.fetched, run.new, run.updated, run.duplicates, run.teasers, run.errors)),
            failed or "-",
        )
    return table


def _print_stats(summary: ArchiveStats, path: Path) -> None:
    from rich.table import Table

    console = _console()
    size = path.stat().st_size
    table = Table(
        title=f"{path}: {summary.articles} articles, {summary.versions} earlier versions, {size / 1e6:.1f} MB",
        title_justify="left",
    )
    table.add_column("Outlet")
    for name in ("Articles", "Free", "Teaser", "Subscriber", "Teaser %", "Duplicates", "Undated"):
        table.add_column(name, justify="right")
    table.add_column("Latest published")
    for o in summary.outlets:
        label = o.outlet if not o.name or o.name == o.outlet else f"{o.name} ({o.outlet})"
        table.add_row(
            label,
            str(o.articles),
            str(o.free),
            str(o.teaser),
            str(o.subscriber),
            f"{100 * o.teaser_share:.1f}",
            str(o.duplicates),
            str(o.undated),
            (o.latest_published or "-")[:16],
        )
    if len(summary.outlets) > 1:
        totals = [
            sum(getattr(o, name) for o in summary.outlets) for name in ("articles", "free", "teaser", "subscriber")
        ]
        table.add_row(
            "[b]all[/]",
            *(str(n) for n in totals),
            f"{100 * totals[2] / totals[0]:.1f}" if totals[0] else "0.0",
            str(sum(o.duplicates for o in summary.outlets)),
            str(sum(o.undated for o in summary.outlets)),
            "",
            end_section=True,
        )
    console.print(table)
    if summary.last_run is None:
        console.print("No runs yet.")
        return
    console.print(_runs_table([summary.last_run], "Last run"))
    if summary.last_run_errors:
        console.print(_errors_table(list(summary.last_run_errors), summary.last_run.run, limit=10))


@click.command(context_settings=HELP_OPTIONS)
@config_option
@database_option
@click.option("--json", "as_json", is_flag=True, help="Print the summary as one JSON object.")
def stats(config_path: str | None, database: str | None, as_json: bool) -> None:
    """Summarise the archive: articles per outlet, access mix, duplicates, the last run and its errors."""
    path = archive_path(config_path, database)
    with read_only(path) as db:
        summary = archive_stats(db)
    if as_json:
        click.echo(json.dumps(summary.as_dict(), ensure_ascii=False, indent=2))
    else:
        _print_stats(summary, path)


@click.command(context_settings=HELP_OPTIONS)
@config_option
@database_option
@click.option("--limit", "-n", default=10, show_default=True, type=click.IntRange(min=1), help="Runs to show.")
@click.option("--run", "run_id", type=int, metavar="ID", help="Show every error of this run.")
@click.option("--json", "as_json", is_flag=True, help="Print the runs (or, with --run, the errors) as JSON.")
def runs(config_path: str | None, database: str | None, limit: int, run_id: int | None, as_json: bool) -> None:
    """Recent runs, newest first: when, how long, status, what they added and what failed.

    The errors of the latest run are listed below the table; --run ID lists all errors of one run.
    """
    path = archive_path(config_path, database)
    with read_only(path) as db:
        if run_id is not None:
            if db.execute("SELECT 1 FROM runs WHERE id = ?", [run_id]).fetchone() is None:
                raise click.BadParameter(f"no run {run_id} in {path}", param_hint="--run")
            errors = run_errors(db, run_id)
            if as_json:
                click.echo(json.dumps(errors, ensure_ascii=False, indent=2))
            elif errors:
                _console().print(_errors_table(errors, run_id, limit=None))
            else:
                click.echo(f"Run {run_id} recorded no errors.")
            return
        summaries = recent_runs(db, limit)
        latest_errors = run_errors(db, summaries[0].run) if summaries and not as_json else []
    if as_json:
        click.echo(runs_as_json(summaries))
        return
    if not summaries:
        click.echo("No runs yet.")
        return
    console = _console()
    console.print(_runs_table(summaries, f"Last {len(summaries)} runs" if len(summaries) > 1 else "Last run"))
    if latest_errors:
        console.print(_errors_table(latest_errors, summaries[0].run, limit=10))


BROWSE_COMMANDS = (serve, export, stats, runs)
