"""The `crier` command: thin. Parse, validate, call the library, show the result."""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import sys
from collections.abc import Sequence

from content.errors import CrierError
from scheduler import settings
from scheduler.service import Service

# Each module registers its own subcommands; adding a command is adding a module here.
COMMANDS = ("preview", "count", "queue", "slots", "run", "demo", "accounts",
            "importing", "feeds", "web",  # `crier import`, `crier feeds`, `crier web`
            "notify")  # `crier notify test`, `crier notifications list`

EXIT_OK, EXIT_ERROR, EXIT_USAGE = 0, 1, 2


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="crier",
        description="Queue a post once; Crier formats it for each network and publishes it.",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log what happens")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in COMMANDS:
        try:
            module = importlib.import_module(f"scheduler.cli.{name}")
        except ModuleNotFoundError as exc:
            if exc.name == f"scheduler.cli.{name}":
                continue  # a command not built yet
            raise
        module.register(sub)
    _verbose_everywhere(parser)
    return parser


def _verbose_everywhere(parser: argparse.ArgumentParser) -> None:
    """`crier run -v` as well as `crier -v run`: every subcommand takes -v too. SUPPRESS keeps
    a subcommand that was not given -v from resetting the top-level one."""
    for action in parser._actions:  # noqa: SLF001 - argparse keeps its subparsers there
        if isinstance(action, argparse._SubParsersAction):  # noqa: SLF001
            for child in action.choices.values():
                if not any("-v" in a.option_strings for a in child._actions):  # noqa: SLF001
                    child.add_argument("-v", "--verbose", action="store_true",
                                       default=argparse.SUPPRESS, help="log what happens")
                _verbose_everywhere(child)


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    service: Service | None = None
    try:
        # The settings are read once, here, and every command gets them through the service.
        service = Service(settings.load())
        code: int = args.func(args, service)
    except CrierError as exc:
        print(f"crier: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # The reader went away (`crier preview --json | head`): stop quietly, as cat does.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 141
    finally:
        if service is not None:
            service.close()
    return code


if __name__ == "__main__":
    sys.exit(main())
