"""The project's own error and warning types, and messages that carry their fix as data.

A `HybridXAIError` message is written for the person using the tool: it names the file, row or
column at fault and says what to do. The command line prints it on one line and exits 2; the app
shows it in a message or banner. Anything else that escapes is a bug.

The fix is often a setting ("choose --missing drop" on the command line, the "Missing values" box in
the window). The core does not know which front end shows its message, so it names the setting as
data: `setting("missing", "drop")` puts a marker into the text, and each front end renders the
markers in its own words (`render(text, words)`): a flag for the command line, a control's label for
the app. `str(error)` renders them as command-line flags, the core's canonical spelling.
"""

from __future__ import annotations

import re
from collections.abc import Callable

_MARK, _SEP = "\x1e", "\x1f"
_MARKER = re.compile(f"{_MARK}([a-z_]+){_SEP}([^{_MARK}]*){_MARK}")
# settings whose command-line flag is not --<name with dashes>
_FLAGS = {"id_column": "--id", "time_column": "--time", "id": "--id", "time": "--time"}

# words(name, value) -> text; value is "" when the fix names the setting without a value.
Words = Callable[[str, str], str]


def setting(name: str, value: object = "") -> str:
    """A marker naming a setting (and the value to choose), for a message's advice."""
    text = "" if value is None else str(value)
    if _MARK in text or _SEP in text:
        raise ValueError("a setting's value cannot contain marker characters")
    return f"{_MARK}{name}{_SEP}{text}{_MARK}"


def command_line_words(name: str, value: str) -> str:
    """A setting as the command line spells it: `--val-size 0`."""
    flag = _FLAGS.get(name, "--" + name.replace("_", "-"))
    return f"{flag} {value}" if value else flag


def render(text: str, words: Words = command_line_words) -> str:
    """`text` with every setting marker replaced by `words(name, value)`."""
    return _MARKER.sub(lambda m: words(m.group(1), m.group(2)), str(text))


def fixes(text: str) -> list[tuple[str, str]]:
    """The (setting, value) pairs a message advises, in order."""
    return [(m.group(1), m.group(2)) for m in _MARKER.finditer(str(text))]


# Characters that change what a terminal shows rather than being shown: C0 and C1 controls (newline, ESC, BEL,
# ...) and the bidirectional overrides that reorder text. Names from files and model files may hold any of them.
_CONTROLS = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def printable(text: object, keep: str = "") -> str:
    """`text` with every control character (except those in `keep`) written as an escape (`\\n`, `\\x1b`,
    `\\u202e`), so that a name from a file can neither start a line of its own (a forged `error:` line) nor
    send a terminal its escape sequences."""
    def escape(m: re.Match) -> str:
        c = m.group(0)
        if c in keep:
            return c
        return _ESCAPES.get(c) or (f"\\x{ord(c):02x}" if ord(c) < 0x100 else f"\\u{ord(c):04x}")

    return _CONTROLS.sub(escape, str(text))


class HybridXAIError(Exception):
    """A problem with the user's input (data, options, model file) that the user can fix.

    `template` keeps the setting markers; `str()` renders them for the command line; a front end calls
    `render(words)` for its own wording. `fixes` lists the settings the message advises.
    """

    def __init__(self, message: object = ""):
        self.template = message.template if isinstance(message, HybridXAIError) else str(message)
        super().__init__(self.template)

    def __str__(self) -> str:
        return render(self.template)

    def render(self, words: Words = command_line_words) -> str:
        return render(self.template, words)

    @property
    def fixes(self) -> list[tuple[str, str]]:
        return fixes(self.template)


class CheckpointError(HybridXAIError):
    """A model file that cannot be used: corrupt, foreign, unsafe or from a newer version."""


class HybridXAIWarning(UserWarning):
    """Something the user should know that does not stop the work (e.g. latin-1 fallback)."""


def template_of(error: BaseException) -> str:
    """The message of an error with its setting markers kept (for wrapping it in another message)."""
    return error.template if isinstance(error, HybridXAIError) else str(error)
