"""SHAP values for the hybrid model: exact, batched permutation, kernel and expected gradients.

Every method explains the logits (one output per class) of the interventional game

    v(S) = mean over background rows b of f(x_S, b_~S)

whose Shapley values satisfy base + Σφ = f(x) with base = mean_b f(b). After every run the
additivity gap max |base + Σφ − f(x)| is measured against an independent forward pass and kept on
the result; a failed check is reported, never hidden.

Why our own exact and permutation code rather than shap's explainers: the model is cheap for big
batches (tens of thousands of rows per second on one thread) and expensive per call. shap evaluates
one coalition at a time per row (about 6 s per row at 30 features); here all coalitions of many rows
go through the model in batches of a few thousand rows, which is 10-50 times faster.

Methods
- exact: all 2^F coalitions against every background row; Shapley weights applied as array ops.
- permutation: antithetic permutation sampling, each (permutation, reversed permutation) pair tied
  to one background row, every background row used equally often. Each permutation's marginal
  contributions telescope to f(x) − f(b), so the values are additive by construction.
- kernel: shap.KernelExplainer with l1_reg=False (its default keeps only 10 features).
- gradient: expected gradients (a fast approximation; not additive, and the check says so).
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn

from ..errors import HybridXAIError
from .background import CACHE, array_hash, clear_cache, model_hash, select_background  # noqa: F401

METHODS = ("auto", "exact", "permutation", "kernel", "gradient")
METHOD_LABELS = {
    "exact": "exact Shapley values (all coalitions)",
    "permutation": "permutation sampling (additive)",
    "kernel": "Kernel SHAP (l1_reg off)",
    "gradient": "expected gradients (fast approximation, not additive)",
}
ADDITIVITY_TOLERANCE = 1e-4
# auto picks exact while one row costs at most this many forward rows (2^F × background):
# ~2.5 s per row at the measured 80-100k rows/s (F ≤ 11 with 100 background rows).
EXACT_BUDGET = 2**11 * 100
BATCH_ROWS = 4096  # forward rows per model call: the measured sweet spot on one CPU thread


class ExplanationCancelled(HybridXAIError):
    """Raised by `ShapExplainer.explain` when its cancel flag was set."""


@dataclass(frozen=True)
class ShapProgress:
    done: int  # rows finished
    total: int  # rows to explain
    message: str = ""


@dataclass
class ShapResult:
    values: np.ndarray  # (R, F, C) float64 SHAP values of the logits
    base_values: np.ndarray  # (C,) mean logit over the background
    model_output: np.ndarray  # (R, C) the model's logits for the explained rows
    rows: np.ndarray  # (R,) row ids (0-based data rows, or positions when not given)
    X: np.ndarray  # (R, F) the explained (scaled) inputs
    feature_names: list[str]
    class_names: list[str]
    method: str  # the method actually used (never "auto")
    background_size: int
    additivity_gap: float  # max |base + Σφ − logit| over rows and classes
    additive: bool  # gap <= tolerance
    n_evaluations: int  # forward rows (or gradient rows) spent per explained row
    seconds: float
    predicted: np.ndarray  # (R,) argmax of model_output
    true: np.ndarray | None = None  # (R,) true class indices when known
    X_raw: np.ndarray | None = None  # (R, F) unscaled inputs for display
    tolerance: float = ADDITIVITY_TOLERANCE
    options: dict = field(default_factory=dict)
    from_cache: bool = False

    @property
    def n_rows(self) -> int:
        return self.values.shape[0]

    @property
    def additivity_message(self) -> str:
        """One line for plots and status labels: the largest gap and whether the check passed."""
        gap = f"{self.additivity_gap:.1e}"
        if self.additive:
            return f"Additivity OK: base + ΣSHAP matches the model logit (largest gap {gap})"
        note = " (expected: this method is an approximation)" if self.method == "gradient" else ""
        return (f"Additivity FAILED: base + ΣSHAP misses the model logit by up to {gap} "
                f"(tolerance {self.tolerance:.0e}){note}")

    def mean_abs(self) -> np.ndarray:
        """(F, C) mean |SHAP| per feature and class: the global importance."""
        return np.abs(self.values).mean(axis=0)


# --------------------------------------------------------------------------------------------
# Helpers


def _as_cancel(cancel) -> Callable[[], bool]:
    if cancel is None:
        return lambda: False
    if isinstance(cancel, threading.Event):
        return cancel.is_set
    if callable(cancel):
        return cancel
    raise TypeError("cancel must be None, a threading.Event or a callable returning bool")


class _LogitsOnly(nn.Module):
    """forward(x) -> logits, for code that expects a single-output model."""

    def __init__(self, model: nn.Module):
        super().__init__()
        self.model = model

    def forward(self, x):
        out = self.model(x)
        return out[0] if isinstance(out, tuple) else out


def _shapley_weights(n: int) -> np.ndarray:
    """w[s] = s! (n − s − 1)! / n! for s = 0 .. n−1 (coalition size s, not containing i)."""
    return np.array([math.exp(math.lgamma(s + 1) + math.lgamma(n - s) - math.lgamma(n + 1)) for s in range(n)])


# --------------------------------------------------------------------------------------------


class ShapExplainer:
    """SHAP values of a classifier's logits against a background set.

    `model(x)` takes a float tensor (B, F) and returns logits (B, C) or a tuple whose first item
    is the logits (the hybrid model returns (logits, attention)). `background` holds scaled rows.

    Options: n_permutations (permutation: per explained row, rounded up so every background row
    gets the same number of antithetic pairs; default 4 × background size), nsamples (kernel,
    default 2F + 2048), gradient_samples (gradient, default 200), seed, batch_rows, tolerance,
    exact_budget (auto: largest 2^F × background for exact), cache (True).
    """

    def __init__(self, model: nn.Module, background: np.ndarray, method: str = "auto",
                 feature_names: Sequence[str] | None = None, class_names: Sequence[str] | None = None,
                 **options):
        if method not in METHODS:
            raise HybridXAIError(f"Unknown SHAP method '{method}': use one of {', '.join(METHODS)}.")
        bg = np.asarray(background, dtype=np.float32)
        if bg.ndim != 2 or len(bg) == 0:
            raise HybridXAIError("The SHAP background needs at least one row of features.")
        if not np.isfinite(bg).all():
            raise HybridXAIError("The SHAP background contains missing or infinite values.")
        self.model = model
        self.background = bg
        self.n_features = bg.shape[1]
        self.feature_names = list(feature_names) if feature_names is not None else [
            f"f{i + 1}" for i in range(self.n_features)]
        if len(self.feature_names) != self.n_features:
            raise HybridXAIError(f"{len(self.feature_names)} feature names for {self.n_features} features.")
        known = {"n_permutations", "nsamples", "gradient_samples", "seed", "batch_rows", "tolerance",
                 "exact_budget", "cache"}
        unknown = set(options) - known
        if unknown:
            raise TypeError(f"Unknown ShapExplainer option(s): {', '.join(sorted(unknown))}")
        self.options = options
        self.batch_rows = int(options.get("batch_rows", BATCH_ROWS))
        self.tolerance = float(options.get("tolerance", ADDITIVITY_TOLERANCE))
        self.seed = int(options.get("seed", 0))
        self.requested_method = method
        self.method = self.choose_method(method, self.n_features, len(bg),
                                         options.get("exact_budget", EXACT_BUDGET))
        self._base = self._forward(bg).mean(axis=0)  # (C,) float64
        n_classes = self._base.shape[0]
        self.class_names = list(class_names) if class_names is not None else [str(c) for c in range(n_classes)]
        if len(self.class_names) != n_classes:
            raise HybridXAIError(f"{len(self.class_names)} class names for a model with {n_classes} outputs.")

    @staticmethod
    def choose_method(method: str, n_features: int, background_size: int, exact_budget: int = EXACT_BUDGET) -> str:
        if method != "auto":
            return method
        return "exact" if (2 ** n_features) * background_size <= exact_budget else "permutation"

    # -- model calls -------------------------------------------------------------------------

    def _forward(self, X) -> np.ndarray:
        """Logits (N, C) as float64, in batches, eval mode + inference mode."""
        X = torch.as_tensor(np.asarray(X, dtype=np.float32))
        out = []
        was_training = self.model.training
        self.model.eval()
        try:
            with torch.inference_mode():
                for i in range(0, len(X), self.batch_rows):
                    logits = self.model(X[i:i + self.batch_rows])
                    logits = logits[0] if isinstance(logits, tuple) else logits
                    out.append(logits.double().numpy())
        finally:
            self.model.train(was_training)
        return np.concatenate(out) if out else np.zeros((0, 0))

    def _forward_tensor(self, X: torch.Tensor) -> np.ndarray:
        # inference mode only around the call: a generator must not yield inside it (the mode is
        # thread-local and would leak into the consumer's code between items)
        with torch.inference_mode():
            out = self.model(X)
            out = out[0] if isinstance(out, tuple) else out
            return out.double().numpy()

    # -- public verb ---------------------------------------------------------------------------

    def explain(self, X: np.ndarray, rows: Sequence[int] | None = None, *, X_raw=None, true=None,
                cancel=None) -> ShapResult:
        """Explain the rows of X (scaled, (R, F)); raises ExplanationCancelled when cancelled."""
        gen = self.iter_explain(X, rows, X_raw=X_raw, true=true, cancel=cancel)
        try:
            while True:
                next(gen)
        except StopIteration as stop:
            if stop.value is None:
                raise ExplanationCancelled("The SHAP computation was cancelled.") from None
            return stop.value

    def iter_explain(self, X: np.ndarray, rows: Sequence[int] | None = None, *, X_raw=None, true=None,
                     cancel=None) -> Iterator[ShapProgress]:
        """Generator form: yields ShapProgress, returns the ShapResult (None when cancelled).

        `cancel` is a callable returning True to stop, or a threading.Event; it is checked between
        model batches, so a cancel takes effect within a fraction of a second.
        """
        is_cancelled = _as_cancel(cancel)
        X = np.asarray(X, dtype=np.float32)
        if X.ndim == 1:
            X = X[None, :]
        if X.ndim != 2 or X.shape[1] != self.n_features:
            raise HybridXAIError(
                f"Rows to explain have {X.shape[-1]} features; the model expects {self.n_features}.")
        if len(X) == 0:
            raise HybridXAIError("No rows selected to explain.")
        if not np.isfinite(X).all():
            raise HybridXAIError("The rows to explain contain missing or infinite values.")
        R = len(X)
        rows_arr = np.arange(R) if rows is None else np.asarray(rows, dtype=np.int64)
        if rows_arr.shape != (R,):
            raise HybridXAIError(f"{len(rows_arr)} row ids for {R} rows.")
        true_arr = None if true is None else np.asarray(true, dtype=np.int64)

        key = None
        if self.options.get("cache", True):
            opts = tuple(sorted((k, v) for k, v in self.options.items() if k != "cache"))
            key = (model_hash(self.model), array_hash(X), tuple(rows_arr.tolist()), self.method,
                   array_hash(self.background), opts)
            hit = CACHE.get(key)
            if hit is not None:
                yield ShapProgress(R, R, "cached")
                return _copy_result(hit, X_raw=X_raw, true=true_arr, feature_names=self.feature_names,
                                    class_names=self.class_names)

        start = time.perf_counter()
        yield ShapProgress(0, R, f"{self.method}: starting")
        runner = {"exact": self._run_exact, "permutation": self._run_permutation,
                  "kernel": self._run_kernel, "gradient": self._run_gradient}[self.method]
        values = np.zeros((R, self.n_features, len(self._base)))
        was_training = self.model.training
        self.model.eval()  # BatchNorm/dropout in inference behaviour; the caller's mode is restored
        try:
            n_eval = yield from runner(X, values, is_cancelled)
        finally:
            self.model.train(was_training)
        if n_eval is None:
            return None
        seconds = time.perf_counter() - start

        logits = self._forward(X)  # independent pass: the additivity check's reference
        gap = float(np.abs(self._base[None, :] + values.sum(axis=1) - logits).max())
        result = ShapResult(
            values=values, base_values=self._base.copy(), model_output=logits, rows=rows_arr, X=X.copy(),
            feature_names=list(self.feature_names), class_names=list(self.class_names), method=self.method,
            background_size=len(self.background), additivity_gap=gap, additive=bool(gap <= self.tolerance),
            n_evaluations=int(n_eval), seconds=seconds, predicted=logits.argmax(axis=1), true=true_arr,
            X_raw=None if X_raw is None else np.asarray(X_raw, dtype=np.float64),
            tolerance=self.tolerance, options=dict(self.options))
        if key is not None:
            CACHE.put(key, result)
        yield ShapProgress(R, R, "done")
        return result

    # -- exact ----------------------------------------------------------------------------------

    def _run_exact(self, X, values, is_cancelled):
        F = self.n_features
        B = len(self.background)
        if F > 20:
            raise HybridXAIError(f"Exact SHAP for {F} features needs 2^{F} coalitions: use permutation.")
        n_coal = 2 ** F
        codes = np.arange(n_coal)
        masks = ((codes[:, None] >> np.arange(F)[None, :]) & 1).astype(bool)  # (2^F, F), bit i = feature i
        sizes = masks.sum(axis=1)
        weights = _shapley_weights(F)
        # For feature i: coalitions S without i, their size-weights, and S ∪ {i}.
        without = [codes[~masks[:, i]] for i in range(F)]
        bg = torch.from_numpy(self.background)  # (B, F)
        masks_t = torch.from_numpy(masks)
        # Coalitions per model call; several rows share a call when 2^F × B is small.
        coal_per_call = max(1, self.batch_rows // B)
        rows_per_group = max(1, coal_per_call // n_coal)
        R = len(X)
        for g0 in range(0, R, rows_per_group):
            g1 = min(R, g0 + rows_per_group)
            xg = torch.from_numpy(X[g0:g1])  # (G, F)
            # all (row, coalition) pairs of the group, enumerated row-major
            pair_row = np.repeat(np.arange(g1 - g0), n_coal)
            pair_code = np.tile(codes, g1 - g0)
            v = np.empty((len(pair_row), len(self._base)))
            for p0 in range(0, len(pair_row), coal_per_call):
                if is_cancelled():
                    return None
                p1 = min(len(pair_row), p0 + coal_per_call)
                m = masks_t[pair_code[p0:p1]]  # (P, F)
                x = xg[pair_row[p0:p1]]  # (P, F)
                z = torch.where(m[:, None, :], x[:, None, :], bg[None, :, :])  # (P, B, F)
                out = self._forward_tensor(z.reshape(-1, F))  # (P*B, C)
                v[p0:p1] = out.reshape(p1 - p0, B, -1).mean(axis=1)
            v = v.reshape(g1 - g0, n_coal, -1)  # (G, 2^F, C)
            for i in range(F):
                s = without[i]
                w = weights[sizes[s]]  # (2^(F-1),)
                diff = v[:, s | (1 << i), :] - v[:, s, :]  # (G, 2^(F-1), C)
                values[g0:g1, i, :] = np.einsum("s,gsc->gc", w, diff)
            yield ShapProgress(g1, R, f"exact: {g1}/{R} rows")
        return n_coal * B

    # -- permutation ----------------------------------------------------------------------------

    def _run_permutation(self, X, values, is_cancelled):
        F = self.n_features
        B = len(self.background)
        C = len(self._base)
        requested = int(self.options.get("n_permutations", 4 * B))
        pairs_per_bg = max(1, math.ceil(requested / (2 * B)))  # antithetic pairs per background row
        n_perm = 2 * pairs_per_bg * B  # per explained row
        rng = np.random.default_rng(self.seed)
        bg = torch.from_numpy(self.background)
        f_bg = self._forward(self.background)  # (B, C): v_0 of each permutation, shared by all rows
        f_x = self._forward(X)  # (R, C): v_F
        if F == 1:  # one feature: φ = f(x) − base, no coalitions needed
            values[:, 0, :] = f_x - self._base
            yield ShapProgress(len(X), len(X), "permutation: done")
            return 0
        inner = F - 1  # intermediate coalitions per permutation (sizes 1 .. F−1)
        perms_per_call = max(1, self.batch_rows // inner)
        rows_per_group = max(1, perms_per_call // n_perm)
        steps = torch.arange(1, F)[:, None]  # (F-1, 1)
        R = len(X)
        bg_index = np.repeat(np.arange(B), 2 * pairs_per_bg)  # each bg row equally often; pairs adjacent
        for g0 in range(0, R, rows_per_group):
            g1 = min(R, g0 + rows_per_group)
            G = g1 - g0
            # ranks[p, i] = position of feature i in permutation p; odd p = reverse of p − 1
            half = np.argsort(rng.random((G * n_perm // 2, F)), axis=1)
            ranks_half = np.argsort(half, axis=1)
            ranks = np.empty((G * n_perm, F), dtype=np.int64)
            ranks[0::2] = ranks_half
            ranks[1::2] = F - 1 - ranks_half
            perm_row = np.repeat(np.arange(G), n_perm)
            perm_bg = np.tile(bg_index, G)
            # v[p, k] for k = 0 .. F: value after the first k features of permutation p are set
            v = np.empty((G * n_perm, F + 1, C))
            v[:, 0] = f_bg[perm_bg]
            v[:, F] = f_x[g0 + perm_row]
            ranks_t = torch.from_numpy(ranks)
            xg = torch.from_numpy(X[g0:g1])
            for p0 in range(0, G * n_perm, perms_per_call):
                if is_cancelled():
                    return None
                p1 = min(G * n_perm, p0 + perms_per_call)
                m = ranks_t[p0:p1, None, :] < steps[None]  # (P, F-1, F): coalition of the first k
                x = xg[perm_row[p0:p1]][:, None, :]  # (P, 1, F)
                b = bg[perm_bg[p0:p1]][:, None, :]  # (P, 1, F)
                z = torch.where(m, x, b)  # (P, F-1, F)
                v[p0:p1, 1:F] = self._forward_tensor(z.reshape(-1, F)).reshape(p1 - p0, inner, C)
            contrib = np.diff(v, axis=1)  # (P, F, C): contribution of the feature at each position
            per_feature = np.take_along_axis(contrib, ranks[:, :, None], axis=1)  # (P, F, C)
            values[g0:g1] = per_feature.reshape(G, n_perm, F, C).mean(axis=1)
            yield ShapProgress(g1, R, f"permutation: {g1}/{R} rows")
        return n_perm * inner

    # -- kernel ---------------------------------------------------------------------------------

    def _run_kernel(self, X, values, is_cancelled):
        import shap

        F = self.n_features
        nsamples = int(self.options.get("nsamples", 2 * F + 2048))

        def f(data):
            return self._forward(data)

        explainer = shap.KernelExplainer(f, self.background, link="identity")
        for r in range(len(X)):
            if is_cancelled():
                return None
            sv = explainer.shap_values(X[r:r + 1], nsamples=nsamples, l1_reg=False, silent=True)
            sv = np.asarray(sv)
            if sv.ndim == 2:  # single-output models give (rows, features)
                sv = sv[..., None]
            values[r] = sv[0]
            yield ShapProgress(r + 1, len(X), f"kernel: {r + 1}/{len(X)} rows")
        # shap's expected value comes from the same background forward pass as ours
        return min(nsamples, 2 ** F) * len(self.background)

    # -- gradient (expected gradients) ----------------------------------------------------------

    def _run_gradient(self, X, values, is_cancelled):
        n = int(self.options.get("gradient_samples", 200))
        rng = np.random.default_rng(self.seed)
        bg = torch.from_numpy(self.background)
        C = len(self._base)
        for r in range(len(X)):
            if is_cancelled():
                return None
            x = torch.from_numpy(X[r:r + 1])  # (1, F)
            b = bg[rng.integers(0, len(bg), size=n)]  # (n, F)
            alpha = torch.from_numpy(rng.random((n, 1)).astype(np.float32))
            point = (b + alpha * (x - b)).requires_grad_(True)  # (n, F)
            with torch.enable_grad():
                out = self.model(point)
                logits = out[0] if isinstance(out, tuple) else out  # (n, C)
                for c in range(C):
                    (grad,) = torch.autograd.grad(logits[:, c].sum(), point, retain_graph=c < C - 1)
                    values[r, :, c] = ((x - b) * grad).double().mean(dim=0).numpy()
            yield ShapProgress(r + 1, len(X), f"gradient: {r + 1}/{len(X)} rows")
        return n


def _copy_result(hit: ShapResult, *, X_raw, true, feature_names, class_names) -> ShapResult:
    from dataclasses import replace

    return replace(hit, values=hit.values.copy(), X_raw=None if X_raw is None else np.asarray(X_raw, dtype=float),
                   true=true, feature_names=list(feature_names), class_names=list(class_names), from_cache=True)


__all__ = ["ShapExplainer", "ShapResult", "ShapProgress", "ExplanationCancelled", "select_background",
           "clear_cache", "model_hash", "METHODS", "METHOD_LABELS", "ADDITIVITY_TOLERANCE", "EXACT_BUDGET"]
