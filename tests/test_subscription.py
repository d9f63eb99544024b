"""The reader's subscription (scraper.subscription): cookies files, the login form, session checks."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
import pytest

from scraper.archive import Archive
from scraper.config import FetchSettings, LoginSettings, Outlet, Settings
from scraper.errors import LoginError
from scraper.fetch import Fetcher
from scraper.sample_outlet import SESSION_COOKIE, TEST_PASSWORD, TEST_USERNAME, SampleServer
from scraper.subscription import (
    SessionCheck,
    Subscription,
    _login_form,
    load_cookies_file,
    newly_configured,
    open_session,
    shows_logged_in,
)
from tests.test_fetch_server import LocalServer

COOKIE_LINE = "example.org\tFALSE\t/\tFALSE\t{expiry}\tsid\t{value}\n"
HEADER = "# Netscape HTTP Cookie File\n"


def cookies_file(tmp_path: Path, text: str, mode: int = 0o600) -> Path:
    path = tmp_path / "cookies.txt"
    path.write_text(text, encoding="utf-8")
    path.chmod(mode)
    return path


def outlet(home: str = "http://127.0.0.1:9/", **login: str) -> Outlet:
    return Outlet.model_validate({"slug": "mj", "name": "MJ", "home": home, "login": login})


# --- cookies.txt ---------------------------------------------------------------------------------


def test_cookies_file_is_loaded(tmp_path: Path) -> None:
    path = cookies_file(tmp_path, HEADER + COOKIE_LINE.format(expiry=4102444800, value="abc123"))
    cookies = load_cookies_file(path)
    assert cookies.get("sid", domain="example.org") == "abc123"


def test_expired_cookies_are_kept_for_the_site_to_judge(tmp_path: Path) -> None:
    # Browsers export session cookies with expiry 0; the outlet, not the file, says whether they still work.
    path = cookies_file(tmp_path, HEADER + COOKIE_LINE.format(expiry=0, value="abc123"))
    assert load_cookies_file(path).get("sid") == "abc123"


def test_session_cookies_with_expiry_0_are_sent(tmp_path: Path) -> None:
    # curl and browser extensions write 0 for a session cookie; it must reach the site, not be dropped as 1970.
    with LocalServer() as server:
        server.route("/page", "<p>ok</p>")
        line = COOKIE_LINE.format(expiry=0, value="abc123").replace("example.org", "127.0.0.1")
        cookies = load_cookies_file(cookies_file(tmp_path, HEADER + line))
        httpx.get(server.url + "/page", cookies=cookies)
        assert server.hits_for("/page")[0].headers.get("cookie") == "sid=abc123"


@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604, 0o660])
def test_cookies_file_readable_by_others_is_refused(tmp_path: Path, mode: int) -> None:
    path = cookies_file(tmp_path, HEADER + COOKIE_LINE.format(expiry=0, value="abc123"), mode)
    with pytest.raises(LoginError, match=r"readable by other users .*chmod 600") as info:
        load_cookies_file(path)
    assert "abc123" not in str(info.value)


def test_malformed_cookies_file_message_quotes_no_cookie(tmp_path: Path) -> None:
    # The standard library's own message quotes the offending line, cookie value included.
    path = cookies_file(tmp_path, HEADER + "example.org\tFALSE\t/\tFALSE\tsoon\tsid\ttop-secret-value\n")
    with pytest.raises(LoginError, match=r"not a Netscape/Mozilla cookies\.txt") as info:
        load_cookies_file(path)
    assert "top-secret-value" not in str(info.value)
    assert str(path) in str(info.value)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('{"cookies": []}\n', "not a Netscape/Mozilla cookies.txt"),
        (HEADER, "holds no cookies"),
    ],
)
def test_unusable_cookies_file(tmp_path: Path, text: str, expected: str) -> None:
    with pytest.raises(LoginError, match=expected):
        load_cookies_file(cookies_file(tmp_path, text))


def test_binary_cookies_file(tmp_path: Path) -> None:
    path = tmp_path / "cookies.sqlite"
    path.write_bytes(b"SQLite format 3\x00\xff\xfe" + bytes(range(256)))
    path.chmod(0o600)
    with pytest.raises(LoginError, match=r"not a Netscape/Mozilla cookies\.txt"):
        load_cookies_file(path)


def test_missing_cookies_file(tmp_path: Path) -> None:
    with pytest.raises(LoginError, match="cannot read the cookies file"):
        load_cookies_file(tmp_path / "nowhere.txt")


# --- the login form ------------------------------------------------------------------------------


def test_login_form_is_found_among_other_forms() -> None:
    html = """
    <form action="/search"><input name="q"></form>
    <form action="/session/new" method="post">
      <input type="hidden" name="csrf" value="tok-1"><input type="HIDDEN" name="next" value="/">
      <input name="email"><input type="password" name="pass"><input type="checkbox" name="remember" value="1">
    </form>"""
    action, fields = _login_form(
        html, "https://news.example/account/login", LoginSettings.model_validate({"password_field": "pass"})
    )
    assert action == "https://news.example/session/new"
    assert fields == {"csrf": "tok-1", "next": "/"}


def test_login_form_without_action_posts_to_its_page() -> None:
    html = '<form method="post"><input name="username"><input name="password" type="password"></form>'
    action, fields = _login_form(html, "https://news.example/login?next=/x", LoginSettings.model_validate({}))
    assert (action, fields) == ("https://news.example/login?next=/x", {})


def test_page_without_login_form() -> None:
    with pytest.raises(LoginError, match="no login form with a 'password' field"):
        _login_form("<form><input name='q'></form>", "https://news.example/login", LoginSettings.model_validate({}))


def test_shows_logged_in() -> None:
    login = LoginSettings.model_validate({"logged_in_text": "Log out"})
    assert shows_logged_in(login, "<a href='/logout'>LOG OUT</a>") is True
    assert shows_logged_in(login, "<a href='/login'>Log in</a>") is False
    assert shows_logged_in(LoginSettings.model_validate({}), "anything") is None


# --- logging in against the sample outlet --------------------------------------------------------


def login_once(server: SampleServer, tmp_path: Path, **login: str) -> httpx.Cookies:
    site_outlet = outlet(server.url, **login)

    async def go() -> httpx.Cookies:
        async with Fetcher(FetchSettings.model_validate({"retries": 0})) as fetcher:
            fetcher.configure_host(server.url, delay=0, concurrency=1)
            settings = Settings.model_validate({"path": tmp_path / "config.toml"})
            return await open_session(site_outlet, settings, fetcher)

    return asyncio.run(go())


def form(server: SampleServer, **extra: str) -> dict[str, str]:
    return {"url": server.url_for("/login"), "username_env": "T_USER", "password_env": "T_PASS", **extra}


@pytest.mark.parametrize(
    "extra", [{}, {"logged_in_text": "Log out"}, {"check_url": "/account"}], ids=["form", "text", "check-url"]
)
def test_login_form_session(
    sample_server: SampleServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, extra: dict[str, str]
) -> None:
    monkeypatch.setenv("T_USER", TEST_USERNAME)
    monkeypatch.setenv("T_PASS", TEST_PASSWORD)
    if "check_url" in extra:
        extra = {"check_url": sample_server.url_for(extra["check_url"]), "logged_in_text": "Log out"}
    cookies = login_once(sample_server, tmp_path, **form(sample_server, **extra))
    token = cookies.get(SESSION_COOKIE)
    assert token and sample_server.site.session_valid(token)


@pytest.mark.parametrize("extra", [{}, {"logged_in_text": "Log out"}], ids=["form", "text"])
def test_wrong_password(
    sample_server: SampleServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, extra: dict[str, str]
) -> None:
    monkeypatch.setenv("T_USER", TEST_USERNAME)
    monkeypatch.setenv("T_PASS", "wrong-password-0815")
    with pytest.raises(LoginError, match=r"outlet 'mj': login at .*/login failed") as info:
        login_once(sample_server, tmp_path, **form(sample_server, **extra))
    assert "wrong-password-0815" not in str(info.value)
    assert "credentials" in str(info.value)


def test_unset_password_variable_is_named(
    sample_server: SampleServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("T_USER", TEST_USERNAME)
    monkeypatch.delenv("T_PASS", raising=False)
    with pytest.raises(LoginError, match=r"environment variable T_PASS \(login.password_env\) is empty or unset"):
        login_once(sample_server, tmp_path, **form(sample_server))


def test_login_needs_a_form_or_a_cookies_file(sample_server: SampleServer, tmp_path: Path) -> None:
    with pytest.raises(LoginError, match="either 'url'"):
        login_once(sample_server, tmp_path, username_env="T_USER")


def test_cookies_file_session_is_checked(sample_server: SampleServer, tmp_path: Path) -> None:
    good = sample_server.cookies_txt(tmp_path / "good.txt")
    cookies = login_once(sample_server, tmp_path, cookies_file=str(good), logged_in_text="Log out")
    assert sample_server.site.session_valid(cookies.get(SESSION_COOKIE))
    stale = sample_server.cookies_txt(tmp_path / "stale.txt", token="never-issued")
    with pytest.raises(LoginError, match=r"not logged in .*'Log out'.*fresh cookies.txt"):
        login_once(sample_server, tmp_path, cookies_file=str(stale), logged_in_text="Log out")


# --- judging pages fetched with a session --------------------------------------------------------


def subscription(tmp_path: Path, **login: str) -> Subscription:
    settings = Settings.model_validate({"path": tmp_path / "config.toml"})
    sub = Subscription(outlet(**login), settings, Fetcher(settings.fetch))
    sub.active = True
    return sub


def test_page_showing_the_login_is_a_subscriber_page(tmp_path: Path) -> None:
    sub = subscription(tmp_path, cookies_file="c.txt", logged_in_text="Log out")
    checked = asyncio.run(sub.check("<a>Log out</a> ... SUBSCRIBE TO CONTINUE", True, sub.generation))
    assert checked.subscriber and not checked.retry and checked.error is None
    assert sub.active


def test_full_page_without_a_check_text_is_a_subscriber_page(tmp_path: Path) -> None:
    sub = subscription(tmp_path, cookies_file="c.txt")
    checked = asyncio.run(sub.check("<p>text</p>", False, sub.generation))
    assert checked.subscriber and checked.error is None


@pytest.mark.parametrize(
    ("login", "page", "cut", "why"),
    [
        ({"logged_in_text": "Log out"}, "<a>Log in</a>", False, "no longer show 'Log out'"),
        ({}, "<p>teaser</p>", True, "came back cut although logged in"),
    ],
)
def test_lost_cookie_session_is_reported_once(
    tmp_path: Path, login: dict[str, str], page: str, cut: bool, why: str
) -> None:
    sub = subscription(tmp_path, cookies_file="c.txt", **login)
    generation = sub.generation

    async def two_pages() -> tuple[SessionCheck, SessionCheck]:
        first = await sub.check(page, cut, generation)
        second = await sub.check(page, cut, generation)  # fetched with the same, now lost, session
        return first, second

    first, second = asyncio.run(two_pages())
    assert not first.subscriber and not first.retry
    message = str(first.error)
    assert "session expired" in message and why in message and "fresh cookies.txt" in message
    assert second.error is None and not second.subscriber and not second.retry
    assert not sub.active
    # From now on pages are anonymous and say nothing about the session.
    assert asyncio.run(sub.check(page, cut, sub.generation)).error is None


def test_lost_session_drops_its_cookies_and_keeps_the_sites_own(tmp_path: Path) -> None:
    path = cookies_file(tmp_path, HEADER + COOKIE_LINE.format(expiry=0, value="abc123"))
    sub = subscription(tmp_path, cookies_file=str(path))
    sub.active = False
    asyncio.run(sub.open())  # no check configured: the file is only read
    assert sub.active and sub.cookies.get("sid") == "abc123"
    sub.cookies.set("meter", "m-1", domain="example.org")  # set by the site during the run
    checked = asyncio.run(sub.check("<p>teaser</p>", True, sub.generation))
    assert checked.error is not None and not sub.active
    assert sub.cookies.get("sid") is None
    assert sub.cookies.get("meter") == "m-1"


def test_cut_page_after_a_fresh_login_is_beyond_the_subscription(tmp_path: Path) -> None:
    sub = subscription(tmp_path, url="http://127.0.0.1:9/login", username_env="U", password_env="P")
    sub.renewals = 1  # the run has logged in again already; another cut page is not another expiry
    checked = asyncio.run(sub.check("<p>teaser</p>", True, sub.generation))
    assert checked.subscriber and checked.error is None and not checked.retry
    assert sub.active


def test_inactive_session_never_counts_as_subscriber(tmp_path: Path) -> None:
    sub = subscription(tmp_path, cookies_file="c.txt", logged_in_text="Log out")
    sub.active = False
    checked = asyncio.run(sub.check("<a>Log out</a>", False, sub.generation))
    assert not checked.subscriber and checked.error is None


# --- the first run after a subscription is added --------------------------------------------------


def test_newly_configured_once_per_return_of_the_subscription(tmp_path: Path) -> None:
    archive = Archive.open(tmp_path / "archive.db")
    try:
        archive.upsert_outlets([{"slug": "mj", "name": "MJ", "home": "http://127.0.0.1:9/"}])
        run_id = archive.start_run(["mj"])
        archive.start_outlet(run_id, "mj")
        site = outlet(cookies_file="c.txt")
        assert newly_configured(archive, site, active=True) is True
        assert newly_configured(archive, site, active=True) is False
        # credentials removed (or the login failed) for a run, then back: teasers are re-fetched again
        assert newly_configured(archive, site, active=False) is False
        assert newly_configured(archive, site, active=True) is True
    finally:
        archive.close()
