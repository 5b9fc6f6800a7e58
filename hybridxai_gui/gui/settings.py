"""Persistent user settings (last folders, window geometry, last hyperparameters).

Everything goes through `app_settings()`, an INI file in the user's config folder. Tests redirect it
with `QSettings.setPath(IniFormat, UserScope, tmp)` so they never read or write the real one.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from PySide6.QtCore import QSettings

ORGANIZATION = "HybridXAI"
APPLICATION = "HybridXAI"
MAX_RECENT = 8


def app_settings() -> QSettings:
    return QSettings(QSettings.Format.IniFormat, QSettings.Scope.UserScope, ORGANIZATION, APPLICATION)


def last_folder(kind: str) -> str:
    """The folder the user last used for `kind` (data, model, figure, predictions), or ""."""
    value = app_settings().value(f"folders/{kind}", "")
    return str(value) if value and Path(str(value)).is_dir() else ""


def remember_folder(kind: str, path: str) -> None:
    app_settings().setValue(f"folders/{kind}", str(Path(path).parent))


def recent_files() -> list[str]:
    value = app_settings().value("recentFiles", [])
    if isinstance(value, str):  # QSettings returns a lone string for a one-item list
        value = [value]
    return [str(v) for v in (value or []) if v]


def add_recent_file(path: str) -> list[str]:
    path = str(Path(path).resolve())
    files = [path] + [f for f in recent_files() if f != path]
    files = files[:MAX_RECENT]
    app_settings().setValue("recentFiles", files)
    return files


def load_json(key: str, default: Any = None) -> Any:
    """A JSON value stored under `key` (hyperparameters are dicts; INI files keep them as text)."""
    text = app_settings().value(key, "")
    if not text:
        return default
    try:
        return json.loads(str(text))
    except ValueError:
        return default


def save_json(key: str, value: Any) -> None:
    app_settings().setValue(key, json.dumps(value))
