"""Module-level drawing functions for the render-process tests: a Drawing is pickled to the render process,
which imports this module by name (the tests folder is on its sys.path, as on the test process's)."""

from __future__ import annotations

import os
import time


def fill(ax, colour: str, title: str = "") -> None:
    """The whole Axes one colour, nothing else."""
    ax.set_position([0, 0, 1, 1])
    ax.fill_between([0, 1], [0, 0], [1, 1], color=colour)
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.set_axis_off()
    if title:
        ax.set_title(title)


def slow_fill(ax, colour: str, seconds: float) -> None:
    time.sleep(seconds)
    fill(ax, colour)


def broken(ax, message: str) -> None:
    raise ValueError(message)


def pid() -> int:
    return os.getpid()


def sleep(seconds: float) -> float:
    time.sleep(seconds)
    return seconds
