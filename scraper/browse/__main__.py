"""`python -m scraper.browse serve|export|stats|runs`: the browse commands without the rest of the CLI."""

from typing import Any

import click

from ..errors import ScraperError
from .commands import BROWSE_COMMANDS


class _Group(click.Group):
    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except ScraperError as exc:  # one line, as `scraper` itself reports it
            click.echo(f"Error: {exc}", err=True)
            ctx.exit(1)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """Browse, export and summarise a scraper archive."""


for command in BROWSE_COMMANDS:
    main.add_command(command)

if __name__ == "__main__":
    main(prog_name="python -m scraper.browse")
