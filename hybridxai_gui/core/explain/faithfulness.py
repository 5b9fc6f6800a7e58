"""How far each view reflects what the model uses: deletion and insertion curves, their areas, verdicts.

For one explained row, class c and a view's ranking of the row's units (features, or segments of a
series), the deletion curve replaces the view's most important units first with the background's values
and follows the probability of c; the insertion curve starts from the background and puts the row's own
values back, most important first. A view that knows what the model uses makes the deletion curve fall
early (small area) and the insertion curve rise early (large area). A random ordering is the baseline.

Choices (documented, tested):
- "Replaced with the background's values": every changed row is evaluated once per replacement row (a
  fixed, seeded sample of at most REPLACEMENT_ROWS background rows) and the probabilities are averaged,
  which is SHAP's own interventional game. A row with every unit removed is the average prediction over
  those rows.
- The x axis is the fraction of units removed (0 … 1), the y axis a probability, so each area is in [0, 1]
  (trapezoid rule). With at most MAX_POINTS − 1 units every unit count is a point; above that,
  MAX_POINTS evenly spaced fractions (0, 10 %, …, 100 %), each rounded to whole units.
- Importance ranks units by the view's score for the explained class, highest first; ties are broken at
  random (seeded), so a flat map is no better than the random ordering.
- captum's `infidelity` (random removals of a tenth of the units as perturbations, each view's scores
  summed over the removed units as the predicted drop, normalised by the best scale) is kept per row and
  view as a second measure; see `infidelity`.
All model calls are batched (thousands of rows per call) and the cancel flag is checked between them.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn

from ..jobs import as_cancel
from .shap_result import format_probability

VIEW_LABELS = {"shap": "SHAP", "gradcam": "Grad-CAM", "attention": "Attention", "random": "Random order"}
MAX_POINTS = 11
REPLACEMENT_ROWS = 10
VERDICT_FRACTION = 0.1  # the verdict quotes the probability after removing this share of units
BETTER_MARGIN = 0.02  # a view beats random when its mean deletion area is lower by at least this much
BATCH_ROWS = 1024


@dataclass(frozen=True)
class FaithfulnessProgress:
    done: int  # rows measured
    total: int
    message: str = ""


@dataclass
class ViewFaithfulness:
    """One view's curves for every explained row."""

    method: str  # shap, gradcam, attention, random (or a caller's name)
    deletion: np.ndarray  # (R, K) probability of the explained class as units are removed
    insertion: np.ndarray  # (R, K) … as units are put back into the background
    deletion_auc: np.ndarray  # (R,) in [0, 1]; lower = more faithful
    insertion_auc: np.ndarray  # (R,) in [0, 1]; higher = more faithful
    caveat: str = ""  # where this view cannot mean much, in words ("" when nothing to say)
    infidelity: np.ndarray | None = None  # (R,) captum's normalised infidelity; lower = better
    sensitivity: np.ndarray | None = None  # (R,) captum's sensitivity_max (how much the view moves under noise)

    @property
    def label(self) -> str:
        return VIEW_LABELS.get(self.method, self.method)


