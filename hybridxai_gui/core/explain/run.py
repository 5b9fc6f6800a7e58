"""One explanation run, as the app and the command line both make it: SHAP, then Grad-CAM and attention for
the same rows and class, then how far each view can be trusted (deletion/insertion against a random
ordering, captum's infidelity and sensitivity, the model-randomisation check), then each row in words.

    run = yield from iter_explanation_run(model, X, background, feature_names=..., class_names=...)

Every stage yields `ExplainProgress` and checks the cancel flag; the result is an `ExplanationRun` of plain
dataclasses with a short text (`text()`) that a report can print as it is.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn

from .attention import AttentionResult
from .captum_checks import sensitivity
from .faithfulness import FaithfulnessResult, iter_faithfulness
from .gradcam import GradCamResult
from .sanity import SANITY_ROWS, randomisation_check, randomised_copy
from .background import select_background
from ..jobs import as_cancel, relay
from .shap_engine import METHOD_LABELS, ShapExplainer, ShapResult
from .shap_result import units_words
from .summary import RowSummary, summarise_row
from .views import map_scores, shap_scores, view_scores

KINDS = ("table", "series")
# permutation SHAP: antithetic permutations per background row (every row used equally). 2 = one pair each,
# the fewest that keeps the values additive with every background row; see benchmarks/README.md "Explain".
PERMUTATIONS_PER_BACKGROUND_ROW = 2
# The randomisation check explains its rows again on a randomised model: against this many of the background
# rows (a seeded sample), a quarter to a fifth of the cost (a series row's check cost as much as its SHAP). Its
# rank correlation moved by at most 0.06 on BasicMotions (4 rows × 3 randomisations), 0.17 on breast cancer and
# 0.26 on wine (3 rows each; the mean over rows by 0.005, 0.002 and 0.075), while it moves by 0.39-0.62 between
# randomisation seeds; no verdict changed (benchmarks/bench_sanity_background.py, README "SHAP").
SANITY_BACKGROUND_ROWS = 10


@dataclass(frozen=True)
class ExplainProgress:
    stage: str  # shap, views, faithfulness, sanity
    done: int
    total: int
    message: str = ""
    fraction: float = -1.0  # share of the whole run done, 0..1, within a row too (-1: not known)
    eta_s: float | None = None  # seconds the run should still take, once enough of it is done to tell

    @property
    def remaining(self) -> str:
        """The time left in words ("about 6 s left"), or "" while it cannot be told yet."""
        if self.eta_s is None:
            return ""
        s = self.eta_s
        return f"about {max(1, round(s))} s left" if s < 90 else f"about {round(s / 60)} min left"


class RunClock:
    """The share of a run done and the time it should still take, from each stage's expected cost in rows
    through the model (SHAP's evaluations dominate, and the other stages are counted in the same unit, so the
    rate measured so far holds for the rest)."""

    def __init__(self, costs: dict[str, float], clock=time.perf_counter):
        self.costs = {k: max(0.0, float(v)) for k, v in costs.items()}
        self.total = sum(self.costs.values()) or 1.0
        self.clock = clock
        self.started = clock()

    def at(self, stage: str, share: float) -> tuple[float, float | None]:
        """(share of the run done, seconds left or None) with `share` of `stage` done."""
        before = 0.0
        for name, cost in self.costs.items():
            if name == stage:
                break
            before += cost
        fraction = min(1.0, (before + min(1.0, max(0.0, share)) * self.costs.get(stage, 0.0)) / self.total)
        elapsed = self.clock() - self.started
        if fraction < 0.02 or elapsed < 0.5:
            return fraction, None
        return fraction, elapsed * (1 - fraction) / fraction


@dataclass
class ExplanationRun:
    shap: ShapResult  # in the units asked for (the other units: shap.in_units)
    gradcam: GradCamResult  # for the explained class of each row
    attention: AttentionResult
    targets: np.ndarray  # (R,) the explained class per row
    kind: str  # table or series
    faithfulness: FaithfulnessResult | None = None
    seconds: dict[str, float] = field(default_factory=dict)  # per stage
    series: object = None  # series.SeriesSpec of the model when the rows are series (channels × time)
    lengths: np.ndarray | None = None  # series: each explained series' own number of steps

    @property
    def background_size(self) -> int:
        return self.shap.background_size

    def __getattr__(self, name: str):
        # the SHAP result's fields read through (run.method, run.rows, run.additive, …): callers that only want
        # SHAP need not know about the other stages
        if name.startswith("_") or name in ("shap", "series", "lengths"):
            raise AttributeError(name)
        return getattr(self.shap, name)

    def summaries(self) -> list[RowSummary]:
        """Each explained row in plain words, for its explained class."""
        return [summarise_row(self.shap, i, int(c)) for i, c in enumerate(self.targets)]

    def text(self) -> str:
        """A short report: how SHAP ran and whether it adds up, each row in words, how far to trust each view."""
        res = self.shap
        head = (f"SHAP values by {METHOD_LABELS.get(res.method, res.method)} of the "
                f"{units_words(res.units)} against {res.background_size} background rows, {res.n_rows} row"
                f"{'s' if res.n_rows != 1 else ''}. {res.additivity_message}."
                + (f" {res.sampling_message}." if res.sampling_message else ""))
        parts = [head, *[s.text for s in self.summaries()]]
        if self.faithfulness is not None:
            parts.append(self.faithfulness.text())
        return "\n\n".join(parts)


def guess_kind(feature_names: Sequence[str], X_raw: np.ndarray | None = None, n_channels: int = 1) -> str:
    """"series" when the row's order means time: several channels, rows that are normalised series, or 16+
    columns named one prefix + an increasing number (t000, w0001, accel_x_000); else "table". The app will
    pass the layout it knows; this is the fallback."""
    if n_channels > 1:
        return "series"
    if X_raw is not None:
        from ..data.prepare import looks_row_normalised

        if looks_row_normalised(np.asarray(X_raw, dtype=np.float64)):
            return "series"
    names = list(feature_names)
    if len(names) >= 16:
        parts = [re.fullmatch(r"(.*?)(\d+)", str(n)) for n in names]
        if all(parts) and len({p.group(1) for p in parts}) == 1:
            numbers = [int(p.group(2)) for p in parts]
            if all(b > a for a, b in zip(numbers, numbers[1:])):
                return "series"
    return "table"


def view_caveats(kind: str, n_channels: int, n_positions: int, length: int, members: int = 1) -> dict[str, str]:
    """Where Grad-CAM and attention cannot mean much, in words, per view."""
    out = {"gradcam": [], "attention": []}
    if members > 1:
        out["gradcam"].append(f"Grad-CAM is the average of the {members} ensemble members' maps.")
        out["attention"].append(f"Attention is the average of the {members} ensemble members' maps.")
    if kind == "table":
        text = ("The columns of a table have no order, but {v} reads them as a sequence (neighbouring columns as "
                "neighbours): its map is not a ranking of the features.")
        out["gradcam"].append(text.format(v="Grad-CAM"))
        out["attention"].append(text.format(v="attention"))
    if n_positions <= 3:
        out["attention"].append(f"Attention has only {n_positions} position{'s' if n_positions != 1 else ''} for "
                                f"{length} steps: it cannot point at single features.")
    if n_channels > 1:
        text = ("{v} is a map over time: it gives all {c} channels the same weight at a step and cannot say which "
                "channel mattered.")
        out["gradcam"].append(text.format(v="Grad-CAM", c=n_channels))
        out["attention"].append(text.format(v="Attention", c=n_channels))
    return {k: " ".join(v) for k, v in out.items() if v}


def default_shap_options(method: str, background_size: int) -> dict:
    if method in ("auto", "permutation"):
        return {"n_permutations": PERMUTATIONS_PER_BACKGROUND_ROW * background_size}
    return {}


def _relay(gen, stage: str, text: str, clock: RunClock):
    """Pass a stage's progress on as ExplainProgress (`text` formats `done` and `total`), with the share of the
    run done and the time left; return the stage's result."""
    return relay(gen, lambda item: ExplainProgress(
        stage, item.done, item.total, text.format(done=item.done, total=item.total),
        *clock.at(stage, getattr(item, "share", item.done / max(1, item.total)))))


