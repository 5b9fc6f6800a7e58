"""Writing files so that an interrupted write never leaves a half-written file under the real name.

Every file the project writes (models, CSVs, figures) goes to a temporary name in the target's
folder, is flushed to disk, and then replaces the target in one step.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path

from .errors import HybridXAIError


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


def atomic_write(path: str | os.PathLike, write: Callable[[str], None]) -> Path:
    """Call `write(tmp_path)`, fsync the result, then move it over `path`. Errors name the file."""
    path = Path(path)
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise HybridXAIError(f"Cannot write '{path}': the folder '{folder}' does not exist.")
    if path.is_dir():
        raise HybridXAIError(f"Cannot write '{path}': a folder of that name is in the way.")
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    os.close(fd)
    try:
        write(tmp)
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes it owner-only; a saved file gets the usual mode
        os.replace(tmp, path)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise HybridXAIError(f"Cannot write '{path}': {exc.strerror or exc}.") from exc
    except BaseException:
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


def write_csv(frame, path: str | os.PathLike, **to_csv_options) -> Path:
    """A DataFrame to CSV (no index unless asked), atomically."""
    to_csv_options.setdefault("index", False)
    return atomic_write(path, lambda tmp: frame.to_csv(tmp, **to_csv_options))
