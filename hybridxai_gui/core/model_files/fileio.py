"""Writing files so that an interrupted write never leaves a half-written file under the real name, and
nothing is overwritten that is not a file of ours.

Every file the project writes (models, CSVs, figures) goes to a temporary name in the target's folder, is
flushed to disk, and then replaces the target in one step. Rules:

- Only regular files are written: a folder, device, named pipe or socket under the target name is refused
  (as root, `--out /dev/null` would otherwise have replaced the device with a file).
- A symbolic link is written through: its target file is replaced atomically and the link stays a link
  (`ln -s runs/today.pth model.pth` keeps working). A link to something that is not a regular file is
  refused like that thing.
- Failures (no permission, read-only folder, full disk) are one HybridXAIError naming the file; the
  temporary file is removed, whatever happened.
- A temporary file left by a process that was killed (`.<name>.<host>-<pid>.<random>.tmp`) is removed on a
  later write to the same folder once its process is gone, or after STALE_SECONDS whoever wrote it.
- `staged()` groups writes: inside it each file goes to its temporary name only, and `commit()` moves them
  all in place together (a model and the files beside it).
"""

from __future__ import annotations

import contextvars
import errno
import hashlib
import os
import re
import socket
import stat
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from ..errors import HybridXAIError

STALE_SECONDS = 3600  # a temporary file this old is stale whoever wrote it
_RECLEAN_SECONDS = 60  # a folder is looked through for stale temporary files at most this often
_HOST = hashlib.sha1(socket.gethostname().encode("utf-8", "replace")).hexdigest()[:8]
_OURS = re.compile(r"^\..+\.([0-9a-f]{8})-(\d+)\.[a-z0-9_]{8}\.tmp$")
_OLDER = re.compile(r"^\..+\.[a-z0-9_]{8}\.tmp$")  # before the host and process were part of the name
_cleaned: dict[str, float] = {}
_cleaned_lock = threading.Lock()
_STAGE: contextvars.ContextVar[Staged | None] = contextvars.ContextVar("hybridxai_staged_writes", default=None)


def _umask() -> int:
    try:  # Linux: read it without changing it (os.umask would, for a moment, under other threads)
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def writable_target(path: str | os.PathLike) -> Path:
    """The file a write to `path` replaces: `path` itself, or the file its symbolic link points to.

    HybridXAIError when that is a folder, device, pipe or socket, or when its folder does not exist."""
    path = Path(path)
    target = Path(os.path.realpath(path)) if path.is_symlink() else path
    try:
        mode = os.stat(target).st_mode
    except FileNotFoundError:
        mode = None
    except OSError as exc:  # a loop of links, no permission to look
        raise HybridXAIError(f"Cannot write '{path}': {exc.strerror or exc}.") from None
    if mode is not None and not stat.S_ISREG(mode):
        via = f" (the link points to '{target}')" if target != path else ""
        raise HybridXAIError(f"Cannot write '{path}': it is {_kind(mode)}{via}, and HybridXAI writes only regular "
                             "files. Choose a file name.")
    folder = target.parent if str(target.parent) else Path(".")
    if not folder.is_dir():
        raise HybridXAIError(f"Cannot write '{path}': the folder '{folder}' does not exist.")
    return target


def check_writable(path: str | os.PathLike) -> Path:
    """writable_target, then a temporary file made and removed beside the target: no permission or a
    read-only file system shows before long work rather than after it."""
    path = Path(path)
    target = writable_target(path)
    try:
        os.unlink(_temporary(target))
    except OSError as exc:
        raise _write_error(path, target.parent, exc) from exc
    return target


def output_folder(path: str | os.PathLike, create: bool = False) -> Path:
    """A folder for output files: refused when a file, device or pipe is in the way, or when its nearest
    existing folder cannot be written (no permission, a read-only file system), before long work; with
    `create`, made (with its parents). Errors name the folder."""
    path = Path(path)
    existing = path
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if existing.exists() and not existing.is_dir():
        what = "the folder" if existing == path else f"a folder above it ('{existing}')"
        raise HybridXAIError(f"Cannot write into '{path}': {what} is a file (or a device, pipe or socket). "
                             "Choose a folder.")
    check_writable(existing / ".hybridxai-output")  # a temporary file made and removed there
    if create:
        try:
            path.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise _write_error(path, existing, exc) from exc
    return path