# faithfulness: rows through the model per explained row, counted as SHAP's are (4 orderings × 2 curves × up to
# 11 points × 10 replacement rows, and about as much again for captum's measures); only weighs the stages
FAITHFULNESS_ROWS_PER_ROW = 1760


def iter_explanation_run(model: nn.Module, X: np.ndarray, background: np.ndarray, *,
                         feature_names: Sequence[str], class_names: Sequence[str], rows=None, method: str = "auto",
                         units: str = "probability", X_raw=None, true=None, targets=None, kind: str = "table",
                         groups=None, group_names=None, faithfulness: bool = True, sanity: bool = True,
                         shap_options: dict | None = None, workers: int = 1, parallel: str = "threads",
                         cancel=None) -> Iterator[ExplainProgress]:
    """SHAP of the scaled rows X against `background`, Grad-CAM and attention for each row's explained class
    (`targets`, None = the predicted class), then faithfulness and the randomisation check. Yields
    ExplainProgress; returns an ExplanationRun (None when cancelled). workers > 1: SHAP's rows are split over
    that many workers, `parallel` "processes" or "threads" (core.explain.parallel; the same values as one); with
    threads, the faithfulness curves' forward passes are spread over as many threads too."""
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")
    from .parallel import BACKENDS

    if parallel not in BACKENDS:
        raise ValueError(f"parallel must be one of {BACKENDS}, got {parallel!r}")
    is_cancelled = as_cancel(cancel)
    seconds: dict[str, float] = {}
    options = default_shap_options(method, len(background)) if shap_options is None else dict(shap_options)
    explainer = ShapExplainer(model, background, method, feature_names=feature_names, class_names=class_names,
                              output=units, groups=groups, group_names=group_names, **options)
    R, per_row = len(X), explainer.evaluations_per_row()
    checked = min(SANITY_ROWS, R) if faithfulness and sanity else 0
    sanity_background = select_background(background, SANITY_BACKGROUND_ROWS, "random", seed=0)
    sanity_options = (default_shap_options(method, len(sanity_background)) if shap_options is None
                      else dict(shap_options))
    clock = RunClock({"shap": R * per_row, "views": R * 10,
                      "faithfulness": R * FAITHFULNESS_ROWS_PER_ROW if faithfulness else 0,
                      "sanity": checked * (per_row * len(sanity_background) / len(background) + 10)})
    t0 = time.perf_counter()
    if workers > 1 and len(X) > 1 and parallel == "threads":
        from .parallel import iter_shap_in_threads

        gen = iter_shap_in_threads(model, X, rows, background, method=explainer.method, options=options,
                                   feature_names=feature_names, class_names=class_names, units=units, groups=groups,
                                   group_names=group_names, X_raw=X_raw, true=true, workers=workers,
                                   cancel=is_cancelled)
    elif workers > 1 and len(X) > 1:
        from .parallel import iter_shap_in_processes

        gen = iter_shap_in_processes(model, X, rows, background, method=explainer.method, options=options,
                                     feature_names=feature_names, class_names=class_names, units=units,
                                     groups=groups, group_names=group_names, X_raw=X_raw, true=true,
                                     workers=workers, threads=max(1, torch.get_num_threads()), cancel=is_cancelled)
    else:
        gen = explainer.iter_explain(X, rows=rows, X_raw=X_raw, true=true, cancel=is_cancelled)
    result = yield from _relay(gen, "shap", f"SHAP ({explainer.method}): {{done}}/{{total}} rows", clock)
    if result is None:
        return None
    seconds["shap"] = time.perf_counter() - t0
    R = result.n_rows  # the rows explained (a cached result has as many)
    tgt = result.predicted.copy() if targets is None else np.broadcast_to(np.asarray(targets, np.int64), (R,)).copy()

    t0 = time.perf_counter()
    yield ExplainProgress("views", 0, 1, "Grad-CAM and attention", *clock.at("views", 0.0))
    unit_groups = result.groups
    cam, att, scores = view_scores(model, result.X, tgt, unit_groups, feature_names, class_names)
    scores = {"shap": shap_scores(result, tgt), **scores}
    seconds["views"] = time.perf_counter() - t0
    run = ExplanationRun(shap=result, gradcam=cam, attention=att, targets=tgt, kind=kind, seconds=seconds)
    if not faithfulness:
        return run

    t0 = time.perf_counter()
    n_channels = int(getattr(model, "n_channels", 1))
    length = int(getattr(model, "length", result.X.shape[1]))
    members = len(getattr(model, "members", ())) or 1
    caveats = view_caveats(kind, n_channels, att.n_positions, length, members)
    fgen = iter_faithfulness(model, result.X, tgt, scores, background, units=unit_groups, rows=result.rows,
                             class_names=class_names, kind=kind, caveats=caveats, cancel=is_cancelled,
                             workers=workers if parallel == "threads" else 1)
    faith = yield from _relay(fgen, "faithfulness", "Faithfulness: {done}/{total} rows", clock)
    if faith is None:
        return None
    sensitivity(model, result.X, tgt, unit_groups, faith)
    seconds["faithfulness"] = time.perf_counter() - t0
    run.faithfulness = faith

    if sanity:
        t0 = time.perf_counter()
        n = checked
        yield ExplainProgress("sanity", 0, n, f"Randomisation check ({n} rows)", *clock.at("sanity", 0.0))
        if is_cancelled():
            return None
        # SHAP of the randomised model, its progress shown like the run's own (it costs as much per row)
        randomised = randomised_copy(model)
        sub = ShapExplainer(randomised, sanity_background, result.method, feature_names=feature_names,
                            class_names=class_names, output="probability", groups=groups, group_names=group_names,
                            cache=False, **sanity_options)
        after = yield from _relay(sub.iter_explain(result.X[:n], cancel=is_cancelled), "sanity",
                                  "Randomisation check: SHAP of {done}/{total} rows", clock)
        if after is None:
            return None
        views = {"gradcam": lambda m, Xs, t: map_scores("gradcam", m, Xs, t, unit_groups),
                 "attention": lambda m, Xs, t: map_scores("attention", m, Xs, t, unit_groups)}
        original = {name: s[:n] for name, s in scores.items() if name in ("shap", *views)}
        faith.randomisation = randomisation_check(model, result.X[:n], tgt[:n], views, original=original,
                                                  after={"shap": shap_scores(after, tgt[:n])}, randomised=randomised)
        if len(sanity_background) < len(background):
            faith.randomisation.what += f"; SHAP against {len(sanity_background)} of the background rows"
        seconds["sanity"] = time.perf_counter() - t0
        yield ExplainProgress("sanity", n, n, "Randomisation check: done", *clock.at("sanity", 1.0))
    return run


__all__ = ["ExplainProgress", "ExplanationRun", "KINDS", "PERMUTATIONS_PER_BACKGROUND_ROW", "SANITY_BACKGROUND_ROWS",
           "RunClock", "default_shap_options", "guess_kind", "iter_explanation_run", "map_scores", "shap_scores",
           "view_caveats", "view_scores"]