@dataclass
class FaithfulnessResult:
    """Deletion/insertion measurements of several views of the same rows, with plain-words verdicts."""

    rows: np.ndarray  # (R,) row ids
    targets: np.ndarray  # (R,) the class whose probability is followed
    class_names: list[str]
    fractions: np.ndarray  # (K,) fraction of units removed at each point, 0 … 1
    counts: np.ndarray  # (K,) units removed at each point
    n_units: int
    unit_word: str  # "feature", "column" (a table's text column as one unit) or "segment" (of a series)
    views: dict[str, ViewFaithfulness]
    kind: str = "table"  # table or series
    replacement_rows: int = 0  # background rows averaged for every changed row
    forward_rows: int = 0  # rows through the model for the curves
    seconds: float = 0.0
    randomisation: object | None = None  # sanity.RandomisationCheck, when run
    notes: list[str] = field(default_factory=list)

    # -- numbers ---------------------------------------------------------------------------------

    def mean_deletion(self, view: str) -> float:
        return float(self.views[view].deletion_auc.mean())

    def mean_insertion(self, view: str) -> float:
        return float(self.views[view].insertion_auc.mean())

    def ranking(self) -> list[str]:
        """Views from most to least faithful by mean deletion area (ties: higher insertion area first)."""
        return sorted(self.views, key=lambda v: (round(self.mean_deletion(v), 6), -self.mean_insertion(v)))

    def table(self) -> list[tuple[int, str, float, float]]:
        """(row, method, deletion_auc, insertion_auc) for every row and view: faithfulness.csv's lines."""
        out = []
        for i, row in enumerate(self.rows):
            for name, view in self.views.items():
                out.append((int(row), name, float(view.deletion_auc[i]), float(view.insertion_auc[i])))
        return out

    def verdict_index(self) -> int:
        """The point nearest VERDICT_FRACTION that removes at least one unit."""
        candidates = np.flatnonzero(self.counts > 0)
        return int(candidates[np.argmin(np.abs(self.fractions[candidates] - VERDICT_FRACTION))])

    def for_row(self, position: int) -> FaithfulnessResult:
        """The same measurement restricted to one explained row (its index in `rows`)."""
        from dataclasses import replace

        k = slice(position, position + 1)

        def one(v: ViewFaithfulness) -> ViewFaithfulness:
            return replace(v, deletion=v.deletion[k], insertion=v.insertion[k], deletion_auc=v.deletion_auc[k],
                           insertion_auc=v.insertion_auc[k],
                           infidelity=None if v.infidelity is None else v.infidelity[k],
                           sensitivity=None if v.sensitivity is None else v.sensitivity[k])

        return replace(self, rows=self.rows[k], targets=self.targets[k], views={n: one(v) for n, v in self.views.items()})

    def metrics_text(self) -> str:
        """captum's infidelity (and sensitivity where measured) per view, in one line."""
        inf = [f"{v.label} {float(np.mean(v.infidelity)):.3g}" for v in self.views.values() if v.infidelity is not None]
        sens = [f"{v.label} {float(np.mean(v.sensitivity)):.2g}" for v in self.views.values()
                if v.sensitivity is not None]
        parts = []
        if inf:
            parts.append("infidelity (how badly the scores of removed " + self.unit_word + "s predict the change; "
                         "lower is better): " + ", ".join(inf))
        if sens:
            parts.append("sensitivity (largest relative change of the map under ±0.02 input noise): " + ", ".join(sens))
        return ("captum checks: " + "; ".join(parts) + ".") if parts else ""

    # -- words -----------------------------------------------------------------------------------

    def _class_words(self) -> str:
        if len(set(self.targets.tolist())) == 1:
            return f"the probability of {self.class_names[int(self.targets[0])]}"
        return "the probability of each row's explained class"

    def _share_words(self, k: int) -> str:
        n = int(self.counts[k])
        unit = self.unit_word if n == 1 else f"{self.unit_word}s"
        return f"{self.fractions[k]:.0%} ({n} of {self.n_units} {unit})".replace("%", " %")

    def better_than_random(self, view: str) -> bool | None:
        """True / False against the random baseline (by BETTER_MARGIN), None when no baseline was measured."""
        if "random" not in self.views or view == "random":
            return None
        return self.mean_deletion(view) <= self.mean_deletion("random") - BETTER_MARGIN

    def verdict(self, view: str) -> str:
        """'SHAP: removing its top 10 % (3 of 30 features) drops the probability of malignant from 0.91 to 0.22;
        random removal: 0.85. …' (means over the rows when several)."""
        k = self.verdict_index()
        v = self.views[view]
        start = float(v.deletion[:, 0].mean())
        after = float(v.deletion[:, k].mean())
        share = self._share_words(k)
        what = self._class_words()
        rows = "" if len(self.rows) == 1 else f" (mean over {len(self.rows)} rows)"
        areas = (f"deletion area {self.mean_deletion(view):.2f}, insertion area {self.mean_insertion(view):.2f}")
        if view == "random":
            return (f"{v.label}: removing {share} at random leaves {what} at {format_probability(after)}, "
                    f"from {format_probability(start)}{rows}; {areas}.")
        before_text, after_text = format_probability(start), format_probability(after)
        if before_text == after_text:
            text = f"{v.label}: removing its top {share} leaves {what} at {after_text}"
        else:
            move = "drops" if after < start else "raises"
            text = f"{v.label}: removing its top {share} {move} {what} from {before_text} to {after_text}"
        if "random" in self.views:
            text += f"; random removal: {format_probability(float(self.views['random'].deletion[:, k].mean()))}"
        text += f"{rows}. {areas[0].upper()}{areas[1:]}"
        if "random" in self.views:
            text += (f" (random {self.mean_deletion('random'):.2f} and {self.mean_insertion('random'):.2f})")
        text += "."
        better = self.better_than_random(view)
        if better is False:
            text += " No better than removing at random: it does not show what the model uses here."
        if v.caveat:
            text += f" {v.caveat}"
        return text

    def headline(self) -> str:
        """One sentence for a status line: the most faithful view, or that none beats a random order."""
        best = next((v for v in self.ranking() if v != "random"), None)
        if best is None or "random" not in self.views:
            return ""
        area, random_area = self.mean_deletion(best), self.mean_deletion("random")
        if area <= random_area - BETTER_MARGIN:
            return f"Most faithful: {self.views[best].label} (deletion area {area:.2f}; random {random_area:.2f})"
        return (f"No view beats a random order here (deletion area: {self.views[best].label} {area:.2f}, "
                f"random {random_area:.2f})")

    def ranking_text(self) -> str:
        parts = [f"{self.views[v].label} {self.mean_deletion(v):.2f}" for v in self.ranking()]
        return ("Most faithful first (deletion area: lower means the probability falls sooner when the view's top "
                f"{self.unit_word}s are removed): " + " · ".join(parts) + ".")

    def text(self) -> str:
        """Every verdict, the ranking and the sanity check, one per line: for a report or a status panel."""
        lines = [self.verdict(v) for v in self.views]
        lines.append(self.ranking_text())
        if self.randomisation is not None:
            lines.append(self.randomisation.text())
        metrics = self.metrics_text()
        if metrics:
            lines.append(metrics)
        lines.extend(self.notes)
        return "\n".join(lines)


