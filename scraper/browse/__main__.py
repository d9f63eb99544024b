"""`python -m scraper.browse serve|export|stats|runs`: the browse commands without the rest of the CLI."""

import click

from .commands import BROWSE_COMMANDS


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """Browse, export and summarise a scraper archive."""


for command in BROWSE_COMMANDS:
    main.add_command(command)

if __name__ == "__main__":
    main(prog_name="python -m scraper.browse")
