"""File ▸ Export report…: gather what the window holds about the current model and write the run report.

The gathering takes references only (no copies, no drawing) in the GUI thread; building the report, drawing
its figures and writing the file run in a worker (`plotting.report.write_report`, the same call as
`hybridxai report`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

REPORT_FILTERS = "HTML report, one self-contained file (*.html);;PDF report (*.pdf)"


@dataclass
class ReportInputs:
    trained: Any
    evaluation: Any = None
    evaluation_source: str = ""
    prepared: Any = None
    cross_validation: Any = None
    baselines: list = field(default_factory=list)
    baselines_note: str = ""
    explanations: list = field(default_factory=list)  # ShapResults
    threshold: float = 0.5
    positive: int = 1
    notes: list = field(default_factory=list)


def gather(window) -> ReportInputs:
    """What the window knows about its current model, by reference; the Explanations tab's last ShapResult is
    reported with its additivity check."""
    ev = window.evaluationTab
    source = ""
    if ev.result is not None:
        source = ("test rows" if window.prepared is not None else "test rows (saved with the model)")
    shap = window.explanationsTab.result
    threshold = ev.thresholdPanel
    return ReportInputs(window.trained, ev.result, source, window.prepared, ev.crossValidationPanel.result,
                        list(ev.baseline_scores), ev.baselines_note, [shap] if shap is not None else [],
                        threshold.threshold, threshold.positive)


def write(inputs: ReportInputs, path: str) -> str:
    """Runs in the worker: the same report `hybridxai report` writes."""
    from ..core.evaluation.run_report import build_report
    from ..plotting.report import write_report

    content = build_report(inputs.trained, evaluation=inputs.evaluation, evaluation_source=inputs.evaluation_source,
                           prepared=inputs.prepared, cross_validation=inputs.cross_validation,
                           baselines=inputs.baselines, baselines_note=inputs.baselines_note,
                           explanations=inputs.explanations, threshold=inputs.threshold, positive=inputs.positive,
                           notes=inputs.notes)
    return str(write_report(content, path))
