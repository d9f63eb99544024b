"""The reader's own subscription: log in through the outlet's form, or load their browser's cookies.txt.

Credentials come only from environment variables named in the config, or from a cookies file
with owner-only permissions. Session cookies stay in memory; nothing secret is logged, stored
in the archive or put in an error message.
"""

from __future__ import annotations

import http.cookiejar
import os
import stat
from pathlib import Path
from urllib.parse import urljoin

import httpx
from selectolax.lexbor import LexborHTMLParser

from .archive import Archive
from .config import LoginSettings, Outlet, Settings
from .errors import FetchError, LoginError
from .fetch import Fetcher


def _secret(name: str | None, what: str, outlet: Outlet) -> str:
    if not name:
        raise LoginError(f"outlet '{outlet.slug}': login.{what}_env is not set; name the environment variable")
    value = os.environ.get(name)
    if not value:
        raise LoginError(f"outlet '{outlet.slug}': environment variable {name} (login.{what}_env) is empty or unset")
    return value


def load_cookies_file(path: Path) -> httpx.Cookies:
    """Cookies from a Netscape/Mozilla cookies.txt, refused unless only its owner can read it."""
    try:
        mode = path.stat().st_mode
    except OSError as exc:
        raise LoginError(f"{path}: cannot read the cookies file: {exc.strerror}") from None
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise LoginError(
            f"{path}: the cookies file is readable by other users (mode {stat.S_IMODE(mode):o}); "
            f"run `chmod 600 {path}` first"
        )
    jar = http.cookiejar.MozillaCookieJar(str(path))
    try:
        jar.load(ignore_discard=True, ignore_expires=True)
    except (OSError, http.cookiejar.LoadError) as exc:
        raise LoginError(f"{path}: not a Netscape/Mozilla cookies.txt file ({type(exc).__name__})") from None
    if not len(jar):
        raise LoginError(f"{path}: the cookies file holds no cookies")
    return httpx.Cookies(jar)


def _login_form(html: str, page_url: str, login: LoginSettings) -> tuple[str, dict[str, str]]:
    """The login form's action URL and its hidden fields (CSRF tokens and the like)."""
    tree = LexborHTMLParser(html)
    for form in tree.css("form"):
        if form.css_first(f'input[name="{login.password_field}"]') is None:
            continue
        fields = {
            str(node.attributes.get("name")): str(node.attributes.get("value") or "")
            for node in form.css("input[name]")
            if (node.attributes.get("type") or "").lower() == "hidden"
        }
        action = form.attributes.get("action") or page_url
        return urljoin(page_url, action), fields
    raise LoginError(f"{page_url}: no login form with a '{login.password_field}' field on the page")


async def _verify(login: LoginSettings, fetcher: Fetcher, cookies: httpx.Cookies, page: str, slug: str) -> None:
    if login.check_url:
        try:
            page = (await fetcher.get(login.check_url, cookies=cookies)).text
        except FetchError as exc:
            raise LoginError(f"outlet '{slug}': could not check the login at {login.check_url}: {exc}") from None
    if login.logged_in_text and login.logged_in_text.lower() not in page.lower():
        raise LoginError(
            f"outlet '{slug}': not logged in (the page does not show {login.logged_in_text!r}); "
            "the credentials may be wrong or the session expired"
        )


async def open_session(outlet: Outlet, settings: Settings, fetcher: Fetcher) -> httpx.Cookies:
    """Log in once for this run and return the session's cookie jar; raise LoginError with a clear reason."""
    login = outlet.login
    if login is None:
        raise LoginError(f"outlet '{outlet.slug}' has no [login] table")
    if login.cookies_file:
        cookies = load_cookies_file(settings.resolve(login.cookies_file))
        await _verify(login, fetcher, cookies, "", outlet.slug)
        return cookies
    if not login.url:
        raise LoginError(f"outlet '{outlet.slug}': login needs either 'url' (a login form) or 'cookies_file'")
    username = _secret(login.username_env, "username", outlet)
    password = _secret(login.password_env, "password", outlet)
    cookies = httpx.Cookies()
    try:
        form_page = await fetcher.get(login.url, cookies=cookies)
        action, fields = _login_form(form_page.text, form_page.final_url, login)
        fields[login.username_field] = username
        fields[login.password_field] = password
        answer = await fetcher.post_form(action, fields, cookies=cookies)
    except FetchError as exc:
        raise LoginError(f"outlet '{outlet.slug}': login at {login.url} failed: {exc}") from None
    if not login.check_url and not login.logged_in_text:
        # Without an explicit check, a login form shown again means the login was refused.
        tree = LexborHTMLParser(answer.text)
        if tree.css_first(f'input[name="{login.password_field}"]') is not None:
            raise LoginError(f"outlet '{outlet.slug}': the login form was shown again; check the credentials")
    await _verify(login, fetcher, cookies, answer.text, outlet.slug)
    return cookies


def newly_configured(archive: Archive, outlet: Outlet) -> bool:
    """True on the first run after a subscription was added to the outlet (so its teasers are re-fetched)."""
    row = archive.db.execute("SELECT subscription FROM outlet_state WHERE outlet = ?", [outlet.slug]).fetchone()
    before = bool(row and row[0])
    if not before:
        with archive.transaction():
            archive.db.execute("UPDATE outlet_state SET subscription = 1 WHERE outlet = ?", [outlet.slug])
    return not before
