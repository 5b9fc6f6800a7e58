"""Kernel SHAP (Lundberg & Lee 2017), one of ShapExplainer's methods (core.explain.shap_engine): kept in a
module of its own, as a mixin of the explainer, so that the engine stays readable."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch

from .shap_progress import ShapProgress


class KernelShap:
    """The kernel method of ShapExplainer: uses its background, groups, options and model calls."""

    def _run_kernel(self, X, values, is_cancelled):
        """Kernel SHAP (Lundberg & Lee 2017): the Shapley values as the weighted least-squares fit of v(S) on
        the coalitions, with efficiency (Σφ = v(all) − v(none)) as a constraint. Coalitions are enumerated
        when all 2^G − 2 fit in `nsamples` (then the values are exact), else drawn with probability ∝ the
        Shapley kernel by size, each with its complement (paired sampling), which makes the regression
        weights uniform. Our own, not shap.KernelExplainer: the same estimator without its numba/llvmlite
        dependency (190 MiB of the packaged app), with per-row seeds, and batched through the model."""
        G = self.n_players
        nsamples = max(2, int(self.options.get("nsamples", 2 * G + 2048)))
        for r in range(len(X)):
            if is_cancelled():
                return None
            masks, weight = self._kernel_coalitions(G, nsamples, self._row_rng(r))  # (M, G) bool, (M,)
            game = self._masked_game(X[r])
            v = game(masks)  # (M, K)
            v_all = game(np.ones((1, G), dtype=bool))[0]  # (K,)
            d = v_all - self._base  # what the values must add up to
            Z = masks.astype(np.float64)
            y = v - self._base[None, :] - Z[:, -1:] * d[None, :]  # eliminate the last player by efficiency
            A = Z[:, :-1] - Z[:, -1:]
            root = np.sqrt(weight)[:, None]
            phi, *_ = np.linalg.lstsq(A * root, y * root, rcond=None)  # (G − 1, K), weighted least squares
            values[r, :-1] = phi
            values[r, -1] = d - phi.sum(axis=0)
            yield ShapProgress(r + 1, len(X), f"kernel: {r + 1}/{len(X)} rows")
        return min(nsamples, 2 ** G) * len(self.background)

    @staticmethod
    def _kernel_coalitions(G: int, nsamples: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        """Coalitions (M, G) for Kernel SHAP and their regression weights (the Shapley kernel).

        As shap does: the sizes with the most kernel weight (1 and G − 1, then 2 and G − 2, ...) are enumerated
        whole while they fit in nsamples, each subset with its kernel weight; the remaining sizes are sampled
        (size ∝ the kernel's weight of the size, subset uniform, each with its complement) and share the
        remaining weight equally. When every proper subset fits, the fit is exact."""
        from itertools import combinations
        from math import comb

        def size_weight(k: int) -> float:  # total kernel weight of the subsets of size k
            return (G - 1) / (k * (G - k))

        masks, weights = [], []
        budget = nsamples
        k = 1
        remaining = list(range(1, G))
        while k <= G // 2:
            sizes = [k] if k == G - k else [k, G - k]
            count = sum(comb(G, s) for s in sizes)
            if count > budget:
                break
            for s in sizes:
                for subset in combinations(range(G), s):
                    mask = np.zeros(G, dtype=bool)
                    mask[list(subset)] = True
                    masks.append(mask)
                    weights.append(size_weight(s) / comb(G, s))
                remaining.remove(s)
            budget -= count
            k += 1
        if remaining and budget >= 2:
            mass = np.array([size_weight(s) for s in remaining])
            half = budget // 2
            drawn = rng.choice(np.array(remaining), size=half, p=mass / mass.sum())
            order = np.argsort(rng.random((half, G)), axis=1)
            sampled = np.zeros((half, G), dtype=bool)
            sampled[np.arange(half)[:, None], order] = np.arange(G)[None, :] < drawn[:, None]
            sampled = np.concatenate([sampled, ~sampled])
            masks.extend(sampled)
            weights.extend([mass.sum() / len(sampled)] * len(sampled))
        return np.asarray(masks, dtype=bool).reshape(-1, G), np.asarray(weights, dtype=np.float64)

    def _masked_game(self, x: np.ndarray) -> Callable[[np.ndarray], np.ndarray]:
        """v(mask) for masks (N, G) in {0, 1}: the mean output over the background with the masked groups from x."""
        bg = torch.from_numpy(self.background)  # (B, F)
        xt = torch.from_numpy(np.asarray(x, dtype=np.float32))  # (F,)
        B, F = bg.shape
        per_call = max(1, self.batch_rows // B)

        def game(masks: np.ndarray) -> np.ndarray:
            fm = torch.from_numpy(self._feature_mask(np.asarray(masks) > 0.5))  # (N, F)
            out = []
            for i in range(0, len(fm), per_call):
                z = torch.where(fm[i:i + per_call, None, :], xt[None, None, :], bg[None])  # (n, B, F)
                out.append(self._forward_tensor(z.reshape(-1, F)).reshape(len(z), B, -1).mean(axis=1))
            return np.concatenate(out)

        return game
