"""`cxone-desktop report DIR [--out report.html]`: write a session's review report.

Exit codes: 0 written, 2 the folder cannot be reviewed or the page cannot be written.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from cxone_desktop.errors import ReviewError
from cxone_desktop.private_files import describe_os_error, write_private_file
from cxone_desktop.review.report import render_report
from cxone_desktop.review.session_reader import open_session

REPORT_HTML = "report.html"


def write_report(folder: Path, out: Path | None = None) -> Path:
    """Render and write the report (0600: it describes a call); returns its path."""
    rec = open_session(folder)
    target = Path(out).expanduser() if out else rec.folder / REPORT_HTML
    if target.is_dir():
        target = target / REPORT_HTML
    html = render_report(rec, out_path=target)
    try:
        write_private_file(target, html)
    except OSError as exc:
        raise ReviewError(
            f"Cannot write the report to {target}: {describe_os_error(exc)}",
            remedy="Choose another place with --out.",
        ) from exc
    return target


def run_report(args: argparse.Namespace) -> int:
    try:
        path = write_report(Path(args.folder), Path(args.out) if args.out else None)
    except ReviewError as exc:
        print(f"{exc.message}\n  {exc.remedy}", file=sys.stderr)
        return 2
    print(path)
    return 0
