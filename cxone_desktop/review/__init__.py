"""Reading a recorded session back: audio, marks, quality score, notes, evaluations, report.

Qt-free (core, stdlib and numpy only) so `cxone-desktop report` renders on a
headless server; the review window in `ui/` draws what these modules compute.
"""
