"""Start, track and stop the background jobs a widget owns.

Each job is a `GeneratorWorker` parented to its owner, so the owner (and the tests' clean-up
fixture) can always find and join it. Handlers run in the GUI thread: the connections are queued.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Qt

from .worker import GeneratorWorker

_QUEUED = Qt.ConnectionType.QueuedConnection


def start_job(owner: QObject, job: Callable[[], Any], *, done: Callable[[Any], None],
              failed: Callable[[str, str], None], yielded: Callable[[Any], None] | None = None,
              cancel: Callable[[], None] | None = None, finished: Callable[[], None] | None = None,
              give_way: Callable[[Any], bool] | None = None, name: str = "job") -> GeneratorWorker:
    """Run `job` (a function, or a generator function whose items go to `yielded`) in a worker owned by `owner`:
    `done(result)` or `failed(message, details)`, then `finished()` once the thread has ended (after either).
    `give_way(item)`: the items after which the worker lets the window show them first (GeneratorWorker)."""
    worker = GeneratorWorker(job, cancel=cancel, give_way=give_way, parent=owner)
    worker.setObjectName(f"worker_{name}")
    if yielded is not None:
        worker.yielded.connect(yielded, _QUEUED)
    worker.done.connect(done, _QUEUED)
    worker.failed.connect(failed, _QUEUED)
    if finished is not None:
        worker.finished.connect(finished, _QUEUED)
    worker.finished.connect(worker.deleteLater)
    worker.start()
    return worker


def stop_jobs(owner: QObject, timeout_ms: int = 15_000) -> bool:
    """Cancel every running job under `owner` and join it; True if all ended."""
    workers = owner.findChildren(GeneratorWorker)
    for w in workers:
        w.cancel()
    ok = True
    for w in workers:
        ok = w.shutdown(timeout_ms) and ok
    return ok
