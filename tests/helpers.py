"""Helpers shared by the tests: free ports, config files, the real `scraper` command."""

from __future__ import annotations

import os
import socket
import sqlite3
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def write_config(tmp_path: Path, outlets: dict[str, str], extra: str = "", name: str = "config.toml") -> Path:
    """A config with one [outlets.SLUG] per (slug, home URL), fast politeness for loopback."""
    text = f'[archive]\ndatabase = "{tmp_path / "archive.db"}"\nwarc_dir = "{tmp_path / "warc"}"\n\n'
    text += "[fetch]\nretries = 1\nbackoff = 0.05\nconnect_timeout = 2\nread_timeout = 5\n\n"
    for slug, home in outlets.items():
        text += f'[outlets.{slug}]\nname = "{slug}"\nhome = "{home}"\ndelay = 0.01\nconcurrency = 4\n\n'
    path = tmp_path / name
    path.write_text(text + extra, encoding="utf-8")
    return path


def run_scraper(
    *args: str, env: dict[str, str] | None = None, timeout: float = 240
) -> subprocess.CompletedProcess[str]:
    """The real command line, in a subprocess, as cron would run it."""
    return subprocess.run(
        [sys.executable, "-m", "scraper", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        env={**os.environ, "PYTHONPATH": str(ROOT), **(env or {})},
    )


def rows(db: Path, sql: str, *params: object) -> list[sqlite3.Row]:
    """Rows of a query on an archive file, opened for this one query."""
    conn = sqlite3.connect(db)
    conn.row_factory = sqlite3.Row
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()
