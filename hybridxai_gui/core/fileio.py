"""Writing files so that an interrupted write never leaves a half-written file under the real name.

Every file the project writes (models, CSVs, figures) goes to a temporary name in the target's
folder, is flushed to disk, and then replaces the target in one step.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

from .errors import HybridXAIError


def atomic_write(path: str | os.PathLike, write: Callable[[str], None]) -> Path:
    """Call `write(tmp_path)`, fsync the result, then move it over `path`. Errors name the file."""
    path = Path(path)
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise HybridXAIError(f"Cannot write '{path}': the folder '{folder}' does not exist.")
    if path.is_dir():
        raise HybridXAIError(f"Cannot write '{path}': a folder of that name is in the way.")
    # The temporary file keeps the target's own name, inside a temporary folder beside it: writers that
    # record the file name (the EPS title, the folder name inside a torch .pth) record the real one.
    try:
        tmp_dir = Path(tempfile.mkdtemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder))
    except OSError as exc:
        raise HybridXAIError(f"Cannot write '{path}': {exc.strerror or exc}.") from exc
    tmp = tmp_dir / path.name
    try:
        write(str(tmp))
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except OSError as exc:
        raise HybridXAIError(f"Cannot write '{path}': {exc.strerror or exc}.") from exc
    finally:
        shutil.rmtree(tmp_dir, ignore_errors=True)
    return path


def write_csv(frame, path: str | os.PathLike, **to_csv_options) -> Path:
    """A DataFrame to CSV (no index unless asked), atomically."""
    to_csv_options.setdefault("index", False)
    return atomic_write(path, lambda tmp: frame.to_csv(tmp, **to_csv_options))
