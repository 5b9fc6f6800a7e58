"""SHAP values for the hybrid model: exact, batched permutation, kernel and expected gradients.

Every method explains an output of the model (the logits, the class probabilities, or any function of
the logits) through the interventional game over players (single features, or groups of features):

    v(S) = mean over background rows b of out(x_S, b_~S)

where a coalition S takes the players in S from the explained row x and all others from b (a group is
switched as a whole). Its Shapley values satisfy base + Σφ = out(x) with base = mean_b out(b), in
whatever units `out` has: additivity holds for probabilities as for logits. After every run the gap
max |base + Σφ − out(x)| is measured against an independent forward pass and kept on the result; a
failed check is reported, never hidden.

Logits and probabilities come from the same forward passes (both are averaged per coalition), so one
run gives both sets of values (`ShapResult.in_units`).

Why our own exact and permutation code rather than shap's explainers: the model is cheap for big
batches (tens of thousands of rows per second on one thread) and expensive per call. shap evaluates
one coalition at a time per row (about 6 s per row at 30 features); here all coalitions of many rows
go through the model in batches of a thousand rows or more, which is 10-50 times faster.

Methods
- exact: all 2^G coalitions of the G players against every background row; Shapley weights applied as
  array ops.
- permutation: antithetic permutation sampling, each (permutation, reversed permutation) pair tied
  to one background row, every background row used equally often. Each permutation's marginal
  contributions telescope to out(x) − out(b), so the values are additive by construction.
- kernel: Kernel SHAP of our own (the estimator of shap's KernelExplainer with l1_reg=False, whose default keeps
  only 10 features); over groups it explains the game itself (a 0/1 mask per group).
- gradient: expected gradients (a fast approximation; not additive, and the check says so); a group's
  value is the sum of its features'.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterator, Sequence

import numpy as np
import torch
from torch import nn

from ..errors import HybridXAIError
from ..jobs import as_cancel, drain
from .background import CACHE, array_hash, clear_cache, model_hash, select_background  # noqa: F401
from .groups import check_groups, group_names_from, group_of
from .shap_kernel import KernelShap
from .shap_progress import ShapProgress, throttle
from .shap_result import ADDITIVITY_TOLERANCE, ShapResult, copy_result

METHODS = ("auto", "exact", "permutation", "kernel", "gradient")
OUTPUTS = ("logit", "probability")
METHOD_LABELS = {
    "exact": "exact Shapley values (all coalitions)",
    "permutation": "permutation sampling (additive)",
    "kernel": "Kernel SHAP (l1_reg off)",
    "gradient": "expected gradients (fast approximation, not additive)",
}
# auto picks exact while one row costs at most this many forward rows (2^G × background):
# ~2.5 s per row at the measured 80-100k rows/s (G ≤ 11 with 100 background rows).
EXACT_BUDGET = 2**11 * 100
# forward rows per model call. Measured on one thread (benchmarks/README.md, "Explain"): 1,024 rows were
# fastest for the default model at 30 features; 4,096 at 13 features was within a few per cent.
BATCH_ROWS = 1024
# exact SHAP keeps each background row's coalition values (for the values' standard error) up to this many numbers
# per explained row (8 bytes each: 40 MB); beyond it the error is not stated
PER_ROW_GAME_VALUES = 5_000_000


class ExplanationCancelled(HybridXAIError):
    """Raised by `ShapExplainer.explain` when its cancel flag was set."""


# --------------------------------------------------------------------------------------------
# Helpers


def _shapley_weights(n: int) -> np.ndarray:
    """w[s] = s! (n − s − 1)! / n! for s = 0 .. n−1 (coalition size s, not containing i)."""
    return np.array([math.exp(math.lgamma(s + 1) + math.lgamma(n - s) - math.lgamma(n + 1)) for s in range(n)])


# --------------------------------------------------------------------------------------------


class ShapExplainer(KernelShap):
    """SHAP values of a classifier's output against a background set.

    `model(x)` takes a float tensor (B, F) and returns logits (B, C) or a tuple whose first item
    is the logits (the hybrid model returns (logits, attention)). `background` holds scaled rows.

    output: "logit" (default), "probability" (softmax of the logits), or a function of the logits
    tensor (N, C) returning a tensor (N, K). With "logit" or "probability" the other units are computed
    from the same passes and kept on the result (`ShapResult.in_units`).
    groups: None (one player per feature) or a list of index arrays that partition the features; values
    are then shaped (R, G, C), one per group, named by `group_names` (default: "first–last" feature).

    Options: n_permutations (permutation: per explained row, rounded up so every background row
    gets the same number of antithetic pairs; default 4 × background size), nsamples (kernel,
    default 2G + 2048), gradient_samples (gradient, default 200), seed, batch_rows, tolerance,
    exact_budget (auto: largest 2^G × background for exact), cache (True).
    """

    def __init__(self, model: nn.Module, background: np.ndarray, method: str = "auto",
                 feature_names: Sequence[str] | None = None, class_names: Sequence[str] | None = None, *,
                 output: str | Callable = "logit", groups: Sequence | None = None,
                 group_names: Sequence[str] | None = None, **options):
        if method not in METHODS:
            raise HybridXAIError(f"Unknown SHAP method '{method}': use one of {', '.join(METHODS)}.")
        if not (callable(output) or output in OUTPUTS):
            raise HybridXAIError(f"Unknown SHAP output '{output}': use one of {', '.join(OUTPUTS)}.")
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
        if groups is None:
            self.groups, self._owner = None, None
            self.unit_names = list(self.feature_names)
        else:
            self.groups = check_groups(groups, self.n_features)
            self._owner = group_of(self.groups, self.n_features)
            self.unit_names = (list(group_names) if group_names is not None
                               else group_names_from(self.groups, self.feature_names))
            if len(self.unit_names) != len(self.groups):
                raise HybridXAIError(f"{len(self.unit_names)} group names for {len(self.groups)} groups.")
        self.n_players = len(self.unit_names)
        known = {"n_permutations", "nsamples", "gradient_samples", "seed", "batch_rows", "tolerance",
                 "exact_budget", "cache"}
        unknown = set(options) - known
        if unknown:
            raise TypeError(f"Unknown ShapExplainer option(s): {', '.join(sorted(unknown))}")
        self.options = options
        self.output = output
        self.batch_rows = int(options.get("batch_rows", BATCH_ROWS))
        self.tolerance = float(options.get("tolerance", ADDITIVITY_TOLERANCE))
        self.seed = int(options.get("seed", 0))
        self.requested_method = method
        self.method = self.choose_method(method, self.n_players, len(bg),
                                         options.get("exact_budget", EXACT_BUDGET))
        self._base = self._forward(bg).mean(axis=0)  # (K,) float64: main outputs, then the other units
        self.n_outputs = self._base.shape[0] // 2 if output in OUTPUTS else self._base.shape[0]
        n_classes = self.n_outputs
        self.class_names = list(class_names) if class_names is not None else [str(c) for c in range(n_classes)]
        if len(self.class_names) != n_classes:
            raise HybridXAIError(f"{len(self.class_names)} class names for a model with {n_classes} outputs.")

    @staticmethod
    def choose_method(method: str, n_players: int, background_size: int, exact_budget: int = EXACT_BUDGET) -> str:
        if method != "auto":
            return method
        return "exact" if (2 ** n_players) * background_size <= exact_budget else "permutation"

    def evaluations_per_row(self) -> int:
        """Rows through the model that explaining one row costs (what a run's time is made of)."""
        B, G = len(self.background), self.n_players
        if self.method == "exact":
            return 2 ** G * B
        if self.method == "permutation":
            pairs = max(1, math.ceil(int(self.options.get("n_permutations", 4 * B)) / (2 * B)))
            return 2 * pairs * B * max(0, G - 1)
        if self.method == "kernel":
            return min(max(2, int(self.options.get("nsamples", 2 * G + 2048))), 2 ** G) * B
        return 3 * int(self.options.get("gradient_samples", 200))  # a forward and a backward pass per sample

    @property
    def units(self) -> str:
        return self.output if self.output in OUTPUTS else "output"

    # -- model calls -------------------------------------------------------------------------

    def _outputs(self, raw) -> torch.Tensor:
        """The explained outputs of a model call (N, K): the main units first, then the other units."""
        logits = (raw[0] if isinstance(raw, tuple) else raw).double()  # (N, C)
        if self.output == "logit":
            return torch.cat([logits, torch.softmax(logits, dim=1)], dim=1)
        if self.output == "probability":
            return torch.cat([torch.softmax(logits, dim=1), logits], dim=1)
        out = self.output(logits)
        return (out[:, None] if out.ndim == 1 else out).double()

    def _forward_each(self, X) -> np.ndarray:
        """Outputs of each row in a pass of its own: the same numbers whatever rows are explained beside it."""
        X = np.asarray(X, dtype=np.float32)
        return np.concatenate([self._forward(X[i:i + 1]) for i in range(len(X))]) if len(X) else self._forward(X)

    def _forward(self, X) -> np.ndarray:
        """Outputs (N, K) as float64, in batches, eval mode + inference mode."""
        X = torch.as_tensor(np.asarray(X, dtype=np.float32))
        out = []
        was_training = self.model.training
        self.model.eval()
        try:
            with torch.inference_mode():
                for i in range(0, len(X), self.batch_rows):
                    out.append(self._outputs(self.model(X[i:i + self.batch_rows])).numpy())
        finally:
            self.model.train(was_training)
        return np.concatenate(out) if out else np.zeros((0, 0))

    def _forward_tensor(self, X: torch.Tensor) -> np.ndarray:
        # inference mode only around the call: a generator must not yield inside it (the mode is
        # thread-local and would leak into the consumer's code between items)
        with torch.inference_mode():
            out = []
            for i in range(0, len(X), self.batch_rows):
                out.append(self._outputs(self.model(X[i:i + self.batch_rows])).numpy())
            return np.concatenate(out)

    # -- public verb ---------------------------------------------------------------------------

    def explain(self, X: np.ndarray, rows: Sequence[int] | None = None, *, X_raw=None, true=None,
                cancel=None) -> ShapResult:
        """Explain the rows of X (scaled, (R, F)); raises ExplanationCancelled when cancelled."""
        result = drain(self.iter_explain(X, rows, X_raw=X_raw, true=true, cancel=cancel))
        if result is None:
            raise ExplanationCancelled("The SHAP computation was cancelled.")
        return result

    def iter_explain(self, X: np.ndarray, rows: Sequence[int] | None = None, *, X_raw=None, true=None,
                     cancel=None) -> Iterator[ShapProgress]:
        """Generator form: yields ShapProgress, returns the ShapResult (None when cancelled).

        `cancel` is a callable returning True to stop, or a threading.Event; it is checked between
        model batches, so a cancel takes effect within a fraction of a second.
        """
        is_cancelled = as_cancel(cancel)
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
        if self.options.get("cache", True) and not callable(self.output):
            opts = tuple(sorted((k, v) for k, v in self.options.items() if k != "cache"))
            groups_key = None if self.groups is None else array_hash(self._owner)
            key = (model_hash(self.model), array_hash(X), tuple(rows_arr.tolist()), self.method,
                   array_hash(self.background), opts, self.output, groups_key, tuple(self.unit_names))
            hit = CACHE.get(key)
            if hit is not None:
                yield ShapProgress(R, R, "cached")
                return copy_result(hit, X_raw=X_raw, true=true_arr, feature_names=self.unit_names,
                                   class_names=self.class_names)

        start = time.perf_counter()
        yield ShapProgress(0, R, f"{self.method}: starting")
        runner = {"exact": self._run_exact, "permutation": self._run_permutation,
                  "kernel": self._run_kernel, "gradient": self._run_gradient}[self.method]
        values = np.zeros((R, self.n_players, len(self._base)))
        # each value's standard error, filled by the runners that can state one (exact and permutation)
        self._standard_error = np.zeros_like(values) if self.method in ("exact", "permutation") else None
        was_training = self.model.training
        self.model.eval()  # BatchNorm/dropout in inference behaviour; the caller's mode is restored
        try:
            self._row_ids = rows_arr  # seeds per row: the same row gets the same draws in any batch or process
            n_eval = yield from runner(X, values, is_cancelled)
        finally:
            self.model.train(was_training)
        if n_eval is None:
            return None
        seconds = time.perf_counter() - start

        outputs = self._forward_each(X)  # independent pass: the additivity check's reference
        gap = float(np.abs(self._base[None, :] + values.sum(axis=1) - outputs).max())
        C = self.n_outputs
        alternate = None
        se = self._standard_error
        if self.output in OUTPUTS:
            alternate = {"units": "probability" if self.output == "logit" else "logit", "values": values[:, :, C:],
                         "base_values": self._base[C:].copy(), "model_output": outputs[:, C:],
                         "standard_error": None if se is None else se[:, :, C:]}
        result = ShapResult(
            values=values[:, :, :C], base_values=self._base[:C].copy(), model_output=outputs[:, :C], rows=rows_arr,
            X=X.copy(), feature_names=list(self.unit_names), class_names=list(self.class_names), method=self.method,
            background_size=len(self.background), additivity_gap=gap, additive=bool(gap <= self.tolerance),
            n_evaluations=int(n_eval), seconds=seconds, predicted=outputs[:, :C].argmax(axis=1), true=true_arr,
            X_raw=None if X_raw is None else np.asarray(X_raw, dtype=np.float64),
            tolerance=self.tolerance, options=dict(self.options), units=self.units,
            groups=None if self.groups is None else [g.copy() for g in self.groups],
            input_names=None if self.groups is None else list(self.feature_names), alternate=alternate,
            standard_error=None if se is None else se[:, :, :C])
        if key is not None:
            CACHE.put(key, result)
        yield ShapProgress(R, R, "done")
        return result

    # -- feature masks of coalitions ------------------------------------------------------------

    def _feature_mask(self, player_mask: np.ndarray) -> np.ndarray:
        """(..., G) coalition of players -> (..., F) which features come from x."""
        return player_mask if self._owner is None else player_mask[..., self._owner]

    # -- exact ----------------------------------------------------------------------------------

    def _run_exact(self, X, values, is_cancelled):
        F, G = self.n_features, self.n_players
        B = len(self.background)
        if G > 20:
            raise HybridXAIError(f"Exact SHAP for {G} features needs 2^{G} coalitions: use permutation.")
        n_coal = 2 ** G
        codes = np.arange(n_coal)
        masks = ((codes[:, None] >> np.arange(G)[None, :]) & 1).astype(bool)  # (2^G, G), bit i = player i
        sizes = masks.sum(axis=1)
        weights = _shapley_weights(G)
        # For player i: coalitions S without i, their size-weights, and S ∪ {i}.
        without = [codes[~masks[:, i]] for i in range(G)]
        bg = torch.from_numpy(self.background)  # (B, F)
        masks_t = torch.from_numpy(self._feature_mask(masks))  # (2^G, F)
        # Coalitions per model call, one row's at a time: a row's numbers never depend on which rows share its
        # batch (nor which process it runs in: see parallel.py), to the last digit.
        coal_per_call = max(1, self.batch_rows // B)
        rows_per_group = 1
        R = len(X)
        due = throttle()
        K = len(self._base)
        # each background row's own game too (its exact values' spread over the rows is the values' background
        # sampling error), while that fits in memory
        per_row_games = B > 1 and n_coal * B * K <= PER_ROW_GAME_VALUES
        if not per_row_games:
            self._standard_error[:] = np.nan  # no statement rather than a wrong one
        for g0 in range(0, R, rows_per_group):
            g1 = min(R, g0 + rows_per_group)
            xg = torch.from_numpy(X[g0:g1])  # (Rg, F)
            # all (row, coalition) pairs of the group, enumerated row-major
            pair_row = np.repeat(np.arange(g1 - g0), n_coal)
            pair_code = np.tile(codes, g1 - g0)
            v = np.empty((len(pair_row), K))
            vb = np.empty((len(pair_row), B, K)) if per_row_games else None
            for p0 in range(0, len(pair_row), coal_per_call):
                if is_cancelled():
                    return None
                p1 = min(len(pair_row), p0 + coal_per_call)
                m = masks_t[pair_code[p0:p1]]  # (P, F)
                x = xg[pair_row[p0:p1]]  # (P, F)
                z = torch.where(m[:, None, :], x[:, None, :], bg[None, :, :])  # (P, B, F)
                out = self._forward_tensor(z.reshape(-1, F)).reshape(p1 - p0, B, -1)  # (P, B, K)
                v[p0:p1] = out.mean(axis=1)
                if vb is not None:
                    vb[p0:p1] = out
                if due():
                    yield ShapProgress(g0, R, f"exact: row {g0 + 1}/{R}", (g0 + p1 / len(pair_row)) / R)
            v = v.reshape(g1 - g0, n_coal, -1)  # (Rg, 2^G, K)
            for i in range(G):
                s = without[i]
                w = weights[sizes[s]]  # (2^(G-1),)
                diff = v[:, s | (1 << i), :] - v[:, s, :]  # (Rg, 2^(G-1), K)
                values[g0:g1, i, :] = np.einsum("s,gsk->gk", w, diff)
            if vb is not None:
                vb = vb.reshape(g1 - g0, n_coal, B, K)
                phi_b = np.empty((g1 - g0, B, G, K))  # exact values against each background row alone
                for i in range(G):
                    s = without[i]
                    phi_b[:, :, i, :] = np.einsum("s,gsbk->gbk", weights[sizes[s]],
                                                  vb[:, s | (1 << i)] - vb[:, s])
                self._standard_error[g0:g1] = phi_b.std(axis=1, ddof=1) / math.sqrt(B)
            yield ShapProgress(g1, R, f"exact: {g1}/{R} rows", g1 / R)
        return n_coal * B

    def _row_rng(self, position: int) -> np.random.Generator:
        """The random draws of the row at `position` of the rows being explained, seeded by its row id."""
        row_id = int(self._row_ids[position]) if getattr(self, "_row_ids", None) is not None else position
        return np.random.default_rng([self.seed, abs(row_id)])

    # -- permutation ----------------------------------------------------------------------------

    def _run_permutation(self, X, values, is_cancelled):
        F, G = self.n_features, self.n_players
        B = len(self.background)
        K = len(self._base)
        requested = int(self.options.get("n_permutations", 4 * B))
        pairs_per_bg = max(1, math.ceil(requested / (2 * B)))  # antithetic pairs per background row
        n_perm = 2 * pairs_per_bg * B  # per explained row
        bg = torch.from_numpy(self.background)
        f_bg = self._forward(self.background)  # (B, K): v_0 of each permutation, shared by all rows
        f_x = self._forward_each(X)  # (R, K): v_G
        if G == 1:  # one player: φ = out(x) − base, no coalitions needed
            values[:, 0, :] = f_x - self._base
            self._standard_error[:, 0, :] = f_bg.std(axis=0, ddof=1) / math.sqrt(B) if B > 1 else np.nan
            yield ShapProgress(len(X), len(X), "permutation: done")
            return 0
        inner = G - 1  # intermediate coalitions per permutation (sizes 1 .. G−1)
        perms_per_call = max(1, self.batch_rows // inner)
        rows_per_group = 1  # one row's permutations per call: its values never depend on its neighbours
        steps = torch.arange(1, G)[:, None]  # (G-1, 1)
        owner = None if self._owner is None else torch.from_numpy(self._owner)
        R = len(X)
        due = throttle()
        bg_index = np.repeat(np.arange(B), 2 * pairs_per_bg)  # each bg row equally often; pairs adjacent
        for g0 in range(0, R, rows_per_group):
            g1 = min(R, g0 + rows_per_group)
            Rg = g1 - g0
            # ranks[p, i] = position of player i in permutation p; odd p = reverse of p − 1. Each row draws its
            # permutations from its own seed: its values do not depend on which rows share its batch or process.
            half = np.argsort(np.concatenate([self._row_rng(g).random((n_perm // 2, G)) for g in range(g0, g1)]),
                              axis=1)
            ranks_half = np.argsort(half, axis=1)
            ranks = np.empty((Rg * n_perm, G), dtype=np.int64)
            ranks[0::2] = ranks_half
            ranks[1::2] = G - 1 - ranks_half
            perm_row = np.repeat(np.arange(Rg), n_perm)
            perm_bg = np.tile(bg_index, Rg)
            # v[p, k] for k = 0 .. G: value after the first k players of permutation p are set
            v = np.empty((Rg * n_perm, G + 1, K))
            v[:, 0] = f_bg[perm_bg]
            v[:, G] = f_x[g0 + perm_row]
            ranks_t = torch.from_numpy(ranks)
            feature_ranks = ranks_t if owner is None else ranks_t[:, owner]  # (P, F): rank of each feature's player
            xg = torch.from_numpy(X[g0:g1])
            for p0 in range(0, Rg * n_perm, perms_per_call):
                if is_cancelled():
                    return None
                p1 = min(Rg * n_perm, p0 + perms_per_call)
                m = feature_ranks[p0:p1, None, :] < steps[None]  # (P, G-1, F): coalition of the first k
                x = xg[perm_row[p0:p1]][:, None, :]  # (P, 1, F)
                b = bg[perm_bg[p0:p1]][:, None, :]  # (P, 1, F)
                z = torch.where(m, x, b)  # (P, G-1, F)
                v[p0:p1, 1:G] = self._forward_tensor(z.reshape(-1, F)).reshape(p1 - p0, inner, K)
                if due():  # a series row takes seconds: say how far into it
                    yield ShapProgress(g0, R, f"permutation: row {g0 + 1}/{R}", (g0 + p1 / (Rg * n_perm)) / R)
            contrib = np.diff(v, axis=1)  # (P, G, K): contribution of the player at each position
            per_player = np.take_along_axis(contrib, ranks[:, :, None], axis=1)  # (P, G, K)
            values[g0:g1] = per_player.reshape(Rg, n_perm, G, K).mean(axis=1)
            # each value's standard error: the spread over the background rows of each row's own estimate (the mean
            # of its pairs of permutations), over √rows. It counts the permutations and the sample of background
            # rows: how far the value may be from what more permutations and more rows of the same data would give.
            if B > 1:
                row_means = per_player.reshape(Rg, B, 2 * pairs_per_bg, G, K).mean(axis=2)  # (Rg, B, G, K)
                self._standard_error[g0:g1] = row_means.std(axis=1, ddof=1) / math.sqrt(B)
            else:
                self._standard_error[g0:g1] = np.nan
            yield ShapProgress(g1, R, f"permutation: {g1}/{R} rows", g1 / R)
        return n_perm * inner

    # -- gradient (expected gradients) ----------------------------------------------------------

    def _run_gradient(self, X, values, is_cancelled):
        n = int(self.options.get("gradient_samples", 200))
        bg = torch.from_numpy(self.background)
        K = len(self._base)
        for r in range(len(X)):
            if is_cancelled():
                return None
            x = torch.from_numpy(X[r:r + 1])  # (1, F)
            rng = self._row_rng(r)
            b = bg[rng.integers(0, len(bg), size=n)]  # (n, F)
            alpha = torch.from_numpy(rng.random((n, 1)).astype(np.float32))
            point = (b + alpha * (x - b)).requires_grad_(True)  # (n, F)
            per_feature = np.zeros((self.n_features, K))
            with torch.enable_grad():
                out = self._outputs(self.model(point))  # (n, K)
                for k in range(K):
                    (grad,) = torch.autograd.grad(out[:, k].sum(), point, retain_graph=k < K - 1)
                    per_feature[:, k] = ((x - b) * grad).double().mean(dim=0).numpy()
            if self.groups is None:
                values[r] = per_feature
            else:
                for g, members in enumerate(self.groups):
                    values[r, g] = per_feature[members].sum(axis=0)
            yield ShapProgress(r + 1, len(X), f"gradient: {r + 1}/{len(X)} rows")
        return n


__all__ = ["ShapExplainer", "ShapResult", "ShapProgress", "ExplanationCancelled", "select_background",
           "clear_cache", "model_hash", "METHODS", "METHOD_LABELS", "OUTPUTS", "ADDITIVITY_TOLERANCE",
           "EXACT_BUDGET"]
