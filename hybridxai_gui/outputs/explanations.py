"""`hybridxai explain`: SHAP values, faithfulness, a plain-words summary and figures, headless.

    explain_to_dir(trained, "data.csv", "out/", rows="0-9,15", method="auto", units="probability")

writes into out/:
- shap_values.csv: one line per explained row and class: row, class, base_value (the average prediction over
  the background), model_output (this row's prediction), then one column per feature named as in the data;
  in the units asked for (probability by default, or logit). base_value + the features' values = model_output.
- faithfulness.csv: row, method, deletion_auc, insertion_auc for every row and view (shap, gradcam,
  attention, random); areas on the explained class's probability over the fraction of features removed, so
  each is in [0, 1] (core.explain.faithfulness says how).
- summary.txt: one paragraph per explained row, in plain words.
- faithfulness.txt: the verdict per view, their ranking, the model-randomisation check and captum's checks.
- Figures, proportional to what was asked. Once: shap_bar, shap_heatmap, shap_beeswarm_<class> and
  faithfulness (the curves and verdicts). Per explained row, for the first `figures` rows (default
  DEFAULT_ROW_FIGURES; "all", "none" or a number): waterfall_row<r>_<class> for the predicted class (and the
  true class where a label column is present and it differs), force_row<r>_<class>, gradcam_row<r>,
  attention_row<r>, comparison_row<r>. Formats: the global figures as PNG and EPS, the per-row ones as PNG
  (`formats` sets one list for all, e.g. ("png",) or ("png", "eps")). <class> is `<index>_<cleaned
  name>` (outputs/names.py): unique per class however alike the names are.
The core computes (core.explain.rows.explain_table_rows); this module reads the files, draws and writes.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from ..core.errors import HybridXAIError, setting
from ..core.explain.rows import background_rows, explain_table_rows, parse_rows  # noqa: F401
from ..core.explain.run import ExplainProgress, ExplanationRun
from ..core.explain.shap_engine import ShapResult
from .names import class_file_name

DEFAULT_ROW_FIGURES = 3  # 5 figures per row at ~0.25 CPU s each: 3 rows keep 100 rows within 20 s
MAX_ROW_FIGURES = DEFAULT_ROW_FIGURES  # kept for callers of the old name
GLOBAL_FORMATS = ("png", "eps")
ROW_FORMATS = ("png",)
ROW_DPI = 120  # per-row figures: smaller files, faster to write; the global ones at 150
FORMATS = ("png", "eps", "pdf", "svg")
FAITHFULNESS_COLUMNS = ["row", "method", "deletion_auc", "insertion_auc"]


def row_figure_count(spec: str | int | None, n_rows: int) -> int:
    """How many explained rows get their own figures: "all", "none", a number, or None (the default)."""
    if spec is None:
        return min(DEFAULT_ROW_FIGURES, n_rows)
    text = str(spec).strip().lower()
    if text == "all":
        return n_rows
    if text == "none":
        return 0
    if text.isdigit():
        return min(int(text), n_rows)
    raise HybridXAIError(f"Cannot read '{spec}' as the number of rows with figures: use "
                         f"{setting('figures', 'all')}, {setting('figures', 'none')} or a number such as "
                         f"{setting('figures', '5')}.")


def parse_formats(spec: str | Sequence[str] | None) -> tuple[str, ...] | None:
    """'png,eps' -> ("png", "eps"); None keeps the default (global figures PNG + EPS, per-row PNG)."""
    if spec is None:
        return None
    items = [s.strip().lower().lstrip(".") for s in (spec.split(",") if isinstance(spec, str) else spec)]
    items = [s for s in items if s]
    bad = [s for s in items if s not in FORMATS]
    if bad or not items:
        raise HybridXAIError(f"Unknown figure format '{bad[0] if bad else spec}': use a comma-separated list of "
                             f"{', '.join(FORMATS)}, e.g. {setting('formats', 'png,eps')}.")
    return tuple(dict.fromkeys(items))


def write_shap_csv(result: ShapResult, path: str | Path) -> Path:
    """One line per row and class: row, class, base_value, model_output, then one column per unit (feature)."""
    import pandas as pd

    from ..core.model_files.fileio import write_csv

    R, F, C = result.values.shape
    records = {
        "row": np.repeat(result.rows, C),
        "class": [result.class_names[c] for _ in range(R) for c in range(C)],
        "base_value": np.tile(result.base_values, R),
        "model_output": result.model_output.reshape(-1),
    }
    frame = pd.DataFrame(records)
    values = result.values.transpose(0, 2, 1).reshape(R * C, F)  # (row, class) major
    features = pd.DataFrame(values, columns=list(result.feature_names))
    return write_csv(pd.concat([frame, features], axis=1), Path(path), float_format="%.10g")


def write_faithfulness_csv(run: ExplanationRun, path: str | Path) -> Path:
    import pandas as pd

    from ..core.model_files.fileio import write_csv

    lines = run.faithfulness.table() if run.faithfulness is not None else []
    return write_csv(pd.DataFrame(lines, columns=FAITHFULNESS_COLUMNS), Path(path), float_format="%.6g")


def _no_transparency_note(record) -> bool:
    return "does not support transparency" not in record.getMessage()


def save_figure(fig, path: Path, dpi: int = 150) -> Path:
    """Write a figure drawn with a constrained layout, without a second "tight" bounding-box pass (plotting.export
    draws every figure twice to find its tight box: twice the cost for tens of figures)."""
    import logging

    from ..core.model_files.fileio import atomic_write_stream

    ps_log = logging.getLogger("matplotlib.backends.backend_ps")  # EPS has no transparency: said once per artist
    ps_log.addFilter(_no_transparency_note)
    try:
        return atomic_write_stream(path, lambda fh: fig.savefig(fh, format=path.suffix[1:].lower(), dpi=dpi))
    except OSError as exc:
        raise HybridXAIError(f"Could not write {path}: {exc.strerror or exc}.") from exc
    finally:
        ps_log.removeFilter(_no_transparency_note)


def lay_out_once(figure, dpi: float) -> None:
    """Run the figure's layout engine once, at the dpi it is saved at, then fix the positions: savefig with an
    engine draws the whole figure twice (once unseen, to lay it out), and again for every further format."""
    engine = figure.get_layout_engine()
    if engine is None or not figure.axes:
        return
    saved = figure.dpi
    figure.dpi = dpi
    try:
        engine.execute(figure)
    except ValueError:  # as matplotlib's own draw: a layout that cannot be solved keeps the positions it has
        pass
    finally:
        figure.dpi = saved
    figure.set_layout_engine("none")


def write_text(text: str, path: str | Path) -> Path:
    from ..core.model_files.fileio import atomic_write

    return atomic_write(Path(path), lambda tmp: Path(tmp).write_text(text.rstrip("\n") + "\n", encoding="utf-8"))


def explain_file(trained, data_path: str | Path, rows: str | None = None, method: str = "auto",
                 background_path: str | Path | None = None, label: str | None = None, units: str = "probability",
                 kind: str | None = None, progress: Callable | None = None,
                 segments: int | None = None, workers: int = 1, missing: str | None = None,
                 notes: list[str] | None = None) -> ExplanationRun:
    """Read DATA (and a background CSV), explain the chosen rows with every view and measure them (the core's
    explain_table_rows); progress(ExplainProgress) after each step. missing: the chosen rows' gaps (error by
    default, drop or mean); `notes` gets a line when gaps were filled."""
    from ..core.pipeline import read_table

    source = Path(data_path).name
    df = read_table(data_path, label=label or trained.label_column)
    given = None
    if background_path is not None:
        given = trained.transform(read_table(background_path), Path(background_path).name)
    from ..core.pipeline import drain

    return drain(explain_table_rows(trained, df, source, rows, label=label, background=given, method=method,
                                    units=units, kind=kind, segments=segments, workers=workers, missing=missing,
                                    notes=notes), progress)


def explain_to_dir(trained, data_path: str | Path, out_dir: str | Path, rows: str | None = None,
                   method: str = "auto", background_path: str | Path | None = None, label: str | None = None,
                   progress: Callable | None = None, units: str = "probability", figures: str | int | None = None,
                   formats: str | Sequence[str] | None = None, kind: str | None = None,
                   segments: int | None = None, workers: int = 1, missing: str | None = None,
                   notes: list[str] | None = None) -> ExplanationRun:
    """Explain rows of DATA with the trained model and write every file into out_dir (see the module's doc).

    rows: "0-9,15" (0-based data rows) or None for the first rows (at most 10). background_path: a CSV with
    the model's feature columns (default: the training rows saved in the model). label: the label column for
    true classes (default: the model's). units: probability or logit. figures: rows with their own figures
    ("all", "none", a number; default 3). formats: e.g. "png,eps" for every figure. kind: table or series
    (default: guessed). missing: gaps in the chosen rows, error (default), drop or mean (`notes` gets a line when
    they were filled). progress: callable(ExplainProgress). Returns the ExplanationRun (its SHAP result's
    fields read through: run.method, run.rows, ...)."""
    out = Path(out_dir)
    n_figures_spec = figures
    row_figure_count(figures, 0)  # a bad --figures is said before the work, not after it
    format_list = parse_formats(formats)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise HybridXAIError(f"Cannot create the output folder {out}: {exc.strerror or exc}.") from exc
    run = explain_file(trained, data_path, rows, method, background_path, label, units, kind, progress, segments,
                       workers, missing, notes)
    from ..core.explain.parallel import default_workers

    write_explanation(trained, run, out, n_figures_spec, format_list, progress,
                      processes=default_workers() if workers <= 0 else workers)
    return run


def write_explanation(trained, run: ExplanationRun, out: Path, figures: str | int | None = None,
                      formats: tuple[str, ...] | None = None, progress: Callable | None = None,
                      processes: int = 1) -> list[Path]:
    """shap_values.csv, faithfulness.csv, summary.txt, faithfulness.txt and the figures for `run` (processes: see
    write_figures)."""
    out = Path(out)
    written = [write_shap_csv(run.shap, out / "shap_values.csv")]
    if run.faithfulness is not None:
        written.append(write_faithfulness_csv(run, out / "faithfulness.csv"))
        written.append(write_text(run.faithfulness.text(), out / "faithfulness.txt"))
    written.append(write_text("\n\n".join(s.text for s in run.summaries()), out / "summary.txt"))
    n_rows = row_figure_count(figures, run.shap.n_rows)
    written += write_figures(trained, run, out, n_rows, formats, progress, processes)
    return written


def can_fork_renderer() -> bool:
    """Whether a second renderer may be forked: Linux (fork, copy-on-write) and no other thread in this process
    (a fork copies only the calling thread; a lock held by another would stay held in the copy)."""
    import os
    import sys
    import threading

    return sys.platform.startswith("linux") and hasattr(os, "fork") and threading.active_count() == 1


def _render_in_two(run_job: Callable, jobs: list, own_done: Callable) -> bool:
    """Run every other job in a forked copy of this process and the rest here; False when the copy failed (its jobs
    are then still to do). The copy inherits the drawn data and the imported libraries: nothing is pickled or
    imported again. Each file is written atomically by whichever process draws it."""
    import os
    import sys

    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:  # the copy: its jobs, silently, then out without running the parent's exit handlers
        code = 0
        try:
            for job in jobs[1::2]:
                run_job(job)
        except BaseException:  # noqa: BLE001 - any failure: the parent draws these jobs itself and says why
            code = 1
        finally:
            os._exit(code)
    try:
        for job in jobs[0::2]:
            run_job(job)
            own_done()
    finally:
        _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status) == 0


def write_figures(trained, run, out: Path, max_row_figures: int | None = None,
                  formats: tuple[str, ...] | None = None, progress: Callable | None = None,
                  processes: int = 1) -> list[Path]:
    """The global figures once and the per-row figures for the first `max_row_figures` rows (see the module's
    doc for names and formats). `run`: an ExplanationRun (or a bare ShapResult: no faithfulness figure).
    processes: 2 or more draws every other figure in a forked copy of this process, where that is safe
    (can_fork_renderer: Linux, no other thread); the files are the same. Returns the files written."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from ..plotting._common import new_figure as Figure  # names as typed, CJK glyphs

    from ..core.explain.rows import row_views
    from ..plotting import explain_plots as ep
    from ..plotting.faithfulness_plots import draw_faithfulness, faithfulness_figure_size
    from ..plotting.row_figures import shap_per_feature
    from ..plotting.series_plots import draw_series_explanation

    result = run.shap if isinstance(run, ExplanationRun) else run
    faith = run.faithfulness if isinstance(run, ExplanationRun) else None
    F = result.X.shape[1]
    wide = min(14.0, 6.0 + 0.06 * F)
    n = min(result.n_rows, DEFAULT_ROW_FIGURES if max_row_figures is None else max_row_figures)
    global_formats = formats or GLOBAL_FORMATS
    row_formats = formats or ROW_FORMATS
    jobs: list[tuple[str, tuple[str, ...], float, tuple[float, float], Callable]] = []

    def add(name: str, kinds, size, draw: Callable, dpi: float = 150) -> None:
        jobs.append((name, tuple(kinds), dpi, (float(size[0]), float(size[1])), draw))

    add("shap_bar", global_formats, (7.5, 5.5), lambda f: ep.draw_shap_bar(f.add_subplot(), result))
    add("shap_heatmap", global_formats, (wide, 5.5), lambda f: ep.draw_shap_heatmap(f.add_subplot(), result))
    for c in range(len(result.class_names)):
        add(f"shap_beeswarm_{class_file_name(result.class_names, c)}", global_formats, (7.5, 5.5),
            lambda f, c=c: ep.draw_beeswarm(f.add_subplot(), result, c))
    if faith is not None:
        add("faithfulness", global_formats, faithfulness_figure_size(faith), lambda f: draw_faithfulness(f, faith))
    if n > 0:
        views = row_views(trained.model, result.X[:n], result.predicted[:n],
                          result.input_names or result.feature_names, result.class_names)
        cam, att = views.gradcam, views.attention
        X_show = result.X  # the scaled row the model sees: raw columns of different scales hide each other
        names = result.input_names or result.feature_names
        series = getattr(run, "series", None)
        lengths = getattr(run, "lengths", None)
        for i in range(n):
            r = int(result.rows[i])
            classes = [int(result.predicted[i])]
            if result.true is not None and int(result.true[i]) != classes[0]:
                classes.append(int(result.true[i]))
            for c in classes:
                cname = class_file_name(result.class_names, c)
                add(f"waterfall_row{r}_{cname}", row_formats, (7.5, 5.5),
                    lambda f, i=i, c=c: ep.draw_waterfall(f.add_subplot(), result, row=i, class_index=c), ROW_DPI)
                add(f"force_row{r}_{cname}", row_formats, (10, 3.6),
                    lambda f, i=i, c=c: ep.draw_force(f.add_subplot(), result, row=i, class_index=c), ROW_DPI)
            pred = result.class_names[result.predicted[i]]
            add(f"gradcam_row{r}", row_formats, (wide, 3.6),
                lambda f, i=i, r=r: ep.draw_gradcam(f.add_subplot(), X_show[i], cam.heatmap[i], names,
                                                    title=f"Row {r}: {cam.message(i)} (predicted)",
                                                    no_evidence=bool(cam.no_evidence[i])), ROW_DPI)
            add(f"attention_row{r}", row_formats, (6.5, 5.5),
                lambda f, i=i, r=r, pred=pred: ep.draw_attention(f.add_subplot(), att, index=i,
                                                                 prefix=f"Row {r} (predicted {pred}): "), ROW_DPI)
            c = int(result.predicted[i])
            if series is not None:  # which channel, and when, on the series' own time axis
                add(f"comparison_row{r}", row_formats, (11, 2.0 + 1.3 * min(series.n_channels, 8)),
                    lambda f, i=i, r=r, c=c: draw_series_explanation(
                        f, X_show[i].reshape(series.n_channels, -1), result.values[i, :, c], result.unit_features(),
                        list(series.channels), cam.heatmap[i], att.received_upsampled[i],
                        None if lengths is None else int(lengths[i]), result.class_names[c],
                        title=f"Row {r}: which channel, and when, for class {result.class_names[c]}",
                        units=result.units, padded=series.padded), ROW_DPI)
            else:
                add(f"comparison_row{r}", row_formats, (wide + 3, 7.5),
                    lambda f, i=i, r=r, c=c: ep.comparison_figure(
                        f, X_show[i], shap_per_feature(result, i, c), cam.per_feature()[i], att.per_feature()[i],
                        names, result.class_names[c],
                        title=f"Row {r}: input, SHAP, Grad-CAM and attention for class {result.class_names[c]}"),
                    ROW_DPI)

    # One Figure, cleared and resized for each drawing: building a new Figure + canvas each time cost more
    # than the drawing of the smaller figures.
    figure = Figure(figsize=(7.5, 5.5), layout="constrained")
    FigureCanvasAgg(figure)
    total, done = len(jobs), [0]

    def run_job(job) -> None:
        name, kinds, dpi, size, draw = job
        figure.clear()
        figure.set_size_inches(*size)
        figure.set_layout_engine("constrained")
        draw(figure)
        lay_out_once(figure, dpi)
        for ext in kinds:
            save_figure(figure, out / f"{name}.{ext}", dpi)

    def one_done(count: int = 1) -> None:
        done[0] += count
        if progress is not None:
            progress(ExplainProgress("figures", done[0], total, f"Figures: {done[0]}/{total}"))

    left = jobs
    if processes > 1 and len(jobs) > 3 and can_fork_renderer():
        if _render_in_two(run_job, jobs, one_done):
            one_done(len(jobs[1::2]))
            left = []
        else:
            left = jobs[1::2]  # the copy failed: drawn here, where a failure says why
    for job in left:
        run_job(job)
        one_done()
    return [out / f"{name}.{ext}" for name, kinds, _dpi, _size, _draw in jobs for ext in kinds]


__all__ = ["DEFAULT_ROW_FIGURES", "FAITHFULNESS_COLUMNS", "MAX_ROW_FIGURES", "explain_file", "explain_to_dir",
           "parse_formats", "parse_rows", "row_figure_count", "write_explanation", "write_faithfulness_csv",
           "write_figures", "write_shap_csv", "can_fork_renderer"]
