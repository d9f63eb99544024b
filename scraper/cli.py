"""The `scraper` command: parse flags, load config, call the pipeline or one stage, print.

Errors raised on purpose (ScraperError) are turned into one line on stderr and a documented
exit status here, in one place; `--debug` shows the traceback instead.
"""

from __future__ import annotations

import json
import logging
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from . import __version__
from .browse.commands import BROWSE_COMMANDS, iso_time
from .config import CONFIG_ENV_VAR, Settings, load_config, parse_config
from .errors import ArchiveError, ConfigError, LockHeld, ScraperError

if TYPE_CHECKING:
    from .pipeline import RunOptions, RunReport

F = TypeVar("F", bound=Callable[..., Any])

# Exit statuses, documented in the README and `scraper run --help`.
EXIT_OK = 0
EXIT_PARTIAL = 1  # the run finished, but some URLs or outlets failed
EXIT_CONFIG = 2
EXIT_LOCKED = 3
EXIT_TOTAL_FAILURE = 4  # nothing could be reached
EXIT_INTERRUPTED = 130
RUN_EXIT_STATUS = {
    "ok": EXIT_OK,
    "partial": EXIT_PARTIAL,
    "failed": EXIT_TOTAL_FAILURE,
    "interrupted": EXIT_INTERRUPTED,
}

EXIT_STATUSES = f"""\b
Exit status:
  {EXIT_OK}  every due outlet ran without errors
  {EXIT_PARTIAL}  the run finished but some URLs or outlets failed (see `scraper runs`)
  {EXIT_CONFIG}  the config is invalid or unreadable, or a file or folder it names cannot be used
  {EXIT_LOCKED}  another run holds the archive's lock (use --wait to queue)
  {EXIT_TOTAL_FAILURE}  nothing could be reached
  {EXIT_INTERRUPTED} interrupted (SIGINT/SIGTERM); work committed so far is kept"""


class JSONLogFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            entry["traceback"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def setup_logging(level: int, log_format: str) -> None:
    handler = logging.StreamHandler(sys.stderr)
    if log_format == "json":
        handler.setFormatter(JSONLogFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s", "%H:%M:%S"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # httpx logs every request at INFO; our fetcher keeps its own request log.
    logging.getLogger("httpx").setLevel(max(level, logging.WARNING))
    logging.getLogger("httpcore").setLevel(max(level, logging.WARNING))


class ScraperGroup(click.Group):
    """Turns ScraperError into a one-line message and its exit status."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except OSError as exc:
            # A path from the config that cannot be used (a data folder that cannot be created, a
            # read-only archive, an export target in a missing folder): one line, not a traceback.
            if isinstance(exc, BrokenPipeError) or (ctx.obj and ctx.obj.get("debug")):
                raise
            where = f"{exc.filename}: " if exc.filename else ""
            click.echo(f"Error: {where}{exc.strerror or exc}", err=True)
            ctx.exit(EXIT_CONFIG)
        except ScraperError as exc:
            if ctx.obj and ctx.obj.get("debug"):
                raise
            click.echo(f"Error: {exc}", err=True)
            if isinstance(exc, ConfigError):
                ctx.exit(EXIT_CONFIG)
            if isinstance(exc, LockHeld):
                ctx.exit(EXIT_LOCKED)
            ctx.exit(EXIT_PARTIAL if not isinstance(exc, ArchiveError) else EXIT_TOTAL_FAILURE)


def config_option(func: F) -> F:
    return click.option(
        "--config",
        "-c",
        "config_path",
        type=click.Path(dir_okay=False),
        envvar=CONFIG_ENV_VAR,
        help=f"Config file [default: ./config.toml, or ${CONFIG_ENV_VAR}].",
    )(func)


def output_options(func: F) -> F:
    """The flags that shape what a run prints, shared by `run` and `demo`."""
    for option in reversed(
        [
            click.option("--quiet", "-q", is_flag=True, help="Print nothing unless something is wrong (for cron)."),
            click.option("--json", "as_json", is_flag=True, help="Print the run's summary as one JSON object."),
            click.option(
                "--log-format",
                type=click.Choice(["plain", "json"]),
                default="plain",
                show_default=True,
                help="Log lines on stderr as plain text or one JSON object per line.",
            ),
            click.option("--verbose", "-v", is_flag=True, help="Log every request and stored article."),
        ]
    ):
        func = option(func)
    return func


@click.group(cls=ScraperGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="scraper")
@click.option("--debug", is_flag=True, help="Show tracebacks for errors.")
@click.pass_context
def cli(ctx: click.Context, debug: bool) -> None:
    """A paywall-aware news scraper and archiver.

    It finds articles of the outlets in config.toml (sitemaps, feeds, section pages), fetches
    them politely, extracts clean text and metadata, labels each as free, teaser or subscriber,
    links duplicates, and keeps everything in a SQLite archive for Datasette.
    """
    ctx.ensure_object(dict)
    ctx.obj["debug"] = debug


def _progress_printer(enabled: bool) -> tuple[Callable[[str, int, int | None], None] | None, Any]:
    """A rich progress bar on a terminal; nothing otherwise."""
    if not enabled:
        return None, None
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    progress = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        transient=True,
    )
    tasks: dict[str, Any] = {}

    def update(outlet: str, advance: int, total: int | None) -> None:
        if outlet not in tasks:
            tasks[outlet] = progress.add_task(outlet, total=total)
        elif total is not None:
            progress.update(tasks[outlet], total=total)
        if advance:
            progress.advance(tasks[outlet], advance)

    return update, progress


def _to_stderr(line: str, log_format: str) -> None:
    """A summary line on stderr; with --log-format json, one more JSON log line (the cron log stays JSON Lines)."""
    if log_format == "json":
        record = logging.LogRecord("scraper.summary", logging.WARNING, __file__, 0, line.strip(), None, None)
        line = JSONLogFormatter().format(record)
    click.echo(line, err=True)


def _print_report(report: RunReport, *, as_json: bool, quiet: bool, log_format: str = "plain") -> None:
    if as_json:
        click.echo(json.dumps(report.as_dict(), ensure_ascii=False))
        return
    if quiet and report.status == "ok":
        return
    for result in report.outlets:
        if result.status == "skipped":
            line = f"{result.slug}: skipped, not due yet"
        else:
            c = result.counts
            line = (
                f"{result.slug}: {result.status}; discovered {c.get('discovered', 0)}, fetched {c.get('fetched', 0)}, "
                f"new {c.get('new', 0)}, updated {c.get('updated', 0)}, duplicates {c.get('duplicates', 0)}, "
                f"teasers {c.get('teasers', 0)}, errors {c.get('errors', 0)}"
            )
        if quiet:
            _to_stderr(line, log_format)
        else:
            click.echo(line)
        for message in result.messages[:5]:
            _to_stderr(f"  {message}", log_format)
        if len(result.messages) > 5:
            _to_stderr(f"  ... and {len(result.messages) - 5} more (see `scraper runs`)", log_format)


def _run_and_report(
    settings: Settings, options: RunOptions, *, quiet: bool, as_json: bool, verbose: bool, log_format: str
) -> RunReport:
    setup_logging(logging.INFO if verbose else logging.WARNING if not quiet else logging.ERROR, log_format)
    show_progress = sys.stderr.isatty() and not quiet and not as_json
    from .pipeline import run

    update, progress = _progress_printer(show_progress)
    if progress is not None:
        with progress:
            report = run(settings, options, update)
    else:
        report = run(settings, options, update)
    _print_report(report, as_json=as_json, quiet=quiet, log_format=log_format)
    return report


@cli.command(name="run", epilog=EXIT_STATUSES)
@config_option
@click.option("--outlet", "-o", "outlets", multiple=True, metavar="SLUG", help="Only this outlet (repeatable).")
@click.option("--max-articles", type=click.IntRange(min=0), help="Fetch at most N article pages per outlet.")
@click.option("--force", is_flag=True, help="Run every chosen outlet even if its schedule says it is not due.")
@click.option("--refetch-teasers", is_flag=True, help="Fetch articles stored as teasers again (after subscribing).")
@click.option("--wait", is_flag=True, help="If another run holds the archive, wait for it instead of exiting.")
@output_options
def run_command(
    config_path: str | None,
    outlets: tuple[str, ...],
    max_articles: int | None,
    force: bool,
    refetch_teasers: bool,
    wait: bool,
    quiet: bool,
    as_json: bool,
    log_format: str,
    verbose: bool,
) -> None:
    """Do one full pass over the configured outlets: discover, fetch, extract, classify, deduplicate, archive.

    Outlets whose `every` schedule is not due are skipped, so one crontab line can serve outlets
    with different cadences. A one-line summary per outlet is printed at the end.
    """
    from .pipeline import RunOptions

    settings = load_config(config_path)
    unknown = [slug for slug in outlets if slug not in settings.outlets]
    if unknown:
        raise ConfigError(
            f"{settings.path}: no outlet {', '.join(map(repr, unknown))}; configured: {', '.join(settings.outlets)}"
        )
    options = RunOptions(
        outlets=outlets, max_articles=max_articles, force=force, refetch_teasers=refetch_teasers, wait_for_lock=wait
    )
    report = _run_and_report(settings, options, quiet=quiet, as_json=as_json, verbose=verbose, log_format=log_format)
    sys.exit(RUN_EXIT_STATUS.get(report.status, EXIT_PARTIAL))


@cli.command(name="check-config")
@config_option
def check_config(config_path: str | None) -> None:
    """Validate the config file without fetching anything."""
    from .subscription import login_problems

    settings = load_config(config_path)
    problems = [
        *_path_problems(settings.database_path, folder=False),
        *_path_problems(settings.warc_path, folder=True),
        *(problem for outlet in settings.outlets.values() for problem in login_problems(outlet, settings)),
    ]
    if problems:
        raise ConfigError(f"{settings.path}: " + "; ".join(problems))
    click.echo(f"{settings.path}: OK, {len(settings.outlets)} outlet(s): {', '.join(settings.outlets)}")
    click.echo(f"archive: {settings.database_path}")


def _path_problems(path: Path, *, folder: bool) -> list[str]:
    """Why the archive file or WARC folder at `path` could not be created or written, if it could not."""
    if path.exists():
        if folder != path.is_dir():
            return [f"{path} is {'not ' if folder else ''}a folder"]
        writable = os.access(path, os.W_OK | (os.X_OK if folder else 0))
        return [] if writable else [f"{path} is not writable"]
    parent = path.parent
    while not parent.exists():
        parent = parent.parent
    if not parent.is_dir():
        return [f"{path} cannot be created: {parent} is not a folder"]
    if not os.access(parent, os.W_OK | os.X_OK):
        return [f"{path} cannot be created: {parent} is not writable"]
    return []


@cli.command()
@click.option("--articles", default=80, show_default=True, type=click.IntRange(min=1), help="Articles on the site.")
@click.option("--seed", default=1, show_default=True, type=int, help="Seed of the generated site.")
@click.option(
    "--database",
    default="data/demo.db",
    show_default=True,
    type=click.Path(dir_okay=False),
    help="Archive to write.",
)
@click.option(
    "--port",
    default=8765,
    show_default=True,
    type=click.IntRange(1, 65535),
    help="Loopback port of the sample outlet; keep it between runs, as it is part of every URL.",
)
@output_options
def demo(
    articles: int, seed: int, database: str, port: int, quiet: bool, as_json: bool, log_format: str, verbose: bool
) -> None:
    """Archive the bundled sample outlet, served on 127.0.0.1, with the same pipeline as `scraper run`.

    No internet needed: this is how to see the tool work on a fresh machine. Run it again and
    nothing new is added.
    """
    from .pipeline import RunOptions
    from .sample_outlet import SampleServer, build_site

    site = build_site(seed=seed, articles=articles)
    db_path = Path(database).resolve()
    try:
        server = SampleServer(site, port=port).start()
    except OSError as exc:
        raise ScraperError(
            f"cannot serve the sample outlet on 127.0.0.1:{port} ({exc.strerror}); try --port N"
        ) from None
    with server:
        text = (
            f'[archive]\ndatabase = "{db_path}"\nwarc_dir = "{db_path.parent / "demo-warc"}"\n\n'
            f'[outlets.sample]\nname = "{site.name}"\nhome = "{server.url}"\ndelay = 0.02\nconcurrency = 4\n'
        )
        settings = parse_config(text, Path.cwd() / "demo.toml")
        report = _run_and_report(
            settings, RunOptions(force=True), quiet=quiet, as_json=as_json, verbose=verbose, log_format=log_format
        )
    if not quiet and not as_json:
        _print_demo_summary(db_path)
    sys.exit(RUN_EXIT_STATUS.get(report.status, EXIT_PARTIAL))


def _print_demo_summary(db_path: Path) -> None:
    from .archive import Archive

    archive = Archive.open(db_path, read_only=True)
    try:
        rows = archive.db.execute(
            "SELECT access, COUNT(*) FROM articles WHERE duplicate_of IS NULL GROUP BY access ORDER BY access"
        ).fetchall()
        latest = archive.db.execute(
            "SELECT title, access, published FROM articles WHERE duplicate_of IS NULL ORDER BY published DESC LIMIT 5"
        ).fetchall()
    finally:
        archive.close()
    click.echo(f"\nArchive {db_path}: " + ", ".join(f"{n} {access}" for access, n in rows))
    for title, access, published in latest:
        click.echo(f"  {published or '':25.25} {access:10} {title}")
    click.echo(f"\nOpen it with:  datasette {db_path}   (or: scraper serve --database {db_path})")


@cli.command()
@click.argument("source")
@click.option("--url", help="The page's URL, when SOURCE is a file (for relative links and canonical URLs).")
@click.option("--json", "as_json", is_flag=True, help="Print everything the extractor found as JSON.")
@click.option("--outlet", "outlet_slug", metavar="SLUG", help="Apply this configured outlet's extraction rules.")
@config_option
def extract(source: str, url: str | None, as_json: bool, outlet_slug: str | None, config_path: str | None) -> None:
    """Show what the extractor sees in one page: a FILE (HTML, .gz allowed) or a URL.

    For people writing per-outlet rules: compare the output before and after a change to config.toml.
    """
    import asyncio
    import gzip
    import zlib

    from .extract import article_to_dict, extract_article
    from .fetch import Fetcher

    rules = paywall = None
    settings: Settings | None = None
    if outlet_slug or config_path:
        settings = load_config(config_path)
        if outlet_slug:
            if outlet_slug not in settings.outlets:
                raise ConfigError(f"{settings.path}: no outlet {outlet_slug!r}")
            rules, paywall = settings.outlets[outlet_slug].extract, settings.outlets[outlet_slug].paywall
    if source.startswith(("http://", "https://")):
        from .config import FetchSettings

        async def fetch() -> tuple[str, str]:
            async with Fetcher(settings.fetch if settings else FetchSettings()) as fetcher:  # type: ignore[call-arg]
                page = await fetcher.get(source)
                return page.text, page.final_url

        html, page_url = asyncio.run(fetch())
    else:
        path = Path(source)
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise click.BadParameter(f"cannot read {source}: {exc.strerror}", param_hint="SOURCE") from None
        if data[:2] == b"\x1f\x8b":
            try:
                data = gzip.decompress(data)
            except (OSError, EOFError, zlib.error) as exc:  # cut short, or a bad checksum
                raise click.BadParameter(f"{source} is not a readable gzip file ({exc})", param_hint="SOURCE") from None
        from .fetch import decode, looks_binary

        if looks_binary(data):
            raise click.BadParameter(f"{source} is not an HTML page (binary content)", param_hint="SOURCE")
        html = decode(data, None)[0]
        page_url = url or path.resolve().as_uri()
    article = extract_article(html, page_url, rules, paywall)
    record = article_to_dict(article)
    if as_json:
        click.echo(json.dumps(record, ensure_ascii=False, indent=2))
        return
    for key, value in record.items():
        if key in ("text", "paywall_signals"):
            continue
        click.echo(f"{key:17} {value}")
    click.echo("paywall_signals:")
    for signal in record.get("paywall_signals") or []:
        click.echo(f"  {signal['strength']:8} {signal['kind']}: {signal['detail']}")
    click.echo("\n" + (article.text or "(no body text found)"))


def _print_reprocess(report: Any, as_json: bool) -> None:
    if as_json:
        click.echo(json.dumps({"run_id": report.run_id, "counts": report.counts, "errors": report.errors}))
        return
    summary = ", ".join(f"{name} {n}" for name, n in sorted(report.counts.items())) or "nothing to do"
    click.echo(f"run {report.run_id}: {summary}")
    for message in report.errors[:10]:
        click.echo(f"  {message}", err=True)


@cli.command()
@config_option
@click.option("--outlet", "-o", "outlets", multiple=True, metavar="SLUG", help="Only this outlet (repeatable).")
@click.option(
    "--since",
    callback=iso_time,
    metavar="DATE",
    help="Only articles published (or fetched) on or after DATE (ISO 8601).",
)
@click.option("--wait", is_flag=True, help="If a run holds the archive, wait for it instead of exiting.")
@click.option("--json", "as_json", is_flag=True, help="Print the counts as JSON.")
def reextract(config_path: str | None, outlets: tuple[str, ...], since: str | None, wait: bool, as_json: bool) -> None:
    """Extract and classify archived articles again from their stored WARC records, with the current rules.

    No network is used. Articles whose text, title or access label changes get a new version; the
    earlier one stays in `versions`. Use it after improving an outlet's rules in config.toml.
    """
    from .reprocess import reextract as run_reextract

    settings = load_config(config_path)
    unknown = [slug for slug in outlets if slug not in settings.outlets]
    if unknown:
        raise ConfigError(f"{settings.path}: no outlet {', '.join(map(repr, unknown))}")
    setup_logging(logging.WARNING, "plain")
    report = run_reextract(settings, outlets=outlets, since=since, wait=wait)
    _print_reprocess(report, as_json)
    sys.exit(EXIT_PARTIAL if report.errors else EXIT_OK)


@cli.command(name="import-warc")
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@config_option
@click.option("--outlet", "outlet", metavar="SLUG", help="File every page under this outlet (default: by host).")
@click.option("--wait", is_flag=True, help="If a run holds the archive, wait for it instead of exiting.")
@click.option("--json", "as_json", is_flag=True, help="Print the counts as JSON.")
def import_warc(
    files: tuple[Path, ...], config_path: str | None, outlet: str | None, wait: bool, as_json: bool
) -> None:
    """Archive the HTML pages of WARC (or ARC) FILES made by other crawlers.

    Pages go through the same extraction, paywall classification and deduplication as fetched
    ones. A page is filed under the configured outlet whose home is on the same site, or under
    --outlet; pages of other sites are skipped. Each page is copied into the archive's WARC folder.
    """
    from .reprocess import import_warc as run_import

    settings = load_config(config_path)
    setup_logging(logging.WARNING, "plain")
    report = run_import(settings, list(files), outlet=outlet, wait=wait)
    _print_reprocess(report, as_json)
    sys.exit(EXIT_PARTIAL if report.errors else EXIT_OK)


for _command in BROWSE_COMMANDS:
    cli.add_command(_command)


def main() -> None:
    cli(prog_name="scraper")


if __name__ == "__main__":
    main()
