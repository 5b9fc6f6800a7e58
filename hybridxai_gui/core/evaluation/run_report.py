"""What a run report says, gathered from the core's results: no drawing and no file formats here.

`build_report(...)` collects one model's story: the data it saw, its settings, its training history, its
evaluation (with the two-class threshold, the precision-recall curve and calibration), the repeated
evaluation and baselines when they were run, the explanations computed so far, and what is needed to
reproduce it (versions, data hash, dates). `plotting.report` turns it into a self-contained HTML file or a
PDF; the command line and the app both call it.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from ..errors import render


@dataclass
class DataSummary:
    source: str  # the training file (or "the training table")
    n_features: int
    feature_names: list[str]
    class_names: list[str]
    label_column: str
    splits: dict[str, int] = field(default_factory=dict)  # "training"/"validation"/"test" -> rows ({} unknown)
    class_counts: dict[str, dict[str, int]] = field(default_factory=dict)  # split -> class -> rows
    test_source: str | None = None
    notes: list[str] = field(default_factory=list)


@dataclass
class ReportContent:
    title: str
    generated: str  # when the report was written (ISO date and time)
    model_file: str  # "" for a model not saved yet
    model_sha256: str  # of the model file, "" when there is none
    model_created: str
    data: DataSummary
    data_hash: str  # sha256 of the training rows and labels, as kept in the model
    settings: dict[str, dict[str, Any]]  # model / training / data / runtime settings
    history: list[dict]
    best_epoch: int
    temperature: float
    versions: dict[str, str]
    evaluation: Any = None  # EvaluationResult
    evaluation_source: str = ""  # which rows it is about
    threshold: Any = None  # ThresholdMetrics at the chosen threshold (two classes)
    precision_recall: Any = None  # PrecisionRecall (two classes)
    reliability: Any = None  # calibration.Reliability of the evaluated rows
    cross_validation: Any = None  # crossval.CrossValidationResult
    baselines: list = field(default_factory=list)  # baselines.BaselineScore on the evaluated split
    baselines_note: str = ""
    explanations: list = field(default_factory=list)  # ShapResult objects computed so far
    notes: list[str] = field(default_factory=list)
    prediction_sets: list = field(default_factory=list)  # uncertainty.CoverageCheck of the evaluated rows
    prediction_sets_method: str = ""  # where the calibration scores came from, in words ("" when none)

    @property
    def two_class(self) -> bool:
        return len(self.data.class_names) == 2


def file_sha256(path: str | Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _class_counts(y, class_names) -> dict[str, int]:
    import numpy as np

    counts = np.bincount(np.asarray(y, dtype=np.int64), minlength=len(class_names))
    return {name: int(n) for name, n in zip(class_names, counts)}


def data_summary(trained, prepared=None, evaluation=None, evaluation_name: str = "") -> DataSummary:
    """What is known of the data: from the PreparedData when the model was trained in this session, else what
    the model file keeps (and the rows it was just evaluated on)."""
    summary = DataSummary(source=getattr(prepared, "source", "") or "(not kept in the model file)",
                          n_features=len(trained.feature_names), feature_names=list(trained.feature_names),
                          class_names=list(trained.class_names), label_column=trained.label_column)
    if prepared is not None:
        summary.splits = {"training": len(prepared.y_train), "validation": len(prepared.y_val),
                          "test": len(prepared.y_test)}
        summary.class_counts = {split: _class_counts(y, trained.class_names) for split, y in
                                (("training", prepared.y_train), ("validation", prepared.y_val),
                                 ("test", prepared.y_test))}
        summary.test_source = prepared.test_source
        summary.notes = [render(str(w)) for w in prepared.warnings]  # settings named as the command line does
    elif evaluation is not None:
        summary.splits = {evaluation_name or "evaluated": len(evaluation.y_true)}
        summary.class_counts = {evaluation_name or "evaluated": _class_counts(evaluation.y_true, trained.class_names)}
    return summary


def build_report(trained, *, evaluation=None, evaluation_source: str = "", prepared=None, cross_validation=None,
                 baselines=None, baselines_note: str = "", explanations=None, threshold: float = 0.5,
                 positive: int = 1, title: str = "", notes=None) -> ReportContent:
    """Everything the report shows, computed once (threshold metrics, precision-recall, reliability)."""
    import numpy as np

    from .calibration import reliability
    from ..model_files.checkpoint import library_versions
    from .metrics import precision_recall, threshold_metrics

    notes = list(notes or [])
    if cross_validation is not None:  # the app's repeated evaluation may be of another run than its model
        from .crossval_checks import model_mismatch

        mismatch = model_mismatch(cross_validation, trained)
        if mismatch:
            notes.append(f"The repeated evaluation was left out of this report: it is not about this model ({mismatch}).")
            cross_validation = None
    model_file = trained.source or ""
    sha = file_sha256(model_file) if model_file and Path(model_file).is_file() else ""
    content = ReportContent(
        title=title or f"HybridXAI run report: {Path(model_file).name if model_file else 'model not saved'}",
        generated=_dt.datetime.now().isoformat(timespec="seconds"), model_file=model_file, model_sha256=sha,
        model_created=trained.created,
        data=data_summary(trained, prepared, evaluation, evaluation_source), data_hash=trained.data_hash,
        settings={"model": asdict(trained.model_config), "training": asdict(trained.train_config),
                  "data": asdict(trained.data_config), "runtime": asdict(trained.runtime_config)},
        history=[dict(h) if isinstance(h, dict) else h.to_dict() for h in trained.history],
        best_epoch=trained.best_epoch, temperature=float(trained.temperature),
        versions={**library_versions(), **{f"model saved with {k}": v for k, v in (trained.versions or {}).items()
                                           if k in ("torch", "hybridxai")}},
        evaluation=evaluation, evaluation_source=evaluation_source, cross_validation=cross_validation,
        baselines=list(baselines or []), baselines_note=baselines_note,
        explanations=[e for e in (explanations or []) if e is not None], notes=notes)
    uncertainty = getattr(trained, "uncertainty", None)
    if uncertainty is not None and uncertainty.calibration is not None:
        content.prediction_sets_method = uncertainty.calibration.describe()
    if evaluation is not None and len(evaluation.y_true) and np.isfinite(evaluation.proba).all():
        from .uncertainty import check_sets

        content.prediction_sets = check_sets(uncertainty, evaluation.proba, evaluation.y_true)
        content.reliability = reliability(evaluation.proba, evaluation.y_true)
        if content.two_class:
            p = evaluation.proba[:, positive]
            content.threshold = threshold_metrics(evaluation.y_true, p, threshold, positive)
            content.precision_recall = precision_recall(evaluation.y_true, p, positive)
    return content


__all__ = ["DataSummary", "ReportContent", "build_report", "data_summary", "file_sha256"]