def _write_error(path: Path, folder: Path, exc: OSError) -> HybridXAIError:
    reason = exc.strerror or str(exc)
    if exc.errno in (errno.EACCES, errno.EPERM):
        advice = f"no permission to write in '{folder}' ({reason}). Choose a folder you can write to"
    elif exc.errno in (errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)):
        advice = f"the disk is full ({reason}). Free some space or write to another disk"
    elif exc.errno == errno.EROFS:
        advice = f"'{folder}' is on a read-only file system ({reason}). Choose another folder"
    else:
        advice = reason
    return HybridXAIError(f"Cannot write '{path}': {advice}.")


def _alive(pid: int) -> bool:
    if os.name != "posix":  # os.kill(pid, 0) would terminate the process on Windows
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # another user's process, or cannot tell
        return True
    return True


def clean_stale_temporaries(folder: str | os.PathLike, now: float | None = None) -> list[Path]:
    """Remove our temporary files in `folder` whose process is gone (this host) or that are older than
    STALE_SECONDS; only regular files of this user. Returns what was removed."""
    now = time.time() if now is None else now
    removed = []
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return removed
    uid = os.getuid() if hasattr(os, "getuid") else None
    for entry in entries:
        if not (entry.name.startswith(".") and entry.name.endswith(".tmp")):
            continue
        ours = _OURS.match(entry.name)
        if ours is None and _OLDER.match(entry.name) is None:
            continue
        try:
            info = entry.stat(follow_symlinks=False)
            if not stat.S_ISREG(info.st_mode) or (uid is not None and info.st_uid != uid):
                continue
            gone = ours is not None and ours.group(1) == _HOST and not _alive(int(ours.group(2)))
            if gone or now - info.st_mtime > STALE_SECONDS:
                os.unlink(entry.path)
                removed.append(Path(entry.path))
        except OSError:
            continue
    return removed


def _clean_once_in_a_while(folder: Path) -> None:
    key = os.path.abspath(folder)
    now = time.monotonic()
    with _cleaned_lock:
        if now - _cleaned.get(key, -1e9) < _RECLEAN_SECONDS:
            return
        _cleaned[key] = now
    clean_stale_temporaries(folder)


def _temporary(target: Path) -> str:
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name[:100]}.{_HOST}-{os.getpid()}.", suffix=".tmp",
                               dir=target.parent)
    os.close(fd)
    return tmp


def _finish(tmp: str, target: Path) -> None:
    """Flush the temporary file to disk and give it the target's permissions (or the usual ones)."""
    with open(tmp, "rb+") as fh:
        os.fsync(fh.fileno())
    try:
        mode = stat.S_IMODE(os.stat(target).st_mode)
    except FileNotFoundError:
        mode = 0o666 & ~_umask()  # mkstemp makes it owner-only; a new file gets the usual mode
    os.chmod(tmp, mode)


def atomic_write(path: str | os.PathLike, write: Callable[[str], None]) -> Path:
    """Call `write(tmp_path)`, fsync the result, then move it over `path` (inside `staged()`: later, with the
    others). Errors name the file; the temporary file never outlives a failure."""
    path = Path(path)
    target = writable_target(path)
    _clean_once_in_a_while(target.parent)
    tmp = None
    try:
        tmp = _temporary(target)
        write(tmp)
        _finish(tmp, target)
        stage = _STAGE.get()
        if stage is not None:
            stage.files.append((path, target, tmp))
            return path
        writable_target(path)  # still a file (or nothing) under that name: never replace a pipe made meanwhile
        os.replace(tmp, target)
    except OSError as exc:
        if tmp is not None:
            Path(tmp).unlink(missing_ok=True)
        raise _write_error(path, target.parent, exc) from exc
    except BaseException:
        if tmp is not None:
            Path(tmp).unlink(missing_ok=True)
        raise
    return path


def atomic_write_stream(path: str | os.PathLike, write: Callable[[object], None]) -> Path:
    """atomic_write for writers given an open binary file: those that record a file name (the EPS title)
    then never record the temporary one."""

    def to_file(tmp: str) -> None:
        with open(tmp, "wb") as fh:
            write(fh)

    return atomic_write(path, to_file)


