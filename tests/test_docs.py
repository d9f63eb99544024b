"""The docs are checked against the code: every command, option and config key is documented."""

from __future__ import annotations

import click

from scraper._clidocs import cli_reference
from scraper.cli import cli
from scraper.config import config_reference
from tests.helpers import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")


def commands() -> dict[str, click.Command]:
    ctx = click.Context(cli)
    found = {name: cli.get_command(ctx, name) for name in cli.list_commands(ctx)}
    return {name: command for name, command in found.items() if command is not None}


def test_every_command_and_option_has_help() -> None:
    for name, command in commands().items():
        assert command.help, f"`scraper {name}` has no help text"
        for param in command.params:
            if isinstance(param, click.Option):
                assert param.help, f"`scraper {name} {param.opts[0]}` has no help text"


def test_every_command_and_option_is_in_the_readme() -> None:
    for name, command in commands().items():
        assert f"`scraper {name}" in README, f"README.md does not document `scraper {name}`"
        for param in command.params:
            if isinstance(param, click.Option) and param.opts[0] != "--help":
                assert param.opts[-1] in README or param.opts[0] in README, (
                    f"README.md does not mention `scraper {name} {param.opts[0]}`"
                )


def test_docs_cli_reference_is_current() -> None:
    assert (ROOT / "docs" / "cli.md").read_text(encoding="utf-8") == cli_reference(), (
        "docs/cli.md is stale: run `python -m scraper._clidocs > docs/cli.md`"
    )


def test_config_reference_is_linked_and_current() -> None:
    assert "docs/config.md" in README
    assert (ROOT / "docs" / "config.md").read_text(encoding="utf-8") == config_reference()


def test_readme_test_command_is_what_ci_runs() -> None:
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    command = next(line for line in ci.splitlines() if line.startswith("python3 -m venv"))
    assert command in README
