"""SHAP's background rows (random or k-means) and the cache of finished explanations.

Cache keys hash the model's weights, the explained rows and the background, so a retrained model
or another background never returns an old result.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict

import numpy as np
from torch import nn

from ..errors import HybridXAIError


def array_hash(*arrays: np.ndarray) -> str:
    h = hashlib.sha1()
    for a in arrays:
        a = np.ascontiguousarray(a)
        h.update(str((a.shape, a.dtype.str)).encode())
        h.update(a.tobytes())
    return h.hexdigest()


def model_hash(model: nn.Module) -> str:
    """A digest of the weights and buffers: a retrained model never hits an old cache entry."""
    h = hashlib.sha1(type(model).__name__.encode())
    for name, t in model.state_dict().items():
        h.update(name.encode())
        h.update(t.detach().cpu().contiguous().numpy().tobytes())
    return h.hexdigest()


class _Cache:
    def __init__(self, maxsize: int = 16):
        self.maxsize = maxsize
        self._items: OrderedDict[tuple, object] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key):
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
            return None

    def put(self, key, value) -> None:
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self.maxsize:
                self._items.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()

    def __len__(self) -> int:
        return len(self._items)


CACHE = _Cache()


def clear_cache() -> None:
    CACHE.clear()


def select_background(X_train: np.ndarray, n: int = 100, kind: str = "random", seed: int = 0) -> np.ndarray:
    """Pick `n` background rows from the (scaled) training rows.

    random: a uniform sample without replacement (all rows when there are fewer than n).
    kmeans: for each of n k-means clusters, the real training row nearest its centre. Real rows
    keep integer/categorical columns valid; rows are weighted equally, so small clusters count as
    much as big ones (the base value then describes the data's modes rather than its average).
    """
    X = np.asarray(X_train, dtype=np.float32)
    if X.ndim != 2 or len(X) == 0:
        raise HybridXAIError("The background needs at least one row of features.")
    if n < 1:
        raise HybridXAIError(f"Background size must be at least 1, got {n}.")
    if len(X) <= n:
        return X.copy()
    if kind == "random":
        idx = np.sort(np.random.default_rng(seed).choice(len(X), size=n, replace=False))
        return X[idx]
    if kind == "kmeans":
        from sklearn.cluster import KMeans

        km = KMeans(n_clusters=n, n_init=3, random_state=seed).fit(X)
        d = ((X[:, None, :] - km.cluster_centers_[None, :, :].astype(np.float32)) ** 2).sum(-1)  # (N, n)
        idx = np.unique(np.argmin(d, axis=0))
        return X[np.sort(idx)]
    raise HybridXAIError(f"Unknown background kind '{kind}': use random or kmeans.")
