"""Figures drawn in a separate process: the window's thread never builds or renders one.

A thread does not free the window: drawing with matplotlib is CPU-bound Python, and a worker thread doing it
holds the interpreter the GUI thread needs (stalls of 0.3-0.4 s when a file was opened, on a quiet machine).
This service keeps one render process (started when the window has shown) and sends it jobs: a
`plotting.render.Drawing` to render into an image at a canvas's size, a figure or the run report to write to
a file. The GUI thread only hands over the request and, later, copies the finished pixels into a QImage.

Each request has a key (one per canvas): a newer request with the same key replaces one still waiting, and the
answer to one overtaken while it ran is dropped, so a stale figure is never drawn nor shown. Answers come back
as a queued signal, in the GUI thread.

The process is started with the "spawn" method (a fork of a process with Qt and worker threads running can
inherit a held lock); a frozen app supports it through `multiprocessing.freeze_support()`, which its
launcher calls first. If no process can be started, the jobs run in a thread instead (the old behaviour:
correct, only less smooth) and the log says so once.
"""

from __future__ import annotations

import itertools
import logging
import multiprocessing
import sys
import threading
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from multiprocessing import synchronize  # noqa: F401
from typing import Any

from PySide6.QtCore import QObject, Qt, Signal

from . import render_warmup

# What starting the process needs, imported with the app rather than when the window has shown: an import in
# the GUI thread then (its native modules above all) waited for the warm-up's loading of torch.
if sys.platform == "win32":
    from multiprocessing import popen_spawn_win32  # noqa: F401
else:
    from multiprocessing import popen_spawn_posix, resource_tracker  # noqa: F401

log = logging.getLogger(__name__)

@dataclass
class _Job:
    ticket: int
    key: Any
    function: Callable
    args: tuple
    done: Callable[[Any], None] | None
    failed: Callable[[str], None] | None
    retried: bool = False