# ------------------------------------------------------------------------------------------------
# the grid and the orderings


def removal_counts(n_units: int, max_points: int = MAX_POINTS) -> np.ndarray:
    """Units removed at each point: every count when few units, else evenly spaced fractions rounded."""
    if n_units + 1 <= max_points:
        return np.arange(n_units + 1)
    return np.unique(np.round(np.linspace(0.0, 1.0, max_points) * n_units).astype(int))


def orderings(scores: np.ndarray, seed: int = 0) -> np.ndarray:
    """(R, U) scores -> (R, U) unit indices, highest score first, ties broken at random (seeded)."""
    scores = np.asarray(scores, dtype=np.float64)
    rng = np.random.default_rng(seed)
    tiebreak = rng.random(scores.shape)
    return np.stack([np.lexsort((tiebreak[r], -scores[r])) for r in range(len(scores))])


def random_scores(n_rows: int, n_units: int, seed: int = 0) -> np.ndarray:
    """The random baseline: a fixed (seeded) random score per row and unit."""
    return np.random.default_rng(seed + 7919).random((n_rows, n_units))


def area(curve: np.ndarray, fractions: np.ndarray) -> np.ndarray:
    """Trapezoid area of curves (..., K) over the fractions (K,)."""
    y = np.asarray(curve, dtype=np.float64)
    dx = np.diff(fractions)
    return ((y[..., 1:] + y[..., :-1]) * 0.5 * dx).sum(axis=-1)


def class_probability(model: nn.Module, Z: np.ndarray, batch_rows: int = BATCH_ROWS) -> np.ndarray:
    """(N, F) rows -> (N, C) class probabilities (eval mode, inference mode, batched)."""
    out = _probabilities(model, torch.as_tensor(np.asarray(Z, dtype=np.float32)), batch_rows, lambda: False)
    return out if len(Z) else np.zeros((0, 0))


