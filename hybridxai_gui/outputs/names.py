"""File names made from class names: unique, readable and safe on every file system.

Rule: `<index>_<cleaned name>`, the index being the class's position among the model's classes, so two
classes never share a file however alike their names are (`x`, `x/` and `x?` once all became `x`). The
cleaned name keeps letters and digits of any script (`猫`, `é`), `-` and `.`; every other run of characters
(spaces, `/`, `?`, emoji) becomes one `_`; it is trimmed of `_ . -` at both ends and cut to 40 characters.
A name with nothing left is the index alone: `chien é`, `猫 🐱`, `😀` -> `0_chien_é`, `1_猫`, `2`.
"""

from __future__ import annotations

import unicodedata

MAX_NAME_CHARS = 40


def clean_name(name: object) -> str:
    """`name` reduced to letters, digits, `-`, `.` and single `_` (possibly empty)."""
    text = unicodedata.normalize("NFC", str(name))
    out: list[str] = []
    for ch in text:
        keep = ch.isalnum() or ch in "-."
        if keep:
            out.append(ch)
        elif out and out[-1] != "_":
            out.append("_")
    return "".join(out).strip("_.-")[:MAX_NAME_CHARS].strip("_.-")


def class_file_names(class_names: list) -> list[str]:
    """One file-name part per class, in order: `<index>_<cleaned name>` (or the index alone)."""
    return [f"{i}_{clean}" if clean else str(i) for i, clean in enumerate(map(clean_name, class_names))]


def class_file_name(class_names: list, index: int) -> str:
    """The file-name part of class `index` (see `class_file_names`)."""
    clean = clean_name(class_names[index])
    return f"{index}_{clean}" if clean else str(index)
