"""The reader's own subscription: log in through the outlet's form, or load their browser's cookies.txt.

Credentials come only from environment variables named in the config, or from a cookies file
with owner-only permissions. Session cookies stay in memory; nothing secret is logged, stored
in the archive or put in an error message.

One `Subscription` serves one outlet for one run. It always holds a cookie jar, also for an
anonymous reader, so that an outlet's meter counts our reads as it counts a browser's
(dropping its cookie after every page would reset the meter: a way round the paywall).

A session is judged lost when a page fetched with it does not show `login.logged_in_text`,
or, without that setting, when a page fetched with it comes back cut by the paywall. A lost
form login is renewed once per run and the page fetched again (without `logged_in_text`, a cut
page after that renewal is taken as beyond the subscription, not as a loss); a lost cookie-file
session cannot be renewed. A loss is reported once; the session's cookies are then dropped and
the run goes on anonymously, so what it stores next is labelled as an anonymous reader's.
"""

from __future__ import annotations

import asyncio
import http.cookiejar
import logging
import os
import stat
import warnings
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urljoin

import httpx

from .archive import Archive
from .config import LoginSettings, Outlet, Settings
from .errors import FetchError, LoginError
from .fetch import Fetcher
from .parsing import parse_html

log = logging.getLogger(__name__)

# A lost form login is logged in again at most this often per run: a site that keeps ending
# sessions must not turn every article into a login.
MAX_RENEWALS = 1


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
        with warnings.catch_warnings():
            # On a bad line the standard library warns "http.cookiejar bug!" with a traceback on stderr.
            warnings.simplefilter("ignore")
            jar.load(ignore_discard=True, ignore_expires=True)
    except (OSError, UnicodeDecodeError, http.cookiejar.LoadError):
        # The parser's own message may quote a line of the file, which holds cookie values.
        raise LoginError(
            f"{path}: not a Netscape/Mozilla cookies.txt file (export it again with a cookies.txt "
            "browser extension; the first line must be '# Netscape HTTP Cookie File')"
        ) from None
    if not len(jar):
        raise LoginError(f"{path}: the cookies file holds no cookies")
    for cookie in jar:
        # Exporters (curl, browser extensions) write expiry 0 for session cookies; http.cookiejar
        # reads 0 as 1970 and would never send them.
        if not cookie.expires:
            cookie.expires = None
            cookie.discard = True
    return httpx.Cookies(jar)


def _login_form(html: str, page_url: str, login: LoginSettings) -> tuple[str, dict[str, str]]:
    """The login form's action URL and its hidden fields (CSRF tokens and the like)."""
    tree = parse_html(html)
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


def shows_logged_in(login: LoginSettings, page_text: str) -> bool | None:
    """Whether a page shows the reader as logged in; None when the config gives no way to tell."""
    if not login.logged_in_text:
        return None
    return login.logged_in_text.lower() in page_text.lower()


async def _verify(login: LoginSettings, fetcher: Fetcher, cookies: httpx.Cookies, page: str, outlet: Outlet) -> None:
    """Check a fresh session with `check_url`, or `logged_in_text` on `page` (the home page when empty)."""
    if not login.check_url and not login.logged_in_text:
        return
    url = login.check_url or outlet.home
    if login.check_url or not page:
        try:
            page = (await fetcher.get(url, cookies=cookies, check_robots=False)).text
        except FetchError as exc:
            raise LoginError(f"outlet '{outlet.slug}': could not check the login at {url}: {exc}") from None
    if shows_logged_in(login, page) is False:
        raise LoginError(
            f"outlet '{outlet.slug}': not logged in ({url} does not show {login.logged_in_text!r}); "
            "the credentials may be wrong or the session expired"
        )


def login_problems(outlet: Outlet, settings: Settings) -> list[str]:
    """What would stop the outlet's login before any request is sent (check-config): a cookies
    file that cannot be used, a missing form URL, credentials' environment variables unset."""
    login = outlet.login
    if login is None:
        return []
    try:
        if login.cookies_file:
            load_cookies_file(settings.resolve(login.cookies_file))
            return []
        if not login.url:
            raise LoginError(f"outlet '{outlet.slug}': login needs either 'url' (a login form) or 'cookies_file'")
        problems = []
        for name, what in ((login.username_env, "username"), (login.password_env, "password")):
            try:
                _secret(name, what, outlet)
            except LoginError as exc:
                problems.append(str(exc))
        return problems
    except LoginError as exc:
        return [str(exc)]


