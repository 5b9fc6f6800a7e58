"""Units of an explanation: single features, or groups of features that SHAP switches together.

A flat row of a C-channel series holds its channels one after the other (channel-major: feature
c * T + t is channel c at step t). Explaining 1,460 single time steps is slow and unreadable; a segment
of a channel (`<channel>@<start>-<end>`, steps start..end inclusive, 0-based) is a unit a reader can
name. Groups must partition the features: every feature in exactly one group, so that a coalition of
all groups is the row itself and the values stay additive.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..errors import HybridXAIError


def check_groups(groups: Sequence, n_features: int) -> list[np.ndarray]:
    """The groups as int arrays; raises HybridXAIError unless they partition 0 .. n_features − 1."""
    out = [np.asarray(g, dtype=np.int64).reshape(-1) for g in groups]
    if not out or any(len(g) == 0 for g in out):
        raise HybridXAIError("SHAP groups must be non-empty lists of feature indices.")
    flat = np.concatenate(out)
    if flat.min() < 0 or flat.max() >= n_features:
        raise HybridXAIError(f"A SHAP group names a feature outside 0-{n_features - 1}.")
    counts = np.bincount(flat, minlength=n_features)
    if (counts != 1).any():
        missing, twice = np.flatnonzero(counts == 0), np.flatnonzero(counts > 1)
        what = (f"feature {missing[0]} is in no group" if len(missing) else f"feature {twice[0]} is in two groups")
        raise HybridXAIError(f"SHAP groups must hold every feature exactly once: {what}.")
    return out


def group_of(groups: Sequence[np.ndarray], n_features: int) -> np.ndarray:
    """(F,) the group index of each feature."""
    owner = np.empty(n_features, dtype=np.int64)
    for g, members in enumerate(groups):
        owner[members] = g
    return owner


def group_names_from(groups: Sequence[np.ndarray], feature_names: Sequence[str]) -> list[str]:
    """Default names: the feature's own name for a single feature, else 'first–last' (or 'first, …')."""
    names = []
    for members in groups:
        members = np.asarray(members)
        if len(members) == 1:
            names.append(feature_names[members[0]])
        elif (np.diff(members) == 1).all():
            names.append(f"{feature_names[members[0]]}–{feature_names[members[-1]]}")
        else:
            names.append(f"{feature_names[members[0]]}, … ({len(members)} features)")
    return names


def segment_groups(n_channels: int, length: int, n_segments: int,
                   channel_names: Sequence[str] | None = None) -> tuple[list[np.ndarray], list[str]]:
    """Split each channel of a channel-major row into `n_segments` contiguous time segments.

    Returns (groups, names), channel by channel, segment by segment; names read `<channel>@<start>-<end>`
    (0-based time steps, end inclusive). Segments differ in length by at most one step.
    """
    if n_channels < 1 or length < 1:
        raise HybridXAIError("A series needs at least one channel and one time step.")
    n_segments = max(1, min(int(n_segments), length))
    names = list(channel_names) if channel_names is not None else (
        ["series"] if n_channels == 1 else [f"channel {c + 1}" for c in range(n_channels)])
    if len(names) != n_channels:
        raise HybridXAIError(f"{len(names)} channel names for {n_channels} channels.")
    edges = np.linspace(0, length, n_segments + 1).round().astype(int)
    groups, labels = [], []
    for c in range(n_channels):
        for s in range(n_segments):
            start, end = edges[s], edges[s + 1]
            groups.append(c * length + np.arange(start, end))
            labels.append(f"{names[c]}@{start}-{end - 1}")
    return groups, labels


def per_feature_from_time(time_map: np.ndarray, n_channels: int) -> np.ndarray:
    """A map over time (B, T) as one value per feature of a channel-major row (B, C * T).

    Grad-CAM and attention look at time steps after the channels are mixed by the first convolution, so
    they give every channel the same weight at a step: the map is repeated over the channels. It cannot
    rank channels against each other.
    """
    time_map = np.asarray(time_map, dtype=np.float64)
    return np.tile(time_map, (1, int(n_channels)))


def token_positions(spans: Sequence[tuple[int, int]]) -> list[int]:
    """The position of each input feature for a network that reads a table's columns as tokens (model.token_spans:
    [start, end) features per position): a map over positions becomes one value per feature by repeating each
    column's value over its features (a text column's one-hot parts)."""
    return [j for j, (start, end) in enumerate(spans) for _ in range(end - start)]


def per_unit(per_feature: np.ndarray, units: Sequence[np.ndarray] | None) -> np.ndarray:
    """(B, F) per-feature scores as (B, U) per-unit scores: the mean over each unit's features."""
    per_feature = np.asarray(per_feature, dtype=np.float64)
    if units is None:
        return per_feature
    return np.stack([per_feature[:, np.asarray(u)].mean(axis=1) for u in units], axis=1)


__all__ = ["check_groups", "group_names_from", "group_of", "per_feature_from_time", "per_unit", "segment_groups",
           "token_positions"]
