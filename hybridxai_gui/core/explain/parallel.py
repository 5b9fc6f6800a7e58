"""SHAP for many rows in several threads or processes: the rows are split into contiguous chunks, each chunk
explained on its own copy of the network, and the results joined in row order; and the model's forward passes of
other measures (faithfulness) spread over threads the same way.

Every row draws its permutations (or samples) from its own seed (ShapExplainer seeds per row id), so the
values are the same as one worker's, to the last digit, whatever the number of workers.

Threads (the command line's choice): torch releases the interpreter while it computes, and the forward passes
are nearly all of SHAP's time, so two threads of one torch thread each run at twice one thread's pace (measured:
40 breast-cancer rows 7.35 s in one thread, 3.65 s in two) and start at once. Processes (the app's choice: its
window thread then never shares the interpreter with the work) are started with `spawn` (safe beside threads
and Qt), keep nothing between calls and each import torch first (~2 s); each builds the network from its
configuration and weights, so a model that was never saved can be explained this way too.
"""

from __future__ import annotations

import copy
import os
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, ThreadPoolExecutor, wait
from dataclasses import fields, replace

import numpy as np

from ..jobs import as_cancel, drain
from .shap_engine import ExplanationCancelled, ShapProgress, ShapResult

BACKENDS = ("threads", "processes")

MIN_ROWS_PER_WORKER = 4
# From this many rows SHAP runs in several processes unless told otherwise (the app and `explain --workers auto`):
# each process pays its own start (torch's import, ~2 s), which a few rows do not win back.
PARALLEL_ROWS = 50


def _explain_chunk(model_config, state, X, rows, background, method, options, names, classes, units, groups,
                   group_names, threads) -> ShapResult:
    import torch

    from ..model.network import build_model
    from .shap_engine import ShapExplainer

    torch.set_num_threads(threads)
    model = build_model(model_config)
    model.load_state_dict(state)
    model.eval()
    explainer = ShapExplainer(model, background, method, feature_names=names, class_names=classes, output=units,
                              groups=groups, group_names=group_names, cache=False, **options)
    return explainer.explain(X, rows=rows)


def join_results(parts: list[ShapResult]) -> ShapResult:
    """One ShapResult of several results of the same explainer on consecutive chunks of rows."""
    first = parts[0]
    joined = {}
    for f in fields(ShapResult):
        value = getattr(first, f.name)
        if isinstance(value, np.ndarray) and f.name != "base_values":
            joined[f.name] = np.concatenate([getattr(p, f.name) for p in parts])
        else:
            joined[f.name] = value
    if first.alternate is not None:
        joined["alternate"] = {**first.alternate, "values": np.concatenate([p.alternate["values"] for p in parts]),
                               "model_output": np.concatenate([p.alternate["model_output"] for p in parts])}
        if first.alternate.get("standard_error") is not None:
            joined["alternate"]["standard_error"] = np.concatenate([p.alternate["standard_error"] for p in parts])
    joined["additivity_gap"] = max(p.additivity_gap for p in parts)
    joined["additive"] = all(p.additive for p in parts)
    joined["seconds"] = max(p.seconds for p in parts)
    return replace(first, **joined)


