"""How the command line writes to the terminal: values, notes, paths and messages as one safe line each (control
characters from names and paths are shown, never obeyed), progress of long commands, and the prediction sets
measured on labelled rows."""

from __future__ import annotations

import sys


def fmt(v, spec=".4f"):
    return "-" if v is None else format(v, spec)


def print_note(text: str) -> None:
    from .core.errors import render

    print(f"note: {one_line(render(text))}", file=sys.stderr)


def safe_path(path) -> str:
    """A path as a message shows it: a newline or escape sequence in its name is written out, never obeyed."""
    from .core.errors import printable

    return printable(path)


def coverage_text(trained, evaluation, rows=None) -> str:
    """The prediction sets and the unlike flag measured on labelled rows, as the evaluation file and the console
    show them."""
    from .core.errors import render
    from .core.evaluation.uncertainty import check_sets

    checks = check_sets(trained.uncertainty, evaluation.proba, evaluation.y_true)
    calibration = trained.uncertainty.calibration if trained.uncertainty is not None else None
    if calibration is None:  # one reason for every coverage
        lines = [f"prediction sets: {render(checks[0].note)}"]
    else:
        lines = [f"prediction sets ({calibration.describe()}):"]
        for c in checks:
            lines.append(f"  coverage {c.coverage:g}: {render(c.note)}" if c.measured is None else
                         f"  coverage {c.coverage:g}: the set held the true class in {c.measured:.3f} of the "
                         f"{c.n_rows} rows (target: at least {c.coverage:g}), mean set size {c.mean_size:.2f}")
    if rows is not None and rows.unlike is not None:
        lines.append(f"unlike the training data: {int(rows.unlike.sum())} of these {len(rows.unlike)} rows")
    return "\n".join(lines) + "\n"


class Progress:
    """Progress of a long command on stderr: one line per stage and about every tenth of it; where the command
    knows the share of the whole run done (explain: within a row too), every tenth of the run, with the time
    left."""

    def __init__(self, stream=None):
        self.stream = stream
        self.last = (None, -1)

    def __call__(self, item) -> None:
        fraction = getattr(item, "fraction", -1.0)
        stage, done, total = item.stage, item.done, max(1, item.total)
        step = int(10 * fraction) if fraction >= 0 else int(10 * done / total)
        if (stage, step) == self.last or (stage == self.last[0] and done < total and step <= self.last[1]):
            return
        self.last = (stage, step)
        left = getattr(item, "remaining", "") if fraction >= 0 else ""
        run = f" ({fraction:.0%} of the run{', ' + left if left else ''})" if fraction >= 0 else ""
        print(f"  {one_line(item.message)}{run}", file=self.stream or sys.stderr, flush=True)


def one_line(exc: BaseException | str) -> str:
    """A message as one line: control characters in it (a newline in a file name, an escape sequence in a class
    name) are written as escapes, so no name can start a line of its own or drive the terminal."""
    from .core.errors import printable

    return printable(str(exc))


__all__ = ["Progress", "coverage_text", "fmt", "one_line", "print_note", "safe_path"]
