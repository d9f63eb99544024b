"""The configuration schema (every key declared once, with its default and help) and load_config()."""

from __future__ import annotations

import difflib
import os
import re
import tomllib
import unicodedata
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, field_validator, model_validator
from selectolax.lexbor import LexborHTMLParser

from .errors import ConfigError

DEFAULT_CONFIG_NAME = "config.toml"
CONFIG_ENV_VAR = "SCRAPER_CONFIG"
DEFAULT_USER_AGENT = "scraper/0.1 (paywall-aware research archiver; +https://github.com/scraper-archive/scraper)"
# Tokens of the search-engine and social crawlers that publishers serve full text to.
_CRAWLER_UA_RE = re.compile(
    r"googlebot|googleother|google-[a-z-]+|[a-z-]+-google\b|adsbot|bingbot|bingpreview|msnbot|slurp|duckduckbot|"
    r"baiduspider|yandex[a-z]*bot|applebot|petalbot|facebookexternalhit|facebot|twitterbot|linkedinbot|ia_archiver|"
    r"archive\.org_bot",
    re.IGNORECASE,
)
# Services that serve other sites' pages from a cache, an archive or past their paywall.
_MIRROR_HOSTS = frozenset(
    {
        "web.archive.org", "archive.org", "archive.ph", "archive.today", "archive.is", "archive.li", "archive.md",
        "archive.vn", "archive.fo", "webcache.googleusercontent.com", "cachedview.nl", "12ft.io", "r.jina.ai",
        "removepaywall.com", "removepaywalls.com", "1ft.io", "smry.ai", "ghostarchive.org",
    }
)  # fmt: skip
_SELECTOR_CHECK_TREE = LexborHTMLParser("<p></p>")

_DURATION_RE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhdw])\s*$")
_DURATION_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def parse_duration(value: str) -> float:
    """'90s', '15m', '1h', '2d', '1w' -> seconds."""
    match = _DURATION_RE.match(value)
    if not match:
        raise ValueError(f"{value!r} is not a duration like '30m', '1h' or '2d'")
    return float(match.group(1)) * _DURATION_UNITS[match.group(2)]


def _check_http_url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"{value!r} is not an http(s) URL")
    if parts.username is not None or parts.password is not None:
        # URLs are logged and archived; credentials go in login.username_env / password_env.
        raise ValueError(
            f"'{parts.scheme}://…@{parts.hostname}…' holds a user name or password; "
            "use login.username_env and login.password_env"
        )
    host = parts.hostname.lower().removeprefix("www.")
    if host in _MIRROR_HOSTS or any(host.endswith("." + mirror) for mirror in _MIRROR_HOSTS):
        raise ValueError(
            f"{value!r} is a cache, archive or paywall-bypass service, not the outlet: "
            "fetch the outlet's own site (full text only through your subscription)"
        )
    return value


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    @field_validator("*", mode="before")
    @classmethod
    def _no_booleans_for_numbers(cls, value: Any, info: ValidationInfo) -> Any:
        # pydantic reads true as 1; in a config file `delay = true` is a mistake, not a number.
        field = cls.model_fields.get(info.field_name or "")
        if isinstance(value, bool) and field is not None and field.annotation in (int, float, int | None):
            raise ValueError(f"must be a number, not {str(value).lower()}")
        return value


class ArchiveSettings(_Section):
    database: str = Field("data/archive.db", description="SQLite archive file; relative to the config file.")
    warc_dir: str = Field("data/warc", description="Folder for the raw WARC files; relative to the config file.")
    warc_max_bytes: int = Field(
        100_000_000, gt=0, description="Rotate to a new WARC file once the current one is this large."
    )