def chunks(n_rows: int, workers: int) -> list[tuple[int, int]]:
    """Contiguous [start, stop) ranges of about equal size, at most `workers`, each MIN_ROWS_PER_WORKER or more."""
    k = max(1, min(workers, n_rows // MIN_ROWS_PER_WORKER or 1))
    edges = np.linspace(0, n_rows, k + 1).round().astype(int)
    return [(int(a), int(b)) for a, b in zip(edges[:-1], edges[1:]) if b > a]


def iter_shap_in_processes(model, X: np.ndarray, rows, background: np.ndarray, *, method: str, options: dict,
                           feature_names, class_names, units: str = "logit", groups=None, group_names=None,
                           X_raw=None, true=None, workers: int = 2, threads: int = 1,
                           cancel=None) -> Iterator[ShapProgress]:
    """SHAP of the rows X in `workers` processes: yields progress per finished chunk, returns the joined
    ShapResult (None when cancelled)."""
    import torch

    X = np.asarray(X, dtype=np.float32)
    rows = np.arange(len(X)) if rows is None else np.asarray(rows, dtype=np.int64)
    parts = chunks(len(X), workers)
    state = {k: v.detach().cpu().clone() for k, v in model.state_dict().items()}
    config = model.config
    is_cancelled = cancel.is_set if hasattr(cancel, "is_set") else (cancel or (lambda: False))
    import multiprocessing

    results: dict[int, ShapResult] = {}
    yield ShapProgress(0, len(X), f"SHAP in {len(parts)} processes")
    with ProcessPoolExecutor(max_workers=len(parts), mp_context=multiprocessing.get_context("spawn")) as pool:
        futures = {pool.submit(_explain_chunk, config, state, X[a:b], rows[a:b], background, method, options,
                               list(feature_names), list(class_names), units, groups, group_names, threads): i
                   for i, (a, b) in enumerate(parts)}
        pending = set(futures)
        while pending:
            done, pending = wait(pending, timeout=0.2, return_when=FIRST_COMPLETED)
            if is_cancelled():
                for future in pending:
                    future.cancel()
                return None
            for future in done:
                results[futures[future]] = future.result()
            finished = sum(b - a for i, (a, b) in enumerate(parts) if i in results)
            if done:
                yield ShapProgress(finished, len(X), f"SHAP: {finished}/{len(X)} rows")
    joined = join_results([results[i] for i in range(len(parts))])
    if X_raw is not None:
        joined.X_raw = np.asarray(X_raw, dtype=np.float64)
    if true is not None:
        joined.true = np.asarray(true, dtype=np.int64)
    del torch
    return joined


def replica(model):
    """A copy of the network for another thread: its own modules (nothing a forward pass touches is shared), the
    same weights' values, the same mode."""
    return copy.deepcopy(model)


def thread_map(model, fn: Callable, items: Sequence, workers: int = 1) -> list:
    """[fn(m, item) for item in items] with the items split into `workers` contiguous runs, each run in its own
    thread on its own replica of `model` (the first on `model` itself); results in the items' order. One worker, or
    one item: in this thread."""
    items = list(items)
    k = max(1, min(int(workers), len(items)))
    if k == 1:
        return [fn(model, item) for item in items]
    edges = np.linspace(0, len(items), k + 1).round().astype(int)
    models = [model] + [replica(model) for _ in range(k - 1)]

    def run(j: int) -> list:
        return [fn(models[j], item) for item in items[edges[j]:edges[j + 1]]]

    with ThreadPoolExecutor(max_workers=k, thread_name_prefix="hybridxai-forward") as pool:
        parts = list(pool.map(run, range(k)))
    return [r for part in parts for r in part]


def iter_shap_in_threads(model, X: np.ndarray, rows, background: np.ndarray, *, method: str, options: dict,
                         feature_names, class_names, units: str = "logit", groups=None, group_names=None,
                         X_raw=None, true=None, workers: int = 2, cancel=None,
                         poll_seconds: float = 0.2) -> Iterator[ShapProgress]:
    """SHAP of the rows X in `workers` threads, each on its own replica of the network: yields progress (rows
    finished and the share of the model evaluations done, within rows too) every `poll_seconds`, returns the joined
    ShapResult (None when cancelled)."""
    from .shap_engine import ShapExplainer

    X = np.asarray(X, dtype=np.float32)
    rows = np.arange(len(X)) if rows is None else np.asarray(rows, dtype=np.int64)
    parts = chunks(len(X), workers)
    is_cancelled = as_cancel(cancel)
    stop = threading.Event()
    shares = [0.0] * len(parts)
    finished_rows = [0] * len(parts)

    def work(i: int, a: int, b: int, m) -> ShapResult | None:
        explainer = ShapExplainer(m, background, method, feature_names=feature_names, class_names=class_names,
                                  output=units, groups=groups, group_names=group_names, cache=False, **options)

        def note(item: ShapProgress) -> None:
            shares[i], finished_rows[i] = item.share, item.done

        return drain(explainer.iter_explain(X[a:b], rows=rows[a:b], cancel=lambda: stop.is_set() or is_cancelled()),
                     note)

    sizes = [b - a for a, b in parts]
    yield ShapProgress(0, len(X), f"SHAP in {len(parts)} threads", 0.0)
    models = [model] + [replica(model) for _ in parts[1:]]
    with ThreadPoolExecutor(max_workers=len(parts), thread_name_prefix="hybridxai-shap") as pool:
        futures = [pool.submit(work, i, a, b, models[i]) for i, (a, b) in enumerate(parts)]
        try:
            pending = set(futures)
            while pending:
                done, pending = wait(pending, timeout=poll_seconds, return_when=FIRST_COMPLETED)
                if is_cancelled():
                    return None
                for future in done:
                    if future.exception() is not None:  # the others stop at their next batch (finally below)
                        raise future.exception()
                done_rows = sum(finished_rows)
                share = sum(s * n for s, n in zip(shares, sizes)) / max(1, len(X))
                yield ShapProgress(done_rows, len(X), f"SHAP: {done_rows}/{len(X)} rows", share)
        finally:
            stop.set()  # a failure or a closed generator stops the other threads at their next batch
        results = [f.result() for f in futures]
    if any(r is None for r in results):
        return None
    joined = join_results(results)
    if X_raw is not None:
        joined.X_raw = np.asarray(X_raw, dtype=np.float64)
    if true is not None:
        joined.true = np.asarray(true, dtype=np.int64)
    return joined


def default_workers() -> int:
    """Processes worth starting for many rows: the cores this process may use, at most 4."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:
        cores = os.cpu_count() or 1
    return max(1, min(4, cores))


def auto_workers(n_rows: int, threads: int = 1, parallel: str = "processes") -> int:
    """Workers for explaining n_rows when not told: default_workers(), for processes from PARALLEL_ROWS rows only
    (each pays torch's import), for threads at once (they start free; chunks() still gives each several rows);
    one when each would run `threads` > 1 torch threads (the cores are taken by those threads already)."""
    if threads > 1:
        return 1
    return default_workers() if parallel == "threads" or n_rows >= PARALLEL_ROWS else 1


__all__ = ["BACKENDS", "PARALLEL_ROWS", "auto_workers", "iter_shap_in_processes", "iter_shap_in_threads",
           "join_results", "chunks", "default_workers", "replica", "thread_map", "ExplanationCancelled"]
