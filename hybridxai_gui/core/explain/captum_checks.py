"""captum's metrics where they fit the explanations: infidelity for every view, sensitivity for the maps.

captum.metrics is imported inside the functions (it imports captum.attr and matplotlib.pyplot: about a
second); a missing captum leaves a note instead of the numbers.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from torch import nn

from .views import map_scores

BATCH_ROWS = 1024


def infidelity(model: nn.Module, X: np.ndarray, targets: np.ndarray, scores: dict[str, np.ndarray],
               background: np.ndarray, units: Sequence[np.ndarray], *, n_samples: int = 16, seed: int = 0,
               removal_share: float = 0.1, batch_rows: int = BATCH_ROWS) -> dict[str, np.ndarray]:
    """captum.metrics.infidelity per view and row, with normalize=True: scale-free, so maps in [0, 1] and SHAP
    values compare (the best scale may be negative, so a view and its opposite score alike; the deletion
    curves are the signed test). A perturbation removes a random `removal_share` of the units (a tenth:
    larger removals make the drop mostly interaction, which no per-unit score predicts), each replaced from one
    random background row; the view predicts the drop in the explained class's probability as the sum of its
    scores over the removed units. Lower is better; 0 = the view predicts every drop exactly."""
    from captum.metrics import infidelity as captum_infidelity

    X = torch.as_tensor(np.asarray(X, dtype=np.float32))
    bg = torch.as_tensor(np.asarray(background, dtype=np.float32))
    R, F = X.shape
    owner = torch.empty(F, dtype=torch.long)
    sizes = torch.empty(F, dtype=torch.float64)
    for u, members in enumerate(units):
        owner[torch.as_tensor(members)] = u
        sizes[torch.as_tensor(members)] = float(len(members))
    U = len(units)
    generator = torch.Generator().manual_seed(seed)

    def forward(z):
        raw = model(z)
        logits = raw[0] if isinstance(raw, tuple) else raw
        return torch.softmax(logits.double(), dim=1)

    def perturb(inputs):
        n = inputs.shape[0]
        removed_units = torch.rand((n, U), generator=generator) < removal_share  # (n, U)
        removed = removed_units[:, owner]  # (n, F)
        donors = bg[torch.randint(0, len(bg), (n,), generator=generator)]  # (n, F)
        perturbed = torch.where(removed, donors, inputs)
        return removed.to(inputs.dtype), perturbed  # the indicator is the "perturbation" scores are summed over

    out = {}
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            for name, s in scores.items():
                # a unit's score spread evenly over its features: summed over a removed unit it is the unit's score
                per_feature = torch.as_tensor(np.asarray(s, dtype=np.float64))[:, owner] / sizes  # (R, F)
                generator.manual_seed(seed)  # every view sees the same perturbations
                value = captum_infidelity(forward, perturb, X, per_feature.to(torch.float32),
                                          target=torch.as_tensor(targets), n_perturb_samples=n_samples,
                                          max_examples_per_batch=max(R, min(R * n_samples, 4 * batch_rows)),
                                          normalize=True)  # captum: at least one batch of the inputs
                out[name] = value.double().numpy()
    finally:
        model.train(was_training)
    return out


def sensitivity(model: nn.Module, X: np.ndarray, targets: np.ndarray, units, faith, n_samples: int = 8) -> None:
    """captum's sensitivity_max of Grad-CAM and attention (how far each map moves under ±0.02 input noise,
    relative to its size). SHAP is not measured: it would mean re-running SHAP n_samples times per row."""
    try:
        from captum.metrics import sensitivity_max
    except ImportError:
        faith.notes.append("captum is not installed: sensitivity was not measured.")
        return

    def explain(view):
        def func(inputs, target=None):
            x = inputs[0] if isinstance(inputs, tuple) else inputs
            t = np.asarray(target) if target is not None else None
            scores = torch.as_tensor(map_scores(view, model, x.detach().numpy(), t, units))
            return (scores,) if isinstance(inputs, tuple) else scores  # captum pairs tuples with tuples
        return func

    x = torch.as_tensor(np.asarray(X, dtype=np.float32))
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        for view in ("gradcam", "attention"):
            if view in faith.views:
                value = sensitivity_max(explain(view), x, n_perturb_samples=n_samples, target=torch.as_tensor(targets))
                faith.views[view].sensitivity = value.double().numpy()


__all__ = ["infidelity", "sensitivity"]