class FetchSettings(_Section):
    user_agent: str = Field(
        DEFAULT_USER_AGENT,
        min_length=3,
        description="User-Agent sent with every request; it must not pass for a search engine's crawler.",
    )
    connect_timeout: float = Field(10.0, gt=0, description="Seconds to wait for a connection.")
    read_timeout: float = Field(30.0, gt=0, description="Seconds to wait for data once connected.")
    max_bytes: int = Field(10_000_000, gt=0, description="Largest body read; the rest is not downloaded.")
    max_redirects: int = Field(10, ge=0, description="Redirects followed before giving up.")
    retries: int = Field(3, ge=0, le=10, description="Retries on connection errors, timeouts, 429 and 5xx.")
    backoff: float = Field(1.0, ge=0, description="First retry wait in seconds; doubles each time, with jitter.")
    max_retry_after: float = Field(
        120.0, ge=0, description="Longest Retry-After honoured; a longer one backs the host off for the run."
    )
    host_failures: int = Field(
        5,
        ge=1,
        description=(
            "Different URLs failing in a row (a URL's retries count once) after which a host is skipped "
            "for the rest of the run."
        ),
    )
    http2: bool = Field(False, description="Offer HTTP/2 to servers that support it.")

    @field_validator("user_agent")
    @classmethod
    def _own_user_agent(cls, value: str) -> str:
        # Publishers let search engines past their paywalls: posing as one would circumvent it.
        # NFKC folds look-alikes ("Ｇooglebot"); zero-width characters are dropped before matching.
        folded = re.sub(r"[\u200b-\u200f\u2060\ufeff]", "", unicodedata.normalize("NFKC", value))
        crawler = _CRAWLER_UA_RE.search(folded)
        if crawler:
            raise ValueError(
                f"names a search engine's crawler ({crawler.group(0)!r}); identify this scraper instead "
                "(the default names it and links to the project)"
            )
        return value


class DedupSettings(_Section):
    near_threshold: float = Field(
        0.6, gt=0, le=1, description="Estimated Jaccard similarity at or above which two texts are near duplicates."
    )
    min_words: int = Field(50, ge=0, description="Texts shorter than this are not checked for near duplicates.")
    tracking_params: tuple[str, ...] = Field(
        (), description="Query parameters dropped from URLs, in addition to the built-in list (utm_*, fbclid, ...)."
    )


def _check_selector(value: str) -> str:
    # Parsed by the same engine that will run it, so a typo is reported when the config is read
    # (check-config), not silently skipped during every run.
    try:
        _SELECTOR_CHECK_TREE.css(value)
    except Exception:
        raise ValueError(f"{value!r} is not a CSS selector that Lexbor (selectolax) can parse") from None
    return value


def _check_selectors(value: str | tuple[str, ...] | None) -> str | tuple[str, ...] | None:
    if isinstance(value, str):
        return _check_selector(value)
    for selector in value or ():
        _check_selector(selector)
    return value


class ExtractRules(_Section):
    """Per-outlet CSS selectors and phrases that override the generic extractor."""

    body: str | None = Field(None, description="CSS selector of the article body container.")
    title: str | None = Field(None, description="CSS selector of the headline.")
    byline: str | None = Field(None, description="CSS selector of the byline (author names).")
    date: str | None = Field(None, description="CSS selector of the publication date.")
    section: str | None = Field(None, description="CSS selector of the section label.")
    drop: tuple[str, ...] = Field((), description="CSS selectors of elements removed before extraction.")
    drop_phrases: tuple[str, ...] = Field(
        (), description="Lines of text removed from the body wherever they occur (case-insensitive, exact line)."
    )

    _selectors = field_validator("body", "title", "byline", "date", "section", "drop")(_check_selectors)


class PaywallRules(_Section):
    phrases: tuple[str, ...] = Field(
        (), description="Extra prompt phrases that mark a paywall (case-insensitive), e.g. 'Already a subscriber?'."
    )
    selectors: tuple[str, ...] = Field((), description="CSS selectors of the outlet's paywall or login gate.")

    _selectors = field_validator("selectors")(_check_selectors)


class LoginSettings(_Section):
    """The reader's own subscription: a login form, or a cookies.txt exported from their browser."""

    url: str | None = Field(None, description="URL of the login form (the form is posted to its action).")
    username_field: str = Field("username", description="Name of the form's username/e-mail field.")
    password_field: str = Field("password", description="Name of the form's password field.")
    username_env: str | None = Field(None, description="Environment variable holding the username.")
    password_env: str | None = Field(None, description="Environment variable holding the password.")
    cookies_file: str | None = Field(
        None, description="Netscape/Mozilla cookies.txt file (owner-only permissions); relative to the config file."
    )
    check_url: str | None = Field(None, description="A page that only a logged-in reader can see, to verify a login.")
    logged_in_text: str | None = Field(
        None, description="Text present on pages only when logged in (for example 'Log out')."
    )

    @field_validator("url", "check_url")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        return None if value is None else _check_http_url(value)


