"""The run report as a self-contained HTML file or a PDF, from a core.run_report.ReportContent.

    write_report(build_report(trained, ...), "run.html")   # or "run.pdf"

Both front ends write it with this one module (`hybridxai report`, and the app's File > Export report...),
so it sits with the drawing code both may use, as figure export does (plotting.export).

The report is a list of blocks (headings, paragraphs, tables, figures) built here once; `report_render`
writes them as HTML (every figure a PNG data URI: no external reference, readable offline) or as an A4 PDF
(matplotlib's PDF backend, the figures flowing with the text). Explanations enter as
`ReportItem`s (a title, a matplotlib Figure, a text), so a new kind of explanation or check adds items
without touching this module.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..core.errors import HybridXAIError, render

FORMATS = (".html", ".htm", ".pdf")


@dataclass
class ReportItem:
    """One thing to show under "Explanations" (or any other extension): a title, a figure, a text."""

    title: str
    figure: Any = None  # a matplotlib Figure, or None for text only
    text: str = ""


@dataclass
class Heading:
    text: str
    anchor: str = ""


@dataclass
class Paragraph:
    text: str
    tone: str = ""  # "", "note" or "warning"


@dataclass
class Table:
    header: list[str]
    rows: list[list[str]]
    caption: str = ""
    side: bool = False  # a small table that may stand beside the next one


@dataclass
class FigureBlock:
    figure: Any  # a matplotlib Figure
    caption: str = ""
    title: str = ""


@dataclass
class Document:
    title: str
    subtitle: str
    blocks: list = field(default_factory=list)


def _f(value, digits: int = 3) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "–"
    return f"{value:.{digits}f}" if isinstance(value, float) else str(value)


def _mean_sd(pair) -> str:
    mean, sd = pair
    return _f(mean) + (f" ± {_f(sd)}" if math.isfinite(sd) else "")


def _figure(size=(8.0, 4.5)):
    from ._common import setup_text

    setup_text()  # names as typed, CJK glyphs, before the figure has any text
    from ._common import new_figure as Figure  # names as typed, CJK glyphs

    return Figure(figsize=size, layout="constrained")


def shap_items(result, title: str = "SHAP feature importance") -> list[ReportItem]:
    """A ShapResult as report items: the importance bar chart with its additivity check."""
    from .explain_plots import draw_shap_bar

    fig = _figure((8.0, 5.0))
    draw_shap_bar(fig.add_subplot(), result)
    rows = ", ".join(str(int(r)) for r in list(result.rows)[:20]) + (" …" if result.n_rows > 20 else "")
    from ..core.explain.shap_result import units_words

    text = (f"{result.method} SHAP values of the {units_words(result.units)} for {result.n_rows} row(s) (data rows "
            f"{rows}), against {result.background_size} background rows, in {result.seconds:.1f} s. Check: "
            f"{result.additivity_message}." + (f" {result.sampling_message}." if result.sampling_message else ""))
    return [ReportItem(title, fig, text)]


def _summary(c) -> list:
    blocks = [Heading("Summary", "summary")]
    facts = []
    if c.evaluation is not None:
        e = c.evaluation
        auc = f", ROC-AUC {e.roc_auc_macro:.3f}" if e.roc_auc_macro is not None else ""
        facts.append(f"On {len(e.y_true)} {c.evaluation_source or 'rows'}: accuracy {e.accuracy:.3f}, macro F1 "
                     f"{e.macro_f1:.3f}{auc}; {len(e.misclassified)} misclassified.")
    cv = c.cross_validation
    if cv is not None and cv.folds:
        facts.append(f"Repeated evaluation ({cv.describe()}): accuracy {_mean_sd(cv.summary('accuracy'))} "
                     f"(mean ± sd over folds).")
        best = max(cv.models[1:], key=lambda m: cv.summary("accuracy", m)[0], default=None)
        if best is not None:
            facts.append(f"Best baseline: {best.replace('_', ' ')}, {_mean_sd(cv.summary('accuracy', best))}.")
    elif c.baselines:
        best = max(c.baselines, key=lambda s: s.accuracy)
        facts.append(f"Best baseline on the same split: {best.model.replace('_', ' ')}, accuracy {best.accuracy:.3f}.")
    at = next((p for p in c.prediction_sets if p.coverage == 0.9 and p.measured is not None), None)
    if at is not None:
        facts.append(f"Prediction sets at coverage 0.9: the set held the true class in {at.measured:.3f} of the "
                     f"{at.n_rows} {c.evaluation_source or 'rows'}, with {at.mean_size:.2f} classes on average.")
    if c.reliability is not None:
        facts.append(f"Calibration error (ECE, 10 bins) {c.reliability.ece:.3f}"
                     + (f" with temperature {c.temperature:.3f}." if c.temperature != 1.0 else "."))
    has_val = any(h.get("val_acc") is not None for h in c.history)
    facts.append(f"{len(c.history)} epochs trained; " + (f"best validation epoch {c.best_epoch}." if has_val else
                                                          "no validation rows (every training row trained)."))
    blocks += [Paragraph(f) for f in facts]
    blocks += [Paragraph(n, "note") for n in c.notes]
    return blocks


def _data(c) -> list:
    d = c.data
    blocks = [Heading("Data", "data")]
    features = ", ".join(d.feature_names[:30]) + (f" and {d.n_features - 30} more" if d.n_features > 30 else "")
    rows = [["source", d.source], ["label column", d.label_column],
            ["classes", ", ".join(d.class_names)], [f"features ({d.n_features})", features],
            ["data hash (sha256 of the training rows and labels)", c.data_hash or "–"]]
    if d.test_source:
        rows.append(["separate test file", d.test_source])
    rows += [[f"{split} rows", str(n)] for split, n in d.splits.items()]
    blocks.append(Table(["", ""], rows))
    if d.class_counts:
        splits = list(d.class_counts)
        blocks.append(Table(["class"] + splits, [[name] + [str(d.class_counts[s].get(name, 0)) for s in splits]
                                                 for name in d.class_names], "Rows per class"))
    blocks += [Paragraph(n, "note") for n in d.notes]
    return blocks


def _settings(c) -> list:
    blocks = [Heading("Settings", "settings")]
    for section, values in c.settings.items():
        rows = [[k, ", ".join(map(str, v)) if isinstance(v, (list, tuple)) else str(v)] for k, v in values.items()]
        blocks.append(Table(["setting", "value"], rows, f"{section.capitalize()} settings", side=True))
    return blocks


def _training(c) -> list:
    from .training_plots import draw_training_history

    blocks = [Heading("Training", "training")]
    if not c.history:
        return blocks + [Paragraph("The model holds no training history.")]
    fig = _figure((10.0, 4.0))
    fig.set_layout_engine(None)
    last = c.history[-1]
    val = last.get("val_acc")
    draw_training_history(fig, c.history, c.best_epoch)  # marks no best epoch without validation rows
    marked = (f"; the dashed line marks the best validation epoch, {c.best_epoch}" if val is not None else "")
    blocks.append(FigureBlock(fig, f"Loss and accuracy per epoch ({len(c.history)} epochs{marked}). Last epoch: training "
                                   f"accuracy {_f(last.get('train_acc'))}"
                                   + (f", validation {_f(val)}." if val is not None else " (no validation rows)."),
                              "Training curves"))
    return blocks


def _kept_epoch(c) -> str:
    """Which epoch's weights the model keeps and what chose it, from the model's history and training settings
    (a sentence starting in lower case)."""
    training = c.settings.get("training", {})
    n = len(c.history)
    if not n:
        return "the model keeps no training history, so which epoch it keeps and why is not known."
    if not any(h.get("val_acc") is not None for h in c.history):
        return (f"there were no validation rows, so no epoch was chosen on them; the model keeps the weights of its "
                f"last epoch ({n}).")
    watched = ""
    if training.get("early_stopping"):
        epochs = training.get("epochs") or 0  # 0: as many as the recipe chose
        ended = f" and ended training after epoch {n} of {epochs}" if 0 < n < epochs else ""
        watched = f"; early stopping watched the validation rows{ended}"
    if training.get("restore_best", True) and c.best_epoch:
        return f"the model keeps the weights of epoch {c.best_epoch} of {n}, the best on the validation rows{watched}."
    if watched:
        return f"the model keeps the weights of its last epoch ({n}){watched}."
    return f"the model keeps the weights of its last epoch ({n}); the validation rows were watched, not used to choose it."


def _evaluation(c) -> list:
    from .evaluation_plots import draw_confusion_matrix, draw_precision_recall, draw_roc_curves

    e = c.evaluation
    blocks = [Heading("Evaluation", "evaluation")]
    if e is None:
        return blocks + [Paragraph("No evaluation: the model has no test rows, and no labelled file was given.")]
    kept = _kept_epoch(c)
    if c.evaluation_source.startswith("test rows"):  # held out of training: they chose nothing
        kept = f"These rows chose nothing: {kept}"
    else:  # a file given for the report: the model may have trained on some of its rows
        kept = kept[0].upper() + kept[1:]
    blocks.append(Paragraph(f"{len(e.y_true)} {c.evaluation_source or 'rows'}. {kept}"))
    names = [k for k in e.report if k != "accuracy"]
    blocks.append(Table(["class", "precision", "recall", "F1", "rows"],
                        [[n, _f(e.report[n]["precision"]), _f(e.report[n]["recall"]), _f(e.report[n]["f1-score"]),
                          str(int(e.report[n]["support"]))] for n in names],
                        f"Accuracy {e.accuracy:.3f}, macro F1 {e.macro_f1:.3f}"
                        + (f", ROC-AUC (macro, one-vs-rest) {e.roc_auc_macro:.3f}" if e.roc_auc_macro else "")))
    fig = _figure((10.0, 4.2))
    left, right = fig.subplots(1, 2)
    draw_confusion_matrix(left, e.confusion, e.class_names)
    draw_roc_curves(right, e.roc_curves, e.roc_auc)
    blocks.append(FigureBlock(fig, "Confusion matrix (rows: true class, columns: predicted, at the most probable "
                                   "class) and ROC curves.", "Confusion matrix and ROC curves"))
    t = c.threshold
    if t is not None:
        pos = e.class_names[t.positive]
        blocks.append(Heading("Two classes: threshold", "threshold"))
        blocks.append(Table(["at threshold", "sensitivity", "specificity", "precision", "accuracy", "TP", "FP", "TN",
                             "FN"], [[f"{t.threshold:.2f}", _f(t.sensitivity), _f(t.specificity), _f(t.precision),
                                      _f(t.accuracy), str(t.tp), str(t.fp), str(t.tn), str(t.fn)]],
                            f"Positive class '{pos}': a row is called positive when its probability is at least the "
                            "threshold."))
        fig = _figure((10.0, 4.2))
        left, right = fig.subplots(1, 2)
        draw_confusion_matrix(left, t.confusion, e.class_names, title=f"Confusion at threshold {t.threshold:.2f}")
        draw_precision_recall(right, c.precision_recall, positive_name=pos, threshold_point=t)
        blocks.append(FigureBlock(fig, "The confusion matrix at the chosen threshold and the precision-recall curve "
                                       "of the positive class.", "Threshold and precision-recall"))
    return blocks


def _repeated(c) -> list:
    from ..core.evaluation.baselines import LABELS
    from ..core.evaluation.crossval import METRIC_LABELS
    from .crossval_plots import draw_model_spread

    cv = c.cross_validation
    blocks = []
    if cv is not None and cv.folds:
        blocks.append(Heading("Repeated evaluation", "cross-validation"))
        blocks.append(Paragraph(cv.describe() + f", in {cv.seconds:.0f} s. Each fold trained its own network with "
                                "these settings; the held-out fold only scored it."))
        metrics = cv.metric_names
        rows = [[f"{f.repeat}.{f.fold}" if cv.config.repeats > 1 and cv.config.scheme == "kfold" else str(f.index + 1)]
                + [_f(f.metrics.get(m)) for m in metrics] for f in cv.folds]
        rows.append(["mean ± sd"] + [_mean_sd(cv.summary(m)) for m in metrics])
        blocks.append(Table(["fold"] + [METRIC_LABELS[m] for m in metrics], rows, "The network on each held-out fold"))
        if cv.test_source:
            blocks.append(Paragraph(f"On the separate test file {cv.test_source} (never used to choose): accuracy "
                                    f"{_mean_sd(cv.test_file_summary('accuracy'))} over the folds' models."))
        rows = [[LABELS.get(m, m), _mean_sd(cv.summary("accuracy", m)), _mean_sd(cv.summary("macro_f1", m))]
                for m in cv.models]
        blocks.append(Table(["model", "accuracy (mean ± sd)", "macro F1 (mean ± sd)"], rows,
                            "The network beside simple baselines, on the same folds"))
        fig = _figure((8.0, 0.9 + 0.6 * len(cv.models)))
        draw_model_spread(fig.add_subplot(), {m: cv.values("accuracy", m) for m in cv.models}, labels=LABELS)
        blocks.append(FigureBlock(fig, "Accuracy on every fold (dots), mean (bar) ± one standard deviation (line).",
                                  "Spread over folds"))
        blocks += [Paragraph(n, "note") for n in cv.notes]
    elif c.baselines and c.evaluation is not None:
        blocks.append(Heading("Baselines", "baselines"))
        rows = [[LABELS["hybrid"], _f(c.evaluation.accuracy), _f(c.evaluation.macro_f1)]]
        rows += [[LABELS.get(s.model, s.model), _f(s.accuracy), _f(s.macro_f1)] for s in c.baselines]
        blocks.append(Table(["model", "accuracy", "macro F1"], rows, "On the same training and test rows "
                            "(one split: run the repeated evaluation to see the spread)"))
    if c.baselines_note:
        blocks.append(Paragraph(c.baselines_note, "note"))
    return blocks


def _calibration(c) -> list:
    from .evaluation_plots import draw_reliability

    blocks = [Heading("Calibration", "calibration")]
    if c.reliability is None:
        return blocks + [Paragraph("No evaluated rows to check the probabilities on.")]
    fig = _figure((6.5, 4.5))
    draw_reliability(fig.add_subplot(), c.reliability, temperature=c.temperature)
    scaled = (f"The probabilities are divided by a temperature of {c.temperature:.3f} fitted on the validation rows."
              if c.temperature != 1.0 else "No temperature scaling (the probabilities are the network's own).")
    blocks.append(FigureBlock(fig, f"Expected calibration error {c.reliability.ece:.3f}: on average the probability of "
                                   f"the predicted class differs from how often it is right by this much. {scaled}",
                              "Reliability diagram"))
    return blocks


def _prediction_sets(c) -> list:
    blocks = [Heading("Prediction sets", "prediction-sets")]
    if not c.prediction_sets:
        return blocks + [Paragraph("No evaluated rows to measure the prediction sets on.")]
    if c.prediction_sets_method:
        blocks.append(Paragraph(
            f"Each row's prediction set holds the classes, most probable first, whose probability mass (with the "
            f"classes ranked above them) stays within a threshold set by the chosen coverage; it always holds the "
            f"predicted class. Calibration: {c.prediction_sets_method}. With n scores of rows the scoring model did "
            f"not train on, a set holds the true class with probability at least the coverage, and without ties at "
            f"most coverage + 1/(n + 1) (sets that hold only the predicted class can exceed that where the model is "
            f"right more often than asked)."))
    rows = [[f"{p.coverage:g}", _f(p.measured), f"{p.bounds[0]:g} – {p.bounds[1]:.3f}" if p.bounds else "–",
             _f(p.mean_size, 2)] for p in c.prediction_sets]
    blocks.append(Table(["coverage asked", "coverage measured", "guarantee", "mean set size"], rows,
                        f"Measured on the {c.prediction_sets[0].n_rows} {c.evaluation_source or 'rows'}"))
    notes = list(dict.fromkeys(render(p.note) for p in c.prediction_sets if p.note))
    return blocks + [Paragraph(n, "note") for n in notes]


def _explanations(c) -> list:
    blocks = [Heading("Explanations", "explanations")]
    items = [item for result in c.explanations for item in shap_items(result)]
    if not items:
        return blocks + [Paragraph("No explanations were computed for this report.")]
    for item in items:
        if item.figure is not None:
            blocks.append(FigureBlock(item.figure, item.text, item.title))
        else:
            blocks += [Heading(item.title), Paragraph(item.text)]
    return blocks


def _reproduce(c) -> list:
    rows = [["report written", c.generated], ["model trained", c.model_created or "–"],
            ["model file", c.model_file or "(not saved)"], ["model file sha256", c.model_sha256 or "–"],
            ["data hash", c.data_hash or "–"], ["seed", str(c.settings.get("training", {}).get("seed", "–"))]]
    rows += [[k, str(v)] for k, v in c.versions.items()]
    return [Heading("Reproducibility", "reproducibility"), Table(["", ""], rows)]


def report_document(content) -> Document:
    blocks = (_summary(content) + _data(content) + _settings(content) + _training(content) + _evaluation(content)
              + _repeated(content) + _calibration(content) + _prediction_sets(content)
              + _explanations(content)
              + _reproduce(content))
    return Document(content.title, f"Written {content.generated.replace('T', ' ')}", blocks)


def write_report(content, path: str | Path) -> Path:
    """Write the report; the extension (.html, .htm or .pdf) picks the format. Atomic: never half a file."""
    from ..core.model_files.fileio import atomic_write, atomic_write_stream
    from .report_render import render_html, render_pdf

    path = Path(path)
    if path.suffix.lower() not in FORMATS:
        raise HybridXAIError(f"Cannot write a report as '{path.name}': name it .html or .pdf.")
    document = report_document(content)
    if path.suffix.lower() == ".pdf":
        return atomic_write_stream(path, lambda fh: render_pdf(document, fh))
    text = render_html(document)
    return atomic_write(path, lambda tmp: Path(tmp).write_text(text, encoding="utf-8"))


__all__ = ["ReportItem", "Document", "report_document", "write_report", "shap_items", "FORMATS"]