# A text cell a spreadsheet would run as a formula: it starts with = + - @, a tab or a carriage return.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe_text(value: object) -> object:
    """A text cell that cannot run as a spreadsheet formula: one starting with = + - @, tab or CR gets a leading
    apostrophe (what spreadsheets show as text), unless it reads as a number (-0.5 stays -0.5). Anything that is
    not text is returned as it is."""
    if not isinstance(value, str) or not value.startswith(_FORMULA_START):
        return value
    try:
        float(value)
    except ValueError:
        return "'" + value
    return value


def spreadsheet_safe(frame):
    """`frame` with every text cell, column name and index label passed through spreadsheet_safe_text (class
    and feature names come from users' files and model files: `=HYPERLINK(...)` must stay text). Numeric
    columns are never touched; the frame is copied only when something changes."""
    import pandas as pd
    from pandas.api.types import is_numeric_dtype

    changed = {}
    for position, name in enumerate(frame.columns):
        column = frame.iloc[:, position]
        if is_numeric_dtype(column) and not isinstance(column.dtype, pd.CategoricalDtype):
            continue
        uniques = pd.unique(column.to_numpy(dtype=object))  # class names repeat: decide once per value
        fixes = {v: spreadsheet_safe_text(v) for v in uniques if isinstance(v, str)}
        fixes = {k: v for k, v in fixes.items() if k != v}
        if fixes:
            changed[position] = column.astype(object).map(lambda v, f=fixes: f.get(v, v) if isinstance(v, str) else v)
    columns = [spreadsheet_safe_text(str(c)) if isinstance(c, str) else c for c in frame.columns]
    index = frame.index
    if not is_numeric_dtype(index) and any(spreadsheet_safe_text(v) is not v for v in index):
        index = pd.Index([spreadsheet_safe_text(v) for v in index], name=index.name)
    if not changed and columns == list(frame.columns) and index is frame.index:
        return frame
    out = frame.copy(deep=False)
    for position, column in changed.items():
        out.isetitem(position, column)
    out.columns = columns
    out.index = index
    return out


def write_csv(frame, path: str | os.PathLike, **to_csv_options) -> Path:
    """A DataFrame to CSV (no index unless asked), atomically, with text cells that a spreadsheet would run as
    formulas neutralised (spreadsheet_safe). Every CSV the product writes goes through here."""
    to_csv_options.setdefault("index", False)
    safe = spreadsheet_safe(frame)
    return atomic_write(path, lambda tmp: safe.to_csv(tmp, **to_csv_options))


class Staged:
    """Files written under `staged()`, waiting under temporary names; `commit()` puts them all in place."""

    def __init__(self) -> None:
        self.files: list[tuple[Path, Path, str]] = []  # (path asked for, file replaced, temporary file)
        self.removals: list[Path] = []

    def remove(self, path: str | os.PathLike) -> None:
        """Delete this file (if it is one) when committing: a file of an earlier run that this one replaces
        with nothing."""
        self.removals.append(Path(path))

    def discard(self) -> None:
        """Drop every file written so far (their temporary files are deleted)."""
        for _path, _target, tmp in self.files:
            Path(tmp).unlink(missing_ok=True)
        self.files.clear()

    def commit(self) -> list[Path]:
        """Delete the removals, then move every file in place in the order written. Returns the paths."""
        done: list[Path] = []
        current = None
        try:
            for current in self.removals:
                target = Path(os.path.realpath(current))
                if target.is_file():
                    target.unlink()
            for current, target, tmp in self.files:
                writable_target(current)
                os.replace(tmp, target)
                done.append(current)
        except OSError as exc:
            raise _write_error(current, Path(current).parent, exc) from exc
        finally:
            for _path, _target, tmp in self.files[len(done):]:
                Path(tmp).unlink(missing_ok=True)
            self.files.clear()
            self.removals.clear()
        return done


@contextmanager
def staged() -> Iterator[Staged]:
    """Writes inside the block (this thread's) wait under temporary names until `commit()`; an exception
    leaving the block deletes them."""
    stage = Staged()
    token = _STAGE.set(stage)
    try:
        yield stage
    except BaseException:
        stage.discard()
        raise
    finally:
        _STAGE.reset(token)
