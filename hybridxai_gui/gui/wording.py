"""The core's messages, worded for the app: its advice names command-line options (--exclude, --missing,
--val-size ...), which a user of the window finds as controls instead. Qt-free, so it is tested directly."""

from __future__ import annotations

import re

# (pattern, replacement), applied in order; each names the control the app shows for the option.
_REPLACEMENTS = [
    (r"leave the column out with --exclude ('[^']*')", r"leave the column out by unticking \1 under Features"),
    (r"[Ll]eave (it|them) out with --exclude", r"Untick \1 under Features"),
    (r"choose --missing drop to skip those rows or --missing mean to fill them",
     "set “Missing values” to drop (skip those rows) or mean (fill them"),
    (r"use --missing drop", "set “Missing values” to drop"),
    (r"use --missing mean", "set “Missing values” to mean"),
    (r"--val-size 0", "a validation share of 0"),
    (r"--test-size", "the test share"),
    (r"--val-size", "the validation share"),
    (r"(Choose|Name) (one|it) with --label", r"\1 \2 in the “Label column” box"),
    (r"Use --label", "Choose it in the “Label column” box"),
    (r"use --scaling zscore", "set Scaling to zscore"),
    (r"use --device cpu", "choose the CPU as device"),
]


def for_the_app(message: str) -> str:
    """`message` with command-line advice replaced by the app's controls."""
    for pattern, replacement in _REPLACEMENTS:
        message = re.sub(pattern, replacement, message)
    # The 'choose --missing drop ... or mean (fill them' rewrite closes its parenthesis here.
    return message.replace("(fill them with the training mean.", "(fill them with the training mean).")
