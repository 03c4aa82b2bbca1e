"""The `cxone-desktop` command: `gui` (default), `record`, `simulate`, `relay`, `repair`, `report`.

The arguments are declared in `cli_parser`; each handler is imported only when chosen.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Sequence

from cxone_desktop.cli_parser import SUBCOMMANDS, build_parser


def main(argv: Sequence[str] | None = None) -> int:
    from cxone_desktop.portable import make_console_streams_safe

    make_console_streams_safe()  # a cp1252 console must not crash on "→"
    args_list = list(sys.argv[1:] if argv is None else argv)
    # `cxone-desktop --demo` means `cxone-desktop gui --demo`.
    if not any(a in SUBCOMMANDS for a in args_list) and not any(
        a in ("-h", "--help", "--version") for a in args_list
    ):
        args_list = _insert_gui(args_list)
    args = build_parser().parse_args(args_list)
    logging.basicConfig(
        level=getattr(logging, args.log_level),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    if args.command == "record":
        from cxone_desktop.session.record_command import run_record

        return run_record(args)
    if args.command == "simulate" and args.push:
        from cxone_desktop.simulator.push.push_command import run_push

        return run_push(args)
    if args.command == "relay":
        from cxone_desktop.relay.command import run_relay

        return run_relay(args)
    if args.command == "simulate":
        from cxone_desktop.simulator.command import run_simulate

        return run_simulate(args)
    if args.command == "repair":
        from cxone_desktop.session.repair import run_repair

        return run_repair(args)
    if args.command == "report":
        from cxone_desktop.review.report_command import run_report

        return run_report(args)
    from cxone_desktop.ui.launch import run_gui

    return run_gui(args)


def _insert_gui(args: list[str]) -> list[str]:
    """Put `gui` after the global options so they still parse."""
    out: list[str] = []
    rest = list(args)
    while rest and rest[0].startswith("--log-level"):
        out.append(rest.pop(0))
        if "=" not in out[-1] and rest:
            out.append(rest.pop(0))
    return [*out, "gui", *rest]
