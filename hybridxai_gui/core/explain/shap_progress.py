"""Progress of a SHAP run: rows done, and the share of its model evaluations done, within a row too (a series
row can take seconds, and a bar at "0 / 1 rows" until the end says nothing)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

PROGRESS_EVERY_S = 0.2  # within a row, progress is reported at most this often


@dataclass(frozen=True)
class ShapProgress:
    done: int  # rows finished
    total: int  # rows to explain
    message: str = ""
    fraction: float = -1.0  # share of the run's model evaluations done, 0..1 (-1: rows only, done / total)

    @property
    def share(self) -> float:
        """The share of the run done: `fraction`, else rows done / rows."""
        return self.fraction if self.fraction >= 0 else self.done / max(1, self.total)


def throttle(every: float = PROGRESS_EVERY_S, clock: Callable[[], float] = time.perf_counter):
    """A function that answers True at most once per `every` seconds (and on its first call after that long)."""
    last = [clock()]

    def due() -> bool:
        now = clock()
        if now - last[0] >= every:
            last[0] = now
            return True
        return False

    return due


__all__ = ["PROGRESS_EVERY_S", "ShapProgress", "throttle"]
