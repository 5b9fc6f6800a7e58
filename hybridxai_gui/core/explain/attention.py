"""Attention maps of the hybrid model, labelled with the input features each position covers."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from ..model import position_spans


def position_labels(n_features: int, feature_names: Sequence[str] | None = None) -> list[str]:
    """One label per attention position: "features 1–4" (1-based), or "f1–f4" with names."""
    labels = []
    for start, end in position_spans(n_features):
        if feature_names is not None:
            first, last = feature_names[start], feature_names[end - 1]
            labels.append(first if end - start == 1 else f"{first}–{last}")
        else:
            labels.append(f"feature {start + 1}" if end - start == 1 else f"features {start + 1}–{end}")
    return labels


@dataclass
class AttentionResult:
    mean: np.ndarray  # (B, L, L) averaged over heads; rows = queries, columns = keys
    per_head: np.ndarray  # (B, H, L, L)
    received: np.ndarray  # (B, L) attention each key position receives (mean over queries)
    received_upsampled: np.ndarray  # (B, F) linear upsampling to the input length
    spans: list[tuple[int, int]]  # [start, end) input features of each position
    labels: list[str]  # "features 1–4" style labels, one per position
    predicted: np.ndarray  # (B,)
    logits: np.ndarray  # (B, C)


class AttentionExplainer:
    """`AttentionExplainer(model, feature_names=None).attribute(x) -> AttentionResult`."""

    def __init__(self, model: nn.Module, feature_names: Sequence[str] | None = None):
        self.model = model
        self.feature_names = list(feature_names) if feature_names is not None else None

    def attribute(self, x) -> AttentionResult:
        x = torch.as_tensor(np.asarray(x, dtype=np.float32))
        if x.ndim == 1:
            x = x[None, :]
        n_features = x.shape[1]
        was_training = self.model.training
        try:
            self.model.eval()
            with torch.inference_mode():
                logits, heads = self.model(x, per_head=True)  # (B, C), (B, H, L, L)
        finally:
            self.model.train(was_training)
        mean = heads.mean(dim=1)  # (B, L, L): what average_attn_weights=True returns
        received = mean.mean(dim=1)  # (B, L): column mean over queries
        up = F.interpolate(received[:, None, :], size=n_features, mode="linear", align_corners=False)[:, 0]
        return AttentionResult(
            mean=mean.double().numpy(), per_head=heads.double().numpy(), received=received.double().numpy(),
            received_upsampled=up.double().numpy(), spans=position_spans(n_features),
            labels=position_labels(n_features, self.feature_names), predicted=logits.argmax(1).numpy(),
            logits=logits.double().numpy())
