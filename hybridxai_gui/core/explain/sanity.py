"""The model-randomisation sanity check (Adebayo et al., 2018): does a view change when the model does?

Every layer's weights are re-initialised (a copy; BatchNorm statistics reset too) and each view explains
the same rows again. A view whose ranking of the units barely changes (mean Spearman rank correlation
between the trained and the randomised model's scores of at least FLAG_AT) is showing something about
the input, not about what the model learned: it is flagged "not explaining the model".

Identical scores count as correlation 1 (a constant map is unchanged by definition); a constant map
against a varying one counts as 0.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import torch
from .ranks import average_ranks, spearman  # noqa: F401 (re-exported)
from torch import nn

from .faithfulness import VIEW_LABELS

FLAG_AT = 0.5
SANITY_ROWS = 3  # rows re-explained: SHAP on the randomised model costs as much as on the trained one

ViewFunction = Callable[[nn.Module, np.ndarray, np.ndarray], np.ndarray]  # (model, X, targets) -> (R, U)


@dataclass
class RandomisationCheck:
    correlation: dict[str, float]  # mean rank correlation per view (trained vs randomised weights)
    per_row: dict[str, np.ndarray] = field(default_factory=dict)  # (R,) per view
    n_rows: int = 0
    threshold: float = FLAG_AT
    what: str = "all weights re-initialised"

    @property
    def flagged(self) -> list[str]:
        """Views that barely change when the weights are random: not explaining the model."""
        return [v for v, rho in self.correlation.items() if rho >= self.threshold]

    def text(self) -> str:
        parts = []
        for view, rho in self.correlation.items():
            label = VIEW_LABELS.get(view, view)
            if rho >= self.threshold:
                parts.append(f"{label} barely changes (rank correlation {rho:.2f}): not explaining the model")
            else:
                parts.append(f"{label} changes (rank correlation {rho:.2f})")
        rows = f"{self.n_rows} row" + ("s" if self.n_rows != 1 else "")
        return f"Model-randomisation check ({rows}, {self.what}): " + "; ".join(parts) + "."


def randomised_copy(model: nn.Module, seed: int = 0) -> nn.Module:
    """A copy of `model` with every layer re-initialised (the global random state is left as it was)."""
    clone = copy.deepcopy(model)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        for module in clone.modules():
            reset = getattr(module, "reset_parameters", None) or getattr(module, "_reset_parameters", None)
            if callable(reset) and module is not clone:
                reset()
    return clone.eval()


def rank_similarity(a: np.ndarray, b: np.ndarray) -> float:
    """Spearman correlation of two score vectors; 1 when equal, 0 when only one of them is constant."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if np.allclose(a, b, rtol=1e-6, atol=1e-12):
        return 1.0
    if np.ptp(a) == 0 or np.ptp(b) == 0:
        return 0.0
    return spearman(a, b)


def randomisation_check(model: nn.Module, X: np.ndarray, targets, views: dict[str, ViewFunction], *,
                        original: dict[str, np.ndarray] | None = None, after: dict[str, np.ndarray] | None = None,
                        randomised: nn.Module | None = None, seed: int = 0,
                        threshold: float = FLAG_AT) -> RandomisationCheck:
    """Scores of each view (`views[name](model, X, targets) -> (R, U)`) on the trained and on a randomised
    copy of the model, compared row by row. `original`: scores already computed on the trained model; `after`:
    scores already computed on `randomised` (the copy to use; default randomised_copy(model, seed)), for views
    the caller ran itself (e.g. to report their progress). A view in `after` needs its `original`."""
    X = np.asarray(X, dtype=np.float32)
    targets = np.broadcast_to(np.asarray(targets, dtype=np.int64), (len(X),)).copy()
    randomised = randomised_copy(model, seed) if randomised is None else randomised
    original, after = dict(original or {}), dict(after or {})
    correlation, per_row = {}, {}
    for name in [*after, *(v for v in views if v not in after)]:
        view = views.get(name)
        before = original[name] if name in original else view(model, X, targets)
        changed = after[name] if name in after else view(randomised, X, targets)
        rho = np.array([rank_similarity(b, a) for b, a in zip(np.asarray(before), np.asarray(changed))])
        per_row[name] = rho
        correlation[name] = float(rho.mean())
    return RandomisationCheck(correlation=correlation, per_row=per_row, n_rows=len(X), threshold=threshold)


__all__ = ["FLAG_AT", "RandomisationCheck", "SANITY_ROWS", "average_ranks", "randomisation_check",
           "randomised_copy", "rank_similarity", "spearman"]
