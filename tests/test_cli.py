"""The command line as cron and people use it: messages, exit statuses, output formats."""

from __future__ import annotations

import gzip
import json
import random
from pathlib import Path

from scraper.sample_outlet import SampleServer, build_site
from tests.helpers import run_scraper, write_config

SHARED = Path(__file__).resolve().parents[2] / "shared"


def test_unknown_outlet_is_a_config_error(tmp_path: Path) -> None:
    config = write_config(tmp_path, {"mj": "http://127.0.0.1:9/"})
    result = run_scraper("run", "--config", str(config), "--outlet", "nope")
    assert result.returncode == 2
    assert "no outlet 'nope'; configured: mj" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "archive.db").exists()  # nothing was touched


def test_quiet_prints_nothing_when_all_is_well_and_json_logs_are_json(tmp_path: Path) -> None:
    site = build_site(seed=41, articles=6)
    with SampleServer(site) as server:
        config = write_config(tmp_path, {"sample": server.url})
        quiet = run_scraper("run", "--config", str(config), "--quiet")
        assert quiet.returncode == 0
        assert quiet.stdout == "" and quiet.stderr == ""
        verbose = run_scraper("run", "--config", str(config), "--force", "-v", "--log-format", "json")
    assert verbose.returncode == 0
    lines = [json.loads(line) for line in verbose.stderr.splitlines()]
    assert lines and all({"time", "level", "logger", "message"} <= set(line) for line in lines)


def test_quiet_still_reports_failures(tmp_path: Path) -> None:
    config = write_config(tmp_path, {"gone": "http://127.0.0.1:9/"})
    result = run_scraper("run", "--config", str(config), "--quiet")
    assert result.returncode == 4
    assert "gone: failed" in result.stderr
    # With JSON logs, the failure summary is JSON lines too: the cron log stays one format.
    as_json = run_scraper("run", "--config", str(config), "--quiet", "--log-format", "json")
    assert as_json.returncode == 4
    lines = [json.loads(line) for line in as_json.stderr.splitlines()]
    assert any(line["message"].startswith("gone: failed") for line in lines)
    assert all(line["logger"] and line["level"] for line in lines)


def test_extract_command_on_a_file_prints_text_and_json(tmp_path: Path) -> None:
    html = (
        "<html><head><title>Councils agree pay deal | The MJ</title>"
        '<meta property="og:title" content="Councils agree pay deal"></head><body>'
        "<nav>Home News Jobs</nav><article><h1>Councils agree pay deal</h1>"
        "<p>By MJ reporter | 02 October 2025</p><p>Councils have agreed a two-year pay deal.</p>"
        "<p>The offer was accepted by the unions on Tuesday.</p></article><footer>Hemming Group</footer></body></html>"
    )
    page = tmp_path / "page.html.gz"
    page.write_bytes(gzip.compress(html.encode()))
    plain = run_scraper("extract", str(page), "--url", "https://www.themj.co.uk/councils-agree-pay-deal")
    assert plain.returncode == 0, plain.stderr
    assert "Councils have agreed a two-year pay deal." in plain.stdout
    assert "Home News Jobs" not in plain.stdout
    as_json = run_scraper("extract", str(page), "--json")
    record = json.loads(as_json.stdout)
    assert record["title"] == "Councils agree pay deal"
    assert record["authors"] == ["MJ reporter"]
    missing = run_scraper("extract", str(tmp_path / "missing.html"))
    assert missing.returncode == 2 and "cannot read" in missing.stderr


def test_extract_command_refuses_binary_files_and_broken_gzip(tmp_path: Path) -> None:
    page = gzip.compress(b"<html><body><p>Councils have agreed a two-year pay deal.</p></body></html>")
    rng = random.Random(7)
    cases = {
        "noise.html": bytes(rng.randrange(1, 256) for _ in range(4096)),  # no NUL byte
        "program.html": b"\x7fELF\x02\x01\x01" + bytes(range(1, 200)) * 5,
        "cut.html.gz": page[: len(page) // 2],
        "crc.html.gz": page[:-8] + b"\x00\x00\x00\x00" + page[-4:],
    }
    for name, data in cases.items():
        (tmp_path / name).write_bytes(data)
        result = run_scraper("extract", str(tmp_path / name))
        assert result.returncode == 2, (name, result.stdout[:200], result.stderr)
        assert "Traceback" not in result.stderr and "Aborted" not in result.stderr, name
        expected = "not a readable gzip file" if name.endswith(".gz") else "not an HTML page (binary content)"
        assert expected in result.stderr, (name, result.stderr)


def test_help_explains_every_command() -> None:
    result = run_scraper("--help")
    assert result.returncode == 0
    for command in (
        "run",
        "demo",
        "check-config",
        "extract",
        "serve",
        "export",
        "stats",
        "runs",
        "reextract",
        "import-warc",
    ):
        assert f"  {command} " in result.stdout
    run_help = run_scraper("run", "--help").stdout
    assert "Exit status" in run_help and "another run holds the archive" in run_help