async def open_session(outlet: Outlet, settings: Settings, fetcher: Fetcher) -> httpx.Cookies:
    """Log in once and return the session's cookie jar; raise LoginError with a clear reason."""
    login = outlet.login
    if login is None:
        raise LoginError(f"outlet '{outlet.slug}' has no [login] table")
    if login.cookies_file:
        cookies = load_cookies_file(settings.resolve(login.cookies_file))
        try:
            await _verify(login, fetcher, cookies, "", outlet)
        except LoginError as exc:
            raise LoginError(f"{exc} (export a fresh cookies.txt from the browser)") from None
        return cookies
    if not login.url:
        raise LoginError(f"outlet '{outlet.slug}': login needs either 'url' (a login form) or 'cookies_file'")
    username = _secret(login.username_env, "username", outlet)
    password = _secret(login.password_env, "password", outlet)
    cookies = httpx.Cookies()
    failed = f"outlet '{outlet.slug}': login at {login.url} failed"
    try:
        form_page = await fetcher.get(login.url, cookies=cookies, check_robots=False)
        action, fields = _login_form(form_page.text, form_page.final_url, login)
        fields[login.username_field] = username
        fields[login.password_field] = password
        answer = await fetcher.post_form(action, fields, cookies=cookies)
    except (FetchError, LoginError) as exc:
        raise LoginError(f"{failed}: {exc}") from None
    if not login.check_url and not login.logged_in_text:
        # Without an explicit check, a login form shown again means the login was refused.
        tree = parse_html(answer.text)
        if tree.css_first(f'input[name="{login.password_field}"]') is not None:
            raise LoginError(
                f"{failed}: the login form was shown again; check the credentials in "
                f"${login.username_env} and ${login.password_env}"
            )
    try:
        await _verify(login, fetcher, cookies, answer.text, outlet)
    except LoginError as exc:
        raise LoginError(f"{failed}: {exc}") from None
    return cookies


@dataclass(frozen=True)
class SessionCheck:
    """What one fetched page says about the session it was fetched with."""

    subscriber: bool  # the page was fetched with a live subscriber session
    retry: bool = False  # the session was renewed: fetch the page again
    error: LoginError | None = None  # to report once (the session was lost or renewed)


class Subscription:
    """The reader's subscription to one outlet during one run, or an anonymous reader's cookies."""

    def __init__(self, outlet: Outlet, settings: Settings, fetcher: Fetcher) -> None:
        self.outlet = outlet
        self.settings = settings
        self.fetcher = fetcher
        self.cookies = httpx.Cookies()
        self.active = False  # a subscriber session is in use
        self.generation = 0  # bumped when the session is renewed or lost; pages carry the one they used
        self.renewals = 0
        self._session_cookies: set[tuple[str, str, str]] = set()
        self._told_uncovered = False
        self._lock = asyncio.Lock()

    async def open(self) -> None:
        """Log in (or load the cookies file); raises LoginError and stays anonymous on failure."""
        self._use(await open_session(self.outlet, self.settings, self.fetcher))

    def _use(self, cookies: httpx.Cookies) -> None:
        self.cookies = cookies
        self._session_cookies = {(c.domain, c.path, c.name) for c in cookies.jar}
        self.active = True

    def _drop(self) -> None:
        """Go on anonymously: forget the session's cookies, keep the ones the site set since (a meter's)."""
        for cookie in list(self.cookies.jar):
            if (cookie.domain, cookie.path, cookie.name) in self._session_cookies:
                self.cookies.jar.clear(cookie.domain, cookie.path, cookie.name)
        self._session_cookies = set()
        self.active = False

    async def check(self, page_text: str, cut: bool, generation: int) -> SessionCheck:
        """Judge a page fetched with the session of `generation`; renew or drop a lost session."""
        login = self.outlet.login
        if login is None or not self.active:
            return SessionCheck(subscriber=False)
        shown = shows_logged_in(login, page_text)
        if shown or (shown is None and not cut):
            return SessionCheck(subscriber=True)
        async with self._lock:
            if generation != self.generation:
                # Another page already saw the loss: fetch again only if the session was renewed.
                return SessionCheck(subscriber=False, retry=self.active)
            if shown is None and self.renewals:
                # A login made during this run still gets a cut page: the page is beyond the
                # subscription (another tier), not a lost session.
                if not self._told_uncovered:
                    self._told_uncovered = True
                    log.warning(
                        "%s: some paywalled pages stay cut although logged in; they may be outside the "
                        "subscription (set login.logged_in_text to tell this from an expired login)",
                        self.outlet.slug,
                    )
                return SessionCheck(subscriber=True)
            self.generation += 1
            why = (
                f"pages no longer show {login.logged_in_text!r}"
                if shown is False
                else "a paywalled page came back cut although logged in"
            )
            lost = f"outlet '{self.outlet.slug}': the login session expired ({why})"
            if login.url and not login.cookies_file and self.renewals < MAX_RENEWALS:
                self.renewals += 1
                try:
                    self._use(await open_session(self.outlet, self.settings, self.fetcher))
                except LoginError as exc:
                    self._drop()
                    return SessionCheck(
                        subscriber=False,
                        error=LoginError(
                            f"{lost}; logging in again failed ({exc}); continuing without the subscription"
                        ),
                    )
                return SessionCheck(subscriber=False, retry=True, error=LoginError(f"{lost}; logged in again"))
            self._drop()
            advice = "export a fresh cookies.txt" if login.cookies_file else "check the subscription"
            return SessionCheck(
                subscriber=False,
                error=LoginError(
                    f"{lost}; continuing without the subscription, so paywalled articles are kept as teasers "
                    f"and full text already archived is not replaced; {advice}"
                ),
            )


def newly_configured(archive: Archive, outlet: Outlet, *, active: bool) -> bool:
    """Record whether the outlet has a working subscription in this run; True on the first run with one
    after a run without (so its stored teasers are re-fetched), also when credentials come back later."""
    row = archive.db.execute("SELECT subscription FROM outlet_state WHERE outlet = ?", [outlet.slug]).fetchone()
    before = bool(row and row[0])
    if before != active:
        with archive.transaction():
            archive.db.execute("UPDATE outlet_state SET subscription = ? WHERE outlet = ?", [int(active), outlet.slug])
    return active and not before
