"""Long work is a generator (it yields progress, returns its result); these are the two helpers every caller of
one needs, written once: run it to its end (or relay its progress), and read a cancel request however the
caller holds it."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from typing import Any


def drain(generator: Iterator[Any], on_item: Callable[[Any], None] | None = None) -> Any:
    """Run a generator to its end, calling `on_item` on each item it yields; return what it returns."""
    while True:
        try:
            item = next(generator)
        except StopIteration as stop:
            return stop.value
        if on_item is not None:
            on_item(item)


def relay(generator: Iterator[Any], transform: Callable[[Any], Any]) -> Iterator[Any]:
    """Yield `transform(item)` for each item `generator` yields; return what it returns (a stage of a longer job
    passing its progress on in the job's own terms)."""
    while True:
        try:
            item = next(generator)
        except StopIteration as stop:
            return stop.value
        yield transform(item)


def as_cancel(cancel: Callable[[], bool] | threading.Event | None) -> Callable[[], bool]:
    """A cancel request as a function returning True once cancelled: None (never), a threading.Event or any object
    with `is_set()`, or a callable."""
    if cancel is None:
        return lambda: False
    if hasattr(cancel, "is_set"):
        return cancel.is_set
    if callable(cancel):
        return cancel
    raise TypeError("cancel must be None, a threading.Event or a callable returning bool")


__all__ = ["drain", "relay", "as_cancel"]