class RenderService(QObject):
    """One render process and its queue of jobs (see the module's docstring)."""

    _answered = Signal(object)  # (job, future), from the pool's thread to the GUI thread

    def __init__(self, workers: int = 1):
        super().__init__()
        self.workers = workers
        self._executor = None
        self._threaded = False  # no process could be started: jobs run in a thread
        self._tickets = itertools.count(1)
        self._waiting: OrderedDict[Any, _Job] = OrderedDict()  # key -> the newest job not started yet
        self._running: dict[int, _Job] = {}  # ticket -> job in the process
        self._newest: dict[Any, int] = {}  # key -> ticket of the newest job asked for
        self._warmed_later = False
        self._broken = 0  # render processes lost in a row (a third: jobs run in a thread from then on)
        self.jobs_done = 0
        self._answered.connect(self._answer, Qt.ConnectionType.QueuedConnection)

    # ---- the process ------------------------------------------------------------------------------------
    @property
    def started(self) -> bool:
        return self._executor is not None

    @property
    def threaded(self) -> bool:
        return self._threaded

    def start(self) -> None:
        """Start the render process now (it imports matplotlib while the user looks at the window)."""
        if self._executor is None:
            import atexit

            self._executor = self._new_executor()
            atexit.register(self.shutdown)  # before the interpreter tears its modules down under the pool's thread
            self.submit(("warm", "first"), _noop)  # the pool starts a process on its first job

    def _new_executor(self):
        if not self._threaded:
            try:
                return ProcessPoolExecutor(self.workers, mp_context=multiprocessing.get_context("spawn"),
                                           initializer=render_warmup.first)
            except (OSError, ValueError, ImportError) as exc:  # e.g. no semaphores in a sandbox
                log.warning("Figures are drawn in a thread: no render process could be started (%s).", exc)
                self._threaded = True
        return ThreadPoolExecutor(1, thread_name_prefix="render")

    def warm_later(self) -> None:
        """Figures of a trained model are coming: let the render process import what they need now."""
        if not self._warmed_later:
            self._warmed_later = True
            self.submit(("warm", "later"), render_warmup.later)

    def shutdown(self) -> None:
        """Stop the render process (jobs waiting are dropped)."""
        executor, self._executor = self._executor, None
        self._waiting.clear()
        self._running.clear()
        if executor is not None:
            executor.shutdown(wait=False, cancel_futures=True)

    # ---- jobs ------------------------------------------------------------------------------------------------
    def submit(self, key, function: Callable, *args, done: Callable[[Any], None] | None = None,
               failed: Callable[[str], None] | None = None) -> int:
        """Run `function(*args)` in the render process; `done(result)` or `failed(message)` in the GUI thread,
        unless a newer job with the same key was submitted meanwhile. Returns the job's ticket."""
        if self._executor is None:
            self.start()
        job = _Job(next(self._tickets), key, function, args, done, failed)
        self._newest[key] = job.ticket
        self._waiting.pop(key, None)  # the job it replaces never runs
        self._waiting[key] = job
        self._pump()
        return job.ticket

    def cancel(self, key) -> None:
        """Forget the jobs with this key: one waiting never runs, the answer of one running is dropped."""
        self._waiting.pop(key, None)
        self._newest.pop(key, None)

    def busy(self, key) -> bool:
        """A job with this key is waiting or running."""
        return key in self._waiting or any(j.key == key for j in self._running.values())

    @property
    def idle(self) -> bool:
        return not self._waiting and not self._running

    def _pump(self) -> None:
        """Hand waiting jobs to the pool while it has a free worker (the rest wait here, replaceable)."""
        while self._waiting and len(self._running) < self.workers and self._executor is not None:
            _key, job = self._waiting.popitem(last=False)
            self._launch(job)

    def _launch(self, job: _Job) -> None:
        while True:
            try:
                future = self._executor.submit(job.function, *job.args)
                break
            except RuntimeError as exc:  # a broken or shut-down pool: a new one, once per job
                if job.retried:
                    self._deliver(job, None, str(exc) or type(exc).__name__)
                    return
                job.retried = True
                self._replace_executor(str(exc) or type(exc).__name__)
        self._running[job.ticket] = job
        future.add_done_callback(lambda f, job=job: self._answered.emit((job, f)))

    def _replace_executor(self, why: str) -> None:
        self._broken += 1
        if self._broken >= 3 and not self._threaded:
            log.warning("Figures are drawn in a thread: the render process stopped %d times (%s).", self._broken, why)
            self._threaded = True
        else:
            log.warning("The render process stopped (%s): starting a new one.", why)
        old, self._executor = self._executor, None
        if old is not None:
            old.shutdown(wait=False, cancel_futures=True)
        self._executor = self._new_executor()

    def _answer(self, answered) -> None:  # GUI thread
        job, future = answered
        if self._running.pop(job.ticket, None) is None:
            return  # the service was shut down meanwhile
        try:
            result, error = future.result(), None
        except Exception as exc:  # noqa: BLE001 - the job's own failure, or the process's
            if isinstance(exc, BrokenProcessPool) and not job.retried:
                job.retried = True
                self._replace_executor(str(exc) or type(exc).__name__)
                self._waiting[job.key] = self._waiting.get(job.key, job)
                self._pump()
                return
            result, error = None, (str(exc) or type(exc).__name__)
        else:
            self._broken = 0
        self.jobs_done += 1
        self._deliver(job, result, error)
        self._pump()

    def _deliver(self, job: _Job, result, error: str | None) -> None:
        if self._newest.get(job.key) != job.ticket:
            return  # overtaken by a newer job with the same key: its answer is stale
        del self._newest[job.key]
        try:
            if error is not None:
                if job.failed is not None:
                    job.failed(error)
                else:
                    log.error("A render job failed: %s", error)
            elif job.done is not None:
                job.done(result)
        except RuntimeError as exc:  # the widget that asked was deleted meanwhile (a closed window)
            if "already deleted" not in str(exc):
                raise


def _noop() -> None:
    return None


_SERVICE: RenderService | None = None
_LOCK = threading.Lock()


def service() -> RenderService:
    """The process-wide render service (created on first use, in the GUI thread)."""
    global _SERVICE
    with _LOCK:
        if _SERVICE is None:
            _SERVICE = RenderService()
        return _SERVICE


__all__ = ["RenderService", "service"]
