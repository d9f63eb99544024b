"""Issue #5 end to end: access labels, prompt stripping and the reader's own subscription, against
the sample outlet on 127.0.0.1 (anonymous, login form, cookie file, expired login, metered)."""

from __future__ import annotations

import gzip
import json
import re
import shutil
import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from scraper.config import load_config
from scraper.pipeline import RunOptions, run
from scraper.sample_outlet import (
    METER_LIMIT_MESSAGE,
    PROMPT_LINES,
    TEST_PASSWORD,
    TEST_USERNAME,
    SampleArticle,
    SampleServer,
    Site,
    build_site,
)
from tests.helpers import rows, run_scraper, write_config

USER_ENV = "SAMPLE_MJ_USER"
PASSWORD_ENV = "SAMPLE_MJ_PASSWORD"
LOGIN_ENV = {USER_ENV: TEST_USERNAME, PASSWORD_ENV: TEST_PASSWORD}
METER_LINE = re.compile(r"free articles? left|limit of free articles", re.IGNORECASE)


def articles_with_truth(db: Path, site: Site) -> list[tuple[sqlite3.Row, SampleArticle]]:
    """Each archived original paired with the site's ground truth for its page."""
    by_path = {a.path: a for a in site.all_articles}
    paired = []
    for row in rows(db, "SELECT * FROM articles WHERE duplicate_of IS NULL ORDER BY id"):
        truth = by_path.get(urlsplit(row["url"]).path)
        if truth is not None:
            paired.append((row, truth))
    return paired


def login_table(server: SampleServer, **extra: str) -> str:
    table = (
        f'\n[outlets.mj.login]\nurl = "{server.url_for("/login")}"\n'
        f'username_env = "{USER_ENV}"\npassword_env = "{PASSWORD_ENV}"\n'
    )
    return table + "".join(f'{key} = "{value}"\n' for key, value in extra.items())


def cookie_table(path: Path, **extra: str) -> str:
    table = f'\n[outlets.mj.login]\ncookies_file = "{path}"\n'
    return table + "".join(f'{key} = "{value}"\n' for key, value in extra.items())


def assert_clean(text: str, url: str) -> None:
    lines = {line.strip() for line in text.splitlines()}
    for prompt_line in PROMPT_LINES:
        assert prompt_line not in lines, (url, prompt_line)
    assert not METER_LINE.search(text), url


@pytest.fixture(scope="module")
def site() -> Site:
    return build_site(seed=5, articles=24)


@pytest.fixture(scope="module")
def server(site: Site) -> Iterator[SampleServer]:
    with SampleServer(site) as running:
        yield running