def replacement_sample(background: np.ndarray, n: int = REPLACEMENT_ROWS, seed: int = 0) -> np.ndarray:
    """The background rows every changed row is averaged over: all when few, else a seeded sample."""
    bg = np.asarray(background, dtype=np.float32)
    if len(bg) <= n:
        return bg
    return bg[np.sort(np.random.default_rng(seed).choice(len(bg), size=n, replace=False))]


# ------------------------------------------------------------------------------------------------
# the measurement


def iter_faithfulness(model: nn.Module, X: np.ndarray, targets, scores: dict[str, np.ndarray],
                      background: np.ndarray, *, units: Sequence[np.ndarray] | None = None,
                      rows: Sequence[int] | None = None, class_names: Sequence[str] | None = None,
                      kind: str = "table", caveats: dict[str, str] | None = None, random_baseline: bool = True,
                      seed: int = 0, max_points: int = MAX_POINTS, replacement_rows: int = REPLACEMENT_ROWS,
                      batch_rows: int = BATCH_ROWS, infidelity_samples: int = 16,
                      cancel=None, workers: int = 1) -> Iterator[FaithfulnessProgress]:
    """Deletion and insertion curves of every view in `scores` ({name: (R, U) scores for the explained class,
    higher = more important}) for the scaled rows X (R, F). `units`: the features of each unit (None: one per
    feature). Yields progress; returns a FaithfulnessResult (None when cancelled). workers: threads for the
    curves' forward passes (the batches spread over replicas of the network; the same numbers as one)."""
    import time

    start = time.perf_counter()
    is_cancelled = as_cancel(cancel)
    X = np.asarray(X, dtype=np.float32)
    R, F = X.shape
    targets = np.broadcast_to(np.asarray(targets, dtype=np.int64), (R,)).copy()
    unit_list = [np.array([f]) for f in range(F)] if units is None else [np.asarray(u) for u in units]
    U = len(unit_list)
    owner = np.empty(F, dtype=np.int64)
    for u, members in enumerate(unit_list):
        owner[members] = u
    views = dict(scores)
    if random_baseline and "random" not in views:
        views["random"] = random_scores(R, U, seed)
    for name, s in views.items():
        if np.shape(s) != (R, U):
            raise ValueError(f"scores of view {name!r} have shape {np.shape(s)}, expected {(R, U)}")
    names = list(views)
    V = len(names)
    counts = removal_counts(U, max_points)
    fractions = counts / U
    inner = counts[1:-1]  # the end points need no masking
    K, Ki = len(counts), len(inner)
    bg = replacement_sample(background, replacement_rows, seed)
    Bf = len(bg)
    # the shared end points: the rows themselves, and the average over the replacement rows
    p_x = class_probability(model, X, batch_rows)[np.arange(R), targets]  # (R,)
    p_bg_all = class_probability(model, bg, batch_rows).mean(axis=0)  # (C,)
    p_bg = p_bg_all[targets]  # (R,)
    # rank of each feature's unit in each view's ordering: (R, V, F)
    unit_rank = np.empty((R, V, U), dtype=np.int64)
    for v, name in enumerate(names):
        order = orderings(views[name], seed + v)
        np.put_along_axis(unit_rank[:, v], order, np.arange(U)[None, :].repeat(R, axis=0), axis=1)
    feature_rank = unit_rank[:, :, owner]  # (R, V, F)
    deletion = np.empty((R, V, K))
    insertion = np.empty((R, V, K))
    deletion[:, :, 0], deletion[:, :, -1] = p_x[:, None], p_bg[:, None]
    insertion[:, :, 0], insertion[:, :, -1] = p_bg[:, None], p_x[:, None]
    per_row = V * 2 * Ki * Bf  # forward rows per explained row
    rows_per_chunk = max(1, (8 * batch_rows) // max(1, per_row))
    bg_t = torch.from_numpy(bg)  # (Bf, F)
    yield FaithfulnessProgress(0, R, "faithfulness: starting")
    for r0 in range(0, R, rows_per_chunk):
        if is_cancelled():
            return None
        r1 = min(R, r0 + rows_per_chunk)
        rank = torch.from_numpy(feature_rank[r0:r1])  # (Rc, V, F)
        keep_del = rank[:, :, None, :] >= torch.from_numpy(inner)[None, None, :, None]  # (Rc, V, Ki, F) from x
        keep = torch.stack([keep_del, ~keep_del], dim=2)  # (Rc, V, 2, Ki, F): deletion, insertion
        x = torch.from_numpy(X[r0:r1])[:, None, None, None, None, :]  # (Rc, 1, 1, 1, 1, F)
        z = torch.where(keep[..., None, :], x, bg_t)  # (Rc, V, 2, Ki, Bf, F)
        probs = _probabilities(model, z.reshape(-1, F), batch_rows, is_cancelled, workers)
        if probs is None:
            return None
        probs = probs.reshape(r1 - r0, V, 2, Ki, Bf, -1).mean(axis=4)  # (Rc, V, 2, Ki, C)
        picked = np.take_along_axis(probs, targets[r0:r1, None, None, None, None], axis=4)[..., 0]  # (Rc, V, 2, Ki)
        deletion[r0:r1, :, 1:-1] = picked[:, :, 0]
        insertion[r0:r1, :, 1:-1] = picked[:, :, 1]
        yield FaithfulnessProgress(r1, R, f"faithfulness: {r1}/{R} rows")
    caveats = caveats or {}
    results = {}
    for v, name in enumerate(names):
        results[name] = ViewFaithfulness(
            method=name, deletion=deletion[:, v], insertion=insertion[:, v], deletion_auc=area(deletion[:, v], fractions),
            insertion_auc=area(insertion[:, v], fractions), caveat=caveats.get(name, ""))
    notes = []
    if infidelity_samples > 0:
        scores_all = {name: views[name] for name in names}
        from .captum_checks import infidelity

        try:
            measured = infidelity(model, X, targets, scores_all, bg, unit_list, n_samples=infidelity_samples,
                                  seed=seed, batch_rows=batch_rows)
        except ImportError:
            measured = {}
            notes.append("captum is not installed: infidelity was not measured.")
        for name, values in measured.items():
            results[name].infidelity = values
    n_classes = len(p_bg_all)
    return FaithfulnessResult(
        rows=np.arange(R) if rows is None else np.asarray(rows, dtype=np.int64), targets=targets,
        class_names=list(class_names) if class_names is not None else [str(c) for c in range(n_classes)],
        fractions=fractions, counts=counts, n_units=U, unit_word=unit_word(units, kind),
        views=results, kind=kind, replacement_rows=Bf, forward_rows=R * per_row + R + Bf,
        seconds=time.perf_counter() - start, notes=notes)


def unit_word(units, kind: str) -> str:
    """What a unit of the curves is called: a feature (one per input), a column (a table's units: a text column's
    one-hot parts are one) or a segment (channel × time span of a series)."""
    if units is None:
        return "feature"
    return "column" if kind == "table" else "segment"


def _probabilities(model, Z: torch.Tensor, batch_rows: int, is_cancelled, workers: int = 1) -> np.ndarray | None:
    """Class probabilities (N, C) of rows Z in batches (eval and inference mode, the model's mode restored), or None
    once `is_cancelled()`. workers > 1: the batches spread over that many threads, each on a replica of the model
    (each batch computed as one thread would: the same numbers)."""
    from .parallel import thread_map

    def batch(m, i: int):
        if is_cancelled():
            return None
        with torch.inference_mode():
            raw = m(Z[i:i + batch_rows])
            logits = raw[0] if isinstance(raw, tuple) else raw
            return torch.softmax(logits.double(), dim=1).numpy()

    was_training = model.training
    model.eval()
    try:
        out = thread_map(model, batch, range(0, len(Z), batch_rows), workers)
    finally:
        model.train(was_training)
    if any(o is None for o in out):
        return None
    return np.concatenate(out) if out else np.zeros((0, 0))


__all__ = ["BETTER_MARGIN", "FaithfulnessProgress", "FaithfulnessResult", "MAX_POINTS", "REPLACEMENT_ROWS",
           "VIEW_LABELS", "ViewFaithfulness", "area", "class_probability", "iter_faithfulness",
           "orderings", "random_scores", "removal_counts", "replacement_sample"]
