"""The project's own error and warning types.

A `HybridXAIError` message is written for the person using the tool: it names the file, row or
column at fault and says what to do. The command line prints it on one line and exits 2; the app
shows it in a message or banner. Anything else that escapes is a bug.
"""

from __future__ import annotations


class HybridXAIError(Exception):
    """A problem with the user's input (data, options, model file) that the user can fix."""


class CheckpointError(HybridXAIError):
    """A model file that cannot be used: corrupt, foreign, unsafe or from a newer version."""


class HybridXAIWarning(UserWarning):
    """Something the user should know that does not stop the work (e.g. latin-1 fallback)."""
