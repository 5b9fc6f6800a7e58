"""Attention maps of the hybrid model, labelled with the input features (or time steps) each position covers.

Positions are over time: for a row of C channels × T steps, each position covers a span of steps of every
channel, so attention cannot rank channels (`per_feature()` repeats the time map over the channels).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from ..model.network import position_spans
from .groups import per_feature_from_time, token_positions


def position_labels(n_features: int, feature_names: Sequence[str] | None = None, n_channels: int = 1,
                    max_steps: int = 0, spans: Sequence[tuple[int, int]] | None = None) -> list[str]:
    """One label per attention position: "features 1–4" (1-based), or "f1–f4" with names; for a series of
    several channels (n_features = its length T) "steps 0–3" (0-based, as segment names). max_steps: the
    model's max_lstm_steps (its pooling). spans: a column-token network's positions (model.token_spans): a text
    column's parts (`island=Biscoe` …) are labelled with the column's name."""
    labels = []
    for start, end in (spans if spans is not None else position_spans(n_features, max_steps)):
        if spans is not None and feature_names is not None and end - start > 1:
            column = str(feature_names[start]).split("=", 1)[0]
            if all(str(n).startswith(column + "=") for n in feature_names[start:end]):
                labels.append(column)
                continue
        if n_channels > 1:
            labels.append(f"step {start}" if end - start == 1 else f"steps {start}–{end - 1}")
        elif feature_names is not None:
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
    received_upsampled: np.ndarray  # (B, T) linear upsampling to the series length (T = F for one channel)
    spans: list[tuple[int, int]]  # [start, end) input steps of each position
    labels: list[str]  # "features 1–4" style labels, one per position
    predicted: np.ndarray  # (B,)
    logits: np.ndarray  # (B, C)
    n_channels: int = 1  # the row holds n_channels × T values, channel-major

    @property
    def n_positions(self) -> int:
        return self.received.shape[1]

    def per_feature(self) -> np.ndarray:
        """(B, F) attention received per input feature: the time map repeated over the channels."""
        return per_feature_from_time(self.received_upsampled, self.n_channels)


class AttentionExplainer:
    """`AttentionExplainer(model, feature_names=None).attribute(x) -> AttentionResult`."""

    def __init__(self, model: nn.Module, feature_names: Sequence[str] | None = None):
        self.model = model
        self.feature_names = list(feature_names) if feature_names is not None else None

    def attribute(self, x) -> AttentionResult:
        x = torch.as_tensor(np.asarray(x, dtype=np.float32))
        if x.ndim == 1:
            x = x[None, :]
        n_channels = int(getattr(self.model, "n_channels", 1))
        length = int(getattr(self.model, "length", x.shape[1] // n_channels))  # T
        config = getattr(self.model, "config", None)
        max_steps = int(getattr(config, "max_lstm_steps", 0) or 0)
        was_training = self.model.training
        try:
            self.model.eval()
            with torch.inference_mode():
                logits, heads = self.model(x, per_head=True)  # (B, C), (B, H, L, L)
        finally:
            self.model.train(was_training)
        mean = heads.mean(dim=1)  # (B, L, L): what average_attn_weights=True returns
        received = mean.mean(dim=1)  # (B, L): column mean over queries
        spans = getattr(self.model, "token_spans", None)
        if spans is not None:  # column tokens: each column's attention on each of its features
            up = received[:, torch.as_tensor(token_positions(spans))]  # (B, F)
        else:
            up = F.interpolate(received[:, None, :], size=length, mode="linear", align_corners=False)[:, 0]  # (B, T)
        return AttentionResult(
            mean=mean.double().numpy(), per_head=heads.double().numpy(), received=received.double().numpy(),
            received_upsampled=up.double().numpy(),
            spans=list(spans) if spans is not None else position_spans(length, max_steps),
            labels=position_labels(length, self.feature_names, n_channels, max_steps, spans),
            predicted=logits.argmax(1).numpy(),
            logits=logits.double().numpy(), n_channels=n_channels)