class Outlet(_Section):
    slug: str = Field("", description="The outlet's table key (set by the loader).")
    name: str = Field(..., min_length=1, description="Display name.")
    home: str = Field(..., description="Home page URL; the only other required key.")
    feeds: tuple[str, ...] | None = Field(None, description="RSS/Atom feed URLs; replaces feed discovery.")
    sitemaps: tuple[str, ...] | None = Field(None, description="Sitemap URLs; replaces sitemap discovery.")
    sections: tuple[str, ...] | None = Field(None, description="Section/listing page URLs; replaces link discovery.")
    article_pattern: str | None = Field(None, description="Regex an article URL must match (searched in the URL).")
    exclude_pattern: str | None = Field(None, description="Regex of URLs that are never articles.")
    section_depth: int = Field(1, ge=0, le=5, description="How many links deep to follow listing pages from home.")
    max_section_pages: int = Field(30, ge=0, description="Most listing pages fetched per run for link discovery.")
    delay: float = Field(
        1.0, ge=0, description="Least seconds between two requests to the outlet's host (www. or not, http or https)."
    )
    concurrency: int = Field(
        1, ge=1, le=16, description="Most requests in flight to the outlet's host at once (www. or not, http or https)."
    )
    every: str | None = Field(None, description="How often the outlet is due, e.g. '1h'; unset: every run.")
    revisit_days: float = Field(
        0, ge=0, description="Re-fetch articles published within this many days on each run, to catch updates."
    )
    max_articles: int | None = Field(None, ge=0, description="Most article pages fetched per run.")
    extract: ExtractRules = Field(default_factory=ExtractRules, description="Extraction overrides.")  # type: ignore[arg-type]
    paywall: PaywallRules = Field(default_factory=PaywallRules, description="Paywall phrases and selectors.")  # type: ignore[arg-type]
    login: LoginSettings | None = Field(None, description="The reader's subscription for this outlet.")

    @field_validator("home")
    @classmethod
    def _home(cls, value: str) -> str:
        return _check_http_url(value)

    @field_validator("feeds", "sitemaps", "sections")
    @classmethod
    def _urls(cls, value: tuple[str, ...] | None) -> tuple[str, ...] | None:
        if value is not None:
            for url in value:
                _check_http_url(url)
        return value

    @field_validator("article_pattern", "exclude_pattern")
    @classmethod
    def _regex(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                re.compile(value)
            except re.error as exc:
                raise ValueError(f"{value!r} is not a valid regular expression ({exc})") from None
        return value

    @field_validator("every")
    @classmethod
    def _every(cls, value: str | None) -> str | None:
        if value is not None:
            parse_duration(value)
        return value

    @property
    def every_seconds(self) -> float | None:
        return None if self.every is None else parse_duration(self.every)


_SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")


class Settings(_Section):
    path: Annotated[Path, Field(description="The config file (set by the loader).")] = Path(DEFAULT_CONFIG_NAME)
    archive: ArchiveSettings = Field(default_factory=ArchiveSettings)  # type: ignore[arg-type]
    fetch: FetchSettings = Field(default_factory=FetchSettings)  # type: ignore[arg-type]
    dedup: DedupSettings = Field(default_factory=DedupSettings)  # type: ignore[arg-type]
    outlets: dict[str, Outlet] = Field(default_factory=dict)

    @model_validator(mode="before")
    @classmethod
    def _slugs(cls, data: Any) -> Any:
        outlets = data.get("outlets") if isinstance(data, dict) else None
        if isinstance(outlets, dict):
            for slug, table in outlets.items():
                if not _SLUG_RE.match(slug):
                    raise ValueError(
                        f"outlet slug {slug!r} must be lower-case letters, digits, '-' or '_' (at most 64)"
                    )
                if isinstance(table, dict):
                    if "slug" in table:
                        raise ValueError(f"outlets.{slug}: 'slug' is the table key, not a setting")
                    table["slug"] = slug
        return data

    def resolve(self, relative: str) -> Path:
        """A path from the config, taken relative to the config file's folder."""
        path = Path(relative).expanduser()
        return path if path.is_absolute() else (self.path.parent / path)

    @property
    def database_path(self) -> Path:
        return self.resolve(self.archive.database)

    @property
    def warc_path(self) -> Path:
        return self.resolve(self.archive.warc_dir)


def _known_keys(model: type[BaseModel]) -> list[str]:
    return [name for name in model.model_fields if name not in ("slug", "path")]


def _model_at(loc: tuple[Any, ...]) -> type[BaseModel] | None:
    """The model whose fields sit at `loc` (a pydantic error location), for 'did you mean'."""
    model: type[BaseModel] | None = Settings
    i = 0
    while model is not None and i < len(loc):
        name = loc[i]
        if model is Settings and name == "outlets":
            model, i = Outlet, i + 2
            continue
        field_info = model.model_fields.get(str(name))
        if field_info is None:
            return model
        annotation = field_info.annotation
        model = None
        for candidate in (ArchiveSettings, FetchSettings, DedupSettings, ExtractRules, PaywallRules, LoginSettings):
            if annotation is candidate or (annotation is not None and candidate in getattr(annotation, "__args__", ())):
                model = candidate
        i += 1
    return model


def _describe(error: Any) -> str:
    loc = tuple(error["loc"])
    key = ".".join(str(part) for part in loc) or "(top level)"
    kind = error["type"]
    if kind == "extra_forbidden":
        parent = _model_at(loc[:-1])
        known = _known_keys(parent) if parent else []
        hint = difflib.get_close_matches(str(loc[-1]), known, n=1)
        suggestion = f" (did you mean '{hint[0]}'?)" if hint else ""
        return f"unknown key '{key}'{suggestion}; expected one of: {', '.join(known)}"
    if kind == "missing":
        return f"missing required key '{key}'"
    message = str(error["msg"]).removeprefix("Value error, ")
    if kind in ("tuple_type", "list_type"):
        message = 'Input should be an array, e.g. ["..."]'  # TOML's word, not Python's
    return f"'{key}': {message}"


def find_config(explicit: str | os.PathLike[str] | None) -> Path:
    """--config, else $SCRAPER_CONFIG, else ./config.toml."""
    if explicit:
        return Path(explicit)
    env = os.environ.get(CONFIG_ENV_VAR)
    return Path(env) if env else Path(DEFAULT_CONFIG_NAME)


def parse_config(text: str, path: Path) -> Settings:
    """Validate TOML text as a config; raise ConfigError naming the file, key and expectation."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    data["path"] = path
    try:
        settings = Settings.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(_describe(error) for error in exc.errors())
        raise ConfigError(f"{path}: {problems}") from None
    except ValueError as exc:
        raise ConfigError(f"{path}: {exc}") from None
    if not settings.outlets:
        raise ConfigError(f"{path}: no outlets configured; add an [outlets.<slug>] table with 'name' and 'home'")
    return settings


def load_config(explicit: str | os.PathLike[str] | None = None) -> Settings:
    path = find_config(explicit)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{path}: config file not found (use --config FILE or set {CONFIG_ENV_VAR})") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read config file: {exc}") from None
    return parse_config(text, path.resolve())


_TABLES: tuple[tuple[str, type[BaseModel], str], ...] = (
    ("[archive]", ArchiveSettings, "Where the archive is written."),
    ("[fetch]", FetchSettings, "How pages are fetched, for every outlet."),
    ("[dedup]", DedupSettings, "How duplicates are recognised."),
    ("[outlets.SLUG]", Outlet, "One table per outlet; the table key is the outlet's slug."),
    ("[outlets.SLUG.extract]", ExtractRules, "Extraction overrides for one outlet."),
    ("[outlets.SLUG.paywall]", PaywallRules, "Paywall phrases and selectors for one outlet."),
    ("[outlets.SLUG.login]", LoginSettings, "The reader's own subscription for one outlet."),
)


def _default_text(info: Any) -> str:
    if info.is_required():
        return "required"
    if info.default_factory is not None:
        return "(table)"
    value = info.default
    if value is None:
        return "unset"
    if isinstance(value, tuple):
        return "[]" if not value else repr(list(value))
    return f"`{value!r}`".replace("'", '"')


def config_reference() -> str:
    """docs/config.md, generated from the schema so the two never drift (tests compare them)."""
    lines = [
        "# Configuration reference",
        "",
        "<!-- Generated by `python -m scraper.config`; tests/test_config.py fails when it is stale. -->",
        "",
        "The config file is TOML: `./config.toml`, or `--config FILE`, or `$SCRAPER_CONFIG`. "
        "Relative paths in it are relative to the file. Unknown keys are errors.",
        "",
    ]
    for table, model, about in _TABLES:
        lines += [f"## `{table}`", "", about, "", "| key | default | meaning |", "| --- | --- | --- |"]
        for name, info in model.model_fields.items():
            if name in ("slug", "path", "extract", "paywall", "login"):
                continue  # set by the loader, or a table of its own above
            lines.append(f"| `{name}` | {_default_text(info)} | {info.description or ''} |")
        lines.append("")
    return "\n".join(lines)


if __name__ == "__main__":
    print(config_reference(), end="")
