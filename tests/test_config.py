"""Config loading: the contract of issue #2 and clear errors for every kind of bad config."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from scraper.config import config_reference, load_config, parse_config, parse_duration
from scraper.errors import ConfigError

ROOT = Path(__file__).resolve().parents[1]
MINIMAL = '[outlets.mj]\nname = "The MJ"\nhome = "https://www.themj.co.uk/"\n'


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    "agent",
    [
        "newsarchiver/1.0 (research; contact: jane.doe@googlemail.com)",
        "uni-archiver/0.3 (+https://sites.google.com/view/myproject)",
        "archiver/1.0 (ivan@yandex.ru)",
    ],
)
def test_a_user_agent_naming_google_or_yandex_in_its_contact_is_accepted(tmp_path: Path, agent: str) -> None:
    config = load_config(write(tmp_path, f'[fetch]\nuser_agent = "{agent}"\n' + MINIMAL))
    assert config.fetch.user_agent == agent


def test_minimal_outlet_needs_only_name_and_home(tmp_path: Path) -> None:
    settings = load_config(write(tmp_path, MINIMAL))
    outlet = settings.outlets["mj"]
    assert outlet.slug == "mj"
    assert outlet.delay == 1.0 and outlet.concurrency == 1
    assert outlet.feeds is None and outlet.sitemaps is None and outlet.sections is None
    # relative paths are relative to the config file, not the working directory
    assert settings.database_path == tmp_path / "data" / "archive.db"


def test_shipped_config_is_valid_and_has_the_mj() -> None:
    settings = load_config(ROOT / "config.toml")
    assert any("themj.co.uk" in o.home for o in settings.outlets.values())


def test_config_path_from_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SCRAPER_CONFIG", str(write(tmp_path, MINIMAL)))
    assert list(load_config().outlets) == ["mj"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (MINIMAL + "feedz = []\n", "unknown key 'outlets.mj.feedz' (did you mean 'feeds'?)"),
        ('[outlets.mj]\nname = "x"\n', "missing required key 'outlets.mj.home'"),
        ('[outlets.mj]\nname = "x"\nhome = "ftp://example.org/"\n', "'outlets.mj.home': 'ftp://example.org/' is not"),
        ('[outlets.mj]\nname = "x"\nhome = "not a url"\n', "'outlets.mj.home'"),
        (MINIMAL + 'delay = "slow"\n', "'outlets.mj.delay': Input should be a valid number"),
        (MINIMAL + "delay = true\n", "'outlets.mj.delay': must be a number, not true"),
        (MINIMAL + 'feeds = "https://a.example/feed"\n', "'outlets.mj.feeds': Input should be an array"),
        ("[fetch]\nretries = false\n" + MINIMAL, "'fetch.retries': must be a number, not false"),
        (MINIMAL + 'every = "soon"\n', "'outlets.mj.every': 'soon' is not a duration"),
        (MINIMAL + 'article_pattern = "("\n', "'outlets.mj.article_pattern': '(' is not a valid regular expression"),
        (MINIMAL + "[outlets.mj.extract]\nbodyy = 'x'\n", "unknown key 'outlets.mj.extract.bodyy'"),
        ('[archiv]\ndatabase = "x"\n' + MINIMAL, "unknown key 'archiv' (did you mean 'archive'?)"),
        ('[outlets."The MJ"]\nname = "x"\nhome = "https://a.example/"\n', "outlet slug 'The MJ' must be"),
        ("[archive]\n", "no outlets configured"),
        ("[outlets.mj\n", "not valid TOML"),
        (
            MINIMAL + "[outlets.mj.extract]\nbody = 'div[[['\n",
            "'outlets.mj.extract.body': 'div[[[' is not a CSS selector",
        ),
        (MINIMAL + "[outlets.mj.extract]\ndrop = ['.ok', '###']\n", "'outlets.mj.extract.drop': '###' is not a CSS"),
        (MINIMAL + "[outlets.mj.paywall]\nselectors = ['']\n", "'outlets.mj.paywall.selectors': '' is not a CSS"),
        (
            '[fetch]\nuser_agent = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"\n'
            + MINIMAL,
            "'fetch.user_agent': names a search engine's crawler ('Googlebot')",
        ),
        ('[fetch]\nuser_agent = "Ｇooglebot/2.1"\n' + MINIMAL, "names a search engine's crawler ('Googlebot')"),
        ('[fetch]\nuser_agent = "FeedFetcher-Google"\n' + MINIMAL, "crawler ('FeedFetcher-Google')"),
        ('[fetch]\nuser_agent = "ia_archiver"\n' + MINIMAL, "crawler ('ia_archiver')"),
        (
            '[outlets.mj]\nname = "x"\nhome = "https://web.archive.org/web/2024/https://www.ft.com/"\n',
            "'outlets.mj.home': 'https://web.archive.org/web/2024/https://www.ft.com/' is a cache, archive or",
        ),
        (
            MINIMAL + '[outlets.mj.login]\nurl = "https://reader:hunter2@www.themj.co.uk/login"\n',
            "'outlets.mj.login.url': 'https://…@www.themj.co.uk…' holds a user name or password",
        ),
        ('[fetch]\nuser_agent = "Mozilla/5.0 (compatible; bingbot/2.0)"\n' + MINIMAL, "crawler ('bingbot')"),
    ],
)
def test_invalid_config_names_file_key_and_expectation(tmp_path: Path, text: str, expected: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as info:
        load_config(path)
    message = str(info.value)
    assert message.startswith(str(path.resolve())), message
    assert expected in message


def test_unreadable_and_missing_files(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="config file not found"):
        load_config(tmp_path / "nope.toml")
    binary = tmp_path / "bin.toml"
    binary.write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(ConfigError, match=r"cannot read config file|not valid TOML"):
        load_config(binary)


def test_duplicate_slug_is_a_toml_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(write(tmp_path, MINIMAL + MINIMAL))


def test_durations() -> None:
    assert parse_duration("90s") == 90
    assert parse_duration("15m") == 900
    assert parse_duration("1h") == 3600
    assert parse_duration("2d") == 172800
    with pytest.raises(ValueError):
        parse_duration("1 fortnight")


def test_check_config_command_exit_status_and_no_traceback(tmp_path: Path) -> None:
    bad = write(tmp_path, MINIMAL + "feedz = []\n")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    result = subprocess.run(
        [sys.executable, "-m", "scraper", "check-config", "--config", str(bad)],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "unknown key 'outlets.mj.feedz'" in result.stderr
    good = tmp_path / "good.toml"
    good.write_text(MINIMAL)
    result = subprocess.run(
        [sys.executable, "-m", "scraper", "check-config", "--config", str(good)],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "1 outlet(s): mj" in result.stdout


def _scraper(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    full_env = {**os.environ, "PYTHONPATH": str(ROOT), **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "scraper", *args], capture_output=True, text=True, env=full_env, check=False
    )


def test_check_config_finds_unusable_paths_and_logins_without_fetching(tmp_path: Path) -> None:
    (tmp_path / "blocker").write_text("a file where a folder should be")
    cookies = tmp_path / "cookies.txt"
    cookies.write_text("# Netscape HTTP Cookie File\n")
    cookies.chmod(0o644)
    config = write(
        tmp_path,
        '[archive]\ndatabase = "blocker/archive.db"\nwarc_dir = "blocker"\n'
        + MINIMAL
        + '[outlets.mj.login]\nurl = "https://www.themj.co.uk/login"\nusername_env = "MJ_TEST_USER"\n'
        + '[outlets.lgc]\nname = "LGC"\nhome = "https://www.lgcplus.com/"\n'
        + '[outlets.lgc.login]\ncookies_file = "cookies.txt"\n',
    )
    result = _scraper("check-config", "--config", str(config), env={"MJ_TEST_USER": ""})
    assert result.returncode == 2 and "Traceback" not in result.stderr
    for expected in (
        "archive.db cannot be created: ",
        "blocker is not a folder",
        "environment variable MJ_TEST_USER (login.username_env) is empty or unset",
        "login.password_env is not set",
        "the cookies file is readable by other users (mode 644)",
    ):
        assert expected in result.stderr, (expected, result.stderr)


def test_an_archive_path_that_cannot_be_created_is_one_line_not_a_traceback(tmp_path: Path) -> None:
    (tmp_path / "blocker").write_text("a file where a folder should be")
    config = write(tmp_path, '[archive]\ndatabase = "blocker/data/archive.db"\n' + MINIMAL)
    for command in ("run", "reextract"):
        result = _scraper(command, "--config", str(config))
        assert result.returncode == 2, (command, result.stderr)
        assert "Traceback" not in result.stderr, (command, result.stderr)
        assert result.stderr.startswith("Error: "), (command, result.stderr)


def test_docs_config_reference_is_current() -> None:
    assert (ROOT / "docs" / "config.md").read_text(encoding="utf-8") == config_reference(), (
        "docs/config.md is stale: run `python -m scraper.config > docs/config.md`"
    )


def test_parse_config_keeps_every_outlet_override() -> None:
    text = MINIMAL + (
        'feeds = ["https://www.themj.co.uk/rss"]\nevery = "1h"\nrevisit_days = 3\n'
        "[outlets.mj.paywall]\nphrases = ['Already a subscriber?']\n"
        "[outlets.mj.login]\nurl = 'https://www.themj.co.uk/login'\n"
        "username_env = 'MJ_USER'\npassword_env = 'MJ_PASS'\n"
    )
    outlet = parse_config(text, Path("/tmp/c.toml")).outlets["mj"]
    assert outlet.feeds == ("https://www.themj.co.uk/rss",)
    assert outlet.every_seconds == 3600
    assert outlet.paywall.phrases == ("Already a subscriber?",)
    assert outlet.login is not None and outlet.login.password_env == "MJ_PASS"