@pytest.fixture(scope="module")
def anonymous(server: SampleServer, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An archive filled by one anonymous `scraper run`."""
    tmp_path = tmp_path_factory.mktemp("anonymous")
    config = write_config(tmp_path, {"mj": server.url})
    result = run_scraper("run", "--config", str(config))
    assert result.returncode == 0, result.stdout + result.stderr
    return tmp_path / "archive.db"


def copy_archive(db: Path, tmp_path: Path) -> Path:
    target = tmp_path / "archive.db"
    shutil.copy(db, target)
    return target


# --- anonymous ----------------------------------------------------------------------------------


def test_anonymous_run_labels_every_article_as_the_site_serves_it(anonymous: Path, site: Site) -> None:
    paired = articles_with_truth(anonymous, site)
    assert len(paired) >= 20
    kinds = {truth.access for _, truth in paired}
    assert {"free", "paywalled", "declared-free-text"} <= kinds
    for row, truth in paired:
        assert row["access"] == truth.expected_label(), (row["url"], truth.access, row["paywall_signals"])
        assert row["paywall_declared"] == (None if truth.paywall_declared is None else int(truth.paywall_declared))
    declared_free = [row for row, truth in paired if truth.access == "declared-free-text"]
    assert declared_free and all(r["access"] == "free" and r["paywall_declared"] == 1 for r in declared_free)


def test_anonymous_text_keeps_the_teaser_and_drops_every_prompt(anonymous: Path, site: Site) -> None:
    for row, truth in articles_with_truth(anonymous, site):
        assert_clean(row["text"], row["url"])
        stored = [line.strip() for line in row["text"].splitlines()]
        expected = truth.teaser_text if row["access"] == "teaser" else truth.text
        for line in filter(None, expected.splitlines()):
            assert line.strip() in stored, (row["url"], line)
        if row["access"] == "teaser":
            assert truth.subscriber_phrase not in row["text"]
            signals = json.loads(row["paywall_signals"])
            assert any(s["kind"] == "prompt:stripped" or s["kind"] == "gate-element" for s in signals), row["url"]


# --- login form ---------------------------------------------------------------------------------


def test_login_form_upgrades_teasers_and_keeps_them_as_versions(
    anonymous: Path, server: SampleServer, site: Site, tmp_path: Path
) -> None:
    db = copy_archive(anonymous, tmp_path)
    teasers = {r["id"]: r["text"] for r in rows(db, "SELECT id, text FROM articles WHERE access = 'teaser'")}
    assert teasers
    config = write_config(tmp_path, {"mj": server.url}, extra=login_table(server))
    result = run_scraper("run", "--config", str(config), env=LOGIN_ENV)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"updated {len(teasers)}" in result.stdout
    for row, truth in articles_with_truth(db, site):
        assert_clean(row["text"], row["url"])
        if truth.access == "paywalled":
            assert row["access"] == "subscriber", row["url"]
            assert truth.subscriber_phrase in row["text"]
            stored = {line.strip() for line in row["text"].splitlines()}
            assert all(line.strip() in stored for line in filter(None, truth.text.splitlines())), row["url"]
        else:
            assert row["access"] == "free", row["url"]
    versions = rows(db, "SELECT * FROM versions")
    assert {v["article_id"] for v in versions} == set(teasers)
    for version in versions:
        assert version["access"] == "teaser"
        assert version["text"] == teasers[version["article_id"]]
        assert {"text", "access"} <= set(json.loads(version["changed"]))
    # The upgrade happens once: the next run finds nothing to re-fetch.
    again = run_scraper("run", "--config", str(config), env=LOGIN_ENV)
    assert again.returncode == 0, again.stderr
    assert "updated 0" in again.stdout and "fetched 0" in again.stdout


def test_logged_in_first_run_stores_subscriber_full_text(server: SampleServer, site: Site, tmp_path: Path) -> None:
    config = write_config(tmp_path, {"mj": server.url}, extra=login_table(server, logged_in_text="Log out"))
    result = run_scraper("run", "--config", str(config), env=LOGIN_ENV)
    assert result.returncode == 0, result.stdout + result.stderr
    paired = articles_with_truth(tmp_path / "archive.db", site)
    assert len(paired) >= 20
    for row, truth in paired:
        assert truth.subscriber_phrase in row["text"], row["url"]
        if truth.access == "paywalled":
            assert row["access"] == "subscriber"
        elif truth.access == "free":
            assert row["access"] == "free"
        else:
            # Fetched with a session, a page that declares a paywall cannot be told apart from one
            # that would also be served to everyone: the subscription is credited (scraper.access).
            assert row["access"] == "subscriber"
            assert row["paywall_declared"] == 1


def test_wrong_password_is_reported_and_the_run_goes_on_anonymously(
    server: SampleServer, site: Site, tmp_path: Path
) -> None:
    wrong = "not-the-password-4711"
    config = write_config(tmp_path, {"mj": server.url}, extra=login_table(server))
    result = run_scraper("run", "--config", str(config), env={USER_ENV: TEST_USERNAME, PASSWORD_ENV: wrong})
    assert result.returncode == 1, result.stdout + result.stderr  # partial: the login failed
    assert "login at" in result.stderr and "failed" in result.stderr and "credentials" in result.stderr
    assert "Traceback" not in result.stderr
    assert wrong not in result.stdout + result.stderr
    db = tmp_path / "archive.db"
    errors = rows(db, "SELECT * FROM errors")
    assert [(e["stage"], e["type"]) for e in errors] == [("login", "LoginError")]
    assert wrong not in errors[0]["message"]
    paired = articles_with_truth(db, site)
    assert paired and all(row["access"] == truth.expected_label() for row, truth in paired)
    # The first run whose login works is the one that upgrades the teasers.
    teasers = rows(db, "SELECT COUNT(*) AS n FROM articles WHERE access = 'teaser'")[0]["n"]
    fixed = run_scraper("run", "--config", str(config), env=LOGIN_ENV)
    assert fixed.returncode == 0, fixed.stdout + fixed.stderr
    assert teasers and f"updated {teasers}," in fixed.stdout
    assert rows(db, "SELECT COUNT(*) AS n FROM articles WHERE access = 'teaser'")[0]["n"] == 0


def test_missing_environment_variable_names_it(server: SampleServer, tmp_path: Path) -> None:
    config = write_config(tmp_path, {"mj": server.url}, extra=login_table(server))
    result = run_scraper("run", "--config", str(config), "--max-articles", "1", env={USER_ENV: TEST_USERNAME})
    assert result.returncode == 1
    assert f"environment variable {PASSWORD_ENV}" in result.stderr


# --- cookie file --------------------------------------------------------------------------------


def test_cookie_file_gives_subscriber_text(server: SampleServer, site: Site, tmp_path: Path) -> None:
    cookies = server.cookies_txt(tmp_path / "cookies.txt")
    config = write_config(tmp_path, {"mj": server.url}, extra=cookie_table(cookies, logged_in_text="Log out"))
    report = run(load_config(config), RunOptions())
    assert report.status == "ok", report.as_dict()
    paired = articles_with_truth(tmp_path / "archive.db", site)
    paywalled = [row for row, truth in paired if truth.access == "paywalled"]
    assert paywalled and all(row["access"] == "subscriber" for row in paywalled)


@pytest.mark.parametrize(
    ("content", "mode", "expected"),
    [
        (None, 0o644, "readable by other users"),
        (None, 0o640, "chmod 600"),
        ("this is not a cookies file\n", 0o600, "not a Netscape/Mozilla cookies.txt"),
        ("# Netscape HTTP Cookie File\n", 0o600, "holds no cookies"),
    ],
)
def test_unusable_cookie_file_is_refused_clearly(
    server: SampleServer, tmp_path: Path, content: str | None, mode: int, expected: str
) -> None:
    path = tmp_path / "cookies.txt"
    if content is None:
        server.cookies_txt(path)
    else:
        path.write_text(content, encoding="utf-8")
    path.chmod(mode)
    config = write_config(tmp_path, {"mj": server.url}, extra=cookie_table(path))
    result = run_scraper("run", "--config", str(config), "--max-articles", "2")
    assert result.returncode == 1, result.stdout + result.stderr
    assert expected in result.stderr and str(path) in result.stderr
    assert "Traceback" not in result.stderr
    assert [e["stage"] for e in rows(tmp_path / "archive.db", "SELECT stage FROM errors")] == ["login"]


# --- expired login ------------------------------------------------------------------------------


def expire_after(site: Site, monkeypatch: pytest.MonkeyPatch, logged_in_requests: int) -> Callable[[], int]:
    """Make the site forget every login once it has served `logged_in_requests` logged-in requests;
    returns a function giving the number served so far."""
    original = site.session_valid
    served = 0

    def session_valid(token: str | None) -> bool:
        nonlocal served
        valid = original(token)
        if valid:
            served += 1
            if served == logged_in_requests:
                site.expire_sessions()
        return valid

    monkeypatch.setattr(site, "session_valid", session_valid)
    return lambda: served


def test_session_expiring_mid_run_is_reported_once_and_keeps_full_text(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    site = build_site(seed=8, articles=20, free_share=0.1, declared_free_text_share=0.0)
    with SampleServer(site) as server:
        cookies = server.cookies_txt(tmp_path / "cookies.txt")
        extra = cookie_table(cookies) + "\n"
        config = write_config(tmp_path, {"mj": server.url}, extra=extra)
        text = config.read_text().replace("concurrency = 4", "concurrency = 1")
        config.write_text(text)
        expire_after(site, monkeypatch, 6)
        report = run(load_config(config), RunOptions())
        db = tmp_path / "archive.db"
        errors = rows(db, "SELECT * FROM errors")
        assert [(e["stage"], e["type"]) for e in errors] == [("login", "LoginError")], [dict(e) for e in errors]
        assert "session expired" in errors[0]["message"] and "cookies.txt" in errors[0]["message"]
        assert report.outlets[0].status == "partial"
        # in fetch order (one request at a time)
        labels = [row["access"] for row, truth in articles_with_truth(db, site) if truth.access == "paywalled"]
        assert labels.count("subscriber") >= 4 and labels.count("teaser") >= 4
        # the labels follow the session: full text until it expired, teasers after
        first_teaser = labels.index("teaser")
        assert set(labels[first_teaser:]) == {"teaser"}, labels

        # A later run over the same articles without a session must not replace full text by teasers.
        subscribed = {r["id"]: r["text"] for r in rows(db, "SELECT id, text FROM articles WHERE access = 'subscriber'")}
        revisit = write_config(tmp_path, {"mj": server.url}, name="revisit.toml")
        revisit.write_text(revisit.read_text() + "revisit_days = 100000\n")
        assert run(load_config(revisit), RunOptions()).status == "ok"
        after = {r["id"]: (r["access"], r["text"]) for r in rows(db, "SELECT id, access, text FROM articles")}
        for article_id, text in subscribed.items():
            assert after[article_id] == ("subscriber", text)

        # Once a fresh session is exported, --refetch-teasers upgrades what the lapse left as teasers.
        monkeypatch.undo()
        server.cookies_txt(cookies)
        upgraded = run(load_config(config), RunOptions(refetch_teasers=True))
        assert upgraded.status == "ok", upgraded.as_dict()
        assert {row["access"] for row, truth in articles_with_truth(db, site) if truth.access == "paywalled"} == {
            "subscriber"
        }
        assert rows(db, "SELECT COUNT(*) AS n FROM versions WHERE access = 'teaser'")[0]["n"] == labels.count("teaser")


def test_teasers_left_by_a_lapse_mid_run_are_fetched_again_by_the_next_working_session(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    site = build_site(seed=8, articles=12, free_share=0.1, declared_free_text_share=0.0)
    with SampleServer(site) as server:
        cookies = server.cookies_txt(tmp_path / "cookies.txt")
        config = write_config(tmp_path, {"mj": server.url}, extra=cookie_table(cookies) + "\n")
        config.write_text(config.read_text().replace("concurrency = 4", "concurrency = 1"))
        expire_after(site, monkeypatch, 4)
        run(load_config(config), RunOptions())
        db = tmp_path / "archive.db"
        assert rows(db, "SELECT COUNT(*) AS n FROM articles WHERE access = 'teaser'")[0]["n"] >= 3
        # A fresh cookies.txt, and the very next run (no --refetch-teasers) upgrades the lapse's teasers.
        monkeypatch.undo()
        server.cookies_txt(cookies)
        assert run(load_config(config), RunOptions()).status == "ok"
        labels = {row["access"] for row, truth in articles_with_truth(db, site) if truth.access == "paywalled"}
        assert labels == {"subscriber"}


def test_expired_form_login_is_renewed_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    site = build_site(seed=9, articles=16, free_share=0.1, declared_free_text_share=0.0)
    for name, value in LOGIN_ENV.items():
        monkeypatch.setenv(name, value)
    with SampleServer(site) as server:
        config = write_config(tmp_path, {"mj": server.url}, extra=login_table(server, logged_in_text="Log out"))
        expire_after(site, monkeypatch, 5)
        report = run(load_config(config), RunOptions())
        db = tmp_path / "archive.db"
        errors = rows(db, "SELECT * FROM errors")
        assert len(errors) == 1 and "logged in again" in errors[0]["message"], [dict(e) for e in errors]
        assert "'Log out'" in errors[0]["message"]
        posts = [r for r in site.requests if r.method == "POST" and r.path == "/login"]
        assert len(posts) == 2  # the first login and one renewal
        labels = {row["access"] for row, truth in articles_with_truth(db, site) if truth.access == "paywalled"}
        assert labels == {"subscriber"}
        assert report.outlets[0].counts["errors"] == 1


def test_expired_cookie_file_is_detected_before_fetching(server: SampleServer, site: Site, tmp_path: Path) -> None:
    cookies = server.cookies_txt(tmp_path / "cookies.txt", token="a-session-the-site-never-issued")
    config = write_config(tmp_path, {"mj": server.url}, extra=cookie_table(cookies, logged_in_text="Log out"))
    result = run_scraper("run", "--config", str(config))
    assert result.returncode == 1
    assert "not logged in" in result.stderr and "fresh cookies.txt" in result.stderr
    assert "a-session-the-site-never-issued" not in result.stdout + result.stderr
    paired = articles_with_truth(tmp_path / "archive.db", site)
    assert paired and all(row["access"] == truth.expected_label() for row, truth in paired)


# --- metered outlet -----------------------------------------------------------------------------


METER = 4


@pytest.fixture(scope="module")
def metered(tmp_path_factory: pytest.TempPathFactory) -> list[tuple[sqlite3.Row, SampleArticle]]:
    """An anonymous run, one page at a time, over an outlet that gives METER free articles per reader."""
    tmp_path = tmp_path_factory.mktemp("metered")
    site = build_site(seed=6, articles=24, meter=METER)
    with SampleServer(site) as server:
        config = write_config(tmp_path, {"mj": server.url})
        config.write_text(config.read_text().replace("concurrency = 4", "concurrency = 1"))
        assert run(load_config(config), RunOptions()).status == "ok"
    return articles_with_truth(tmp_path / "archive.db", site)


def test_metered_outlet_free_within_the_meter_then_teasers(
    metered: list[tuple[sqlite3.Row, SampleArticle]],
) -> None:
    pages = [(row, truth) for row, truth in metered if truth.access == "metered"]
    assert len(pages) >= 10
    for row, _ in metered:
        assert_clean(row["text"], row["url"])
        assert METER_LIMIT_MESSAGE not in row["text"]
    within = [row for row, truth in pages if truth.subscriber_phrase in row["text"]]
    after = [(row, truth) for row, truth in pages if truth.subscriber_phrase not in row["text"]]
    # One reader's meter: at most as many full texts as it allows (a republished copy may take a
    # view), teasers after: the run keeps the outlet's cookie as a browser would.
    assert 1 <= len(within) <= METER and len(after) >= len(pages) - METER
    for row in within:
        # full text served without a subscription: free, though the markup declares a paywall
        assert (row["access"], row["paywall_declared"]) == ("free", 1), row["url"]
    for row, truth in after:
        stored = [line.strip() for line in row["text"].splitlines()]
        assert all(line.strip() in stored for line in filter(None, truth.teaser_text.splitlines())), row["url"]
    teasers = [row for row, _ in after if row["access"] == "teaser"]
    assert len(teasers) >= len(after) - 2


def test_every_metered_page_after_the_meter_is_a_teaser(
    metered: list[tuple[sqlite3.Row, SampleArticle]],
) -> None:
    after = [row for row, truth in metered if truth.access == "metered" and truth.subscriber_phrase not in row["text"]]
    assert after
    assert [row["url"] for row in after if row["access"] != "teaser"] == []


# --- secrets ------------------------------------------------------------------------------------


def test_no_secret_in_archive_logs_or_messages(
    server: SampleServer, site: Site, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    issued: list[str] = []
    make_session = site.make_session

    def recording_make_session(lifetime: float | None = None) -> str:
        token = make_session(lifetime)
        issued.append(token)
        return token

    monkeypatch.setattr(site, "make_session", recording_make_session)
    config = write_config(tmp_path, {"mj": server.url}, extra=login_table(server, logged_in_text="Log out"))
    result = run_scraper(
        "run", "--config", str(config), "-v", "--log-format", "json", "--max-articles", "6", env=LOGIN_ENV
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert issued, "the run did not log in"
    assert '"logger"' in result.stderr  # the JSON log was written
    secrets = [TEST_USERNAME, TEST_PASSWORD, *issued]
    output = result.stdout + result.stderr
    conn = sqlite3.connect(tmp_path / "archive.db")
    try:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        dump = "\n".join(repr(row) for table in tables for row in conn.execute(f'SELECT * FROM "{table}"'))
    finally:
        conn.close()
    assert "subscriber" in dump
    warc = b"".join(gzip.decompress(path.read_bytes()) for path in (tmp_path / "warc").glob("*.warc.gz"))
    assert b"WARC/1" in warc
    for secret in secrets:
        assert secret not in output
        assert secret not in dump
        assert secret.encode() not in warc
