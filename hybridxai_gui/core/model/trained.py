"""A trained model and everything needed to use it again: settings, names, scaler, history, evaluation.

`TrainedModel` is what training returns, what a checkpoint holds and what prediction, evaluation and
the explanations take. Saving and loading it is `checkpoint.py`'s job.
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field

import numpy as np
import torch

from ..config import DataConfig, ModelConfig, RuntimeConfig, TrainConfig
from ..data.tables import frame_to_features
from ..data.prepare import Scaler
from ..errors import HybridXAIError
from .network import HybridCNNLSTMAttention
from ..data.series import SeriesSpec
from ..data.text_columns import ColumnEncoding

PREDICT_BATCH = 4096


@dataclass
class TrainedModel:
    model: HybridCNNLSTMAttention
    model_config: ModelConfig
    train_config: TrainConfig
    feature_names: list[str]
    class_names: list[str]
    label_column: str
    scaler: Scaler
    fill_values: np.ndarray | None = None  # per-feature training means (fill for missing="mean")
    history: list[dict] = field(default_factory=list)  # per-epoch metrics as dicts
    evaluation: dict | None = None  # test-set evaluation summary (EvaluationResult.to_dict())
    data_hash: str = ""
    seed: int = 0
    background: np.ndarray | None = None  # up to 100 scaled training rows for SHAP's background
    best_epoch: int = 0
    created: str = field(default_factory=lambda: _dt.datetime.now().isoformat(timespec="seconds"))
    versions: dict = field(default_factory=dict)
    source: str = ""  # the file this model was loaded from, if any
    data_config: DataConfig = field(default_factory=DataConfig)  # how the training table became rows
    runtime_config: RuntimeConfig = field(default_factory=RuntimeConfig)  # where it was trained
    series: SeriesSpec | None = None  # how the rows hold series (None: a table, one input per column)
    # Probabilities are softmax(logits / temperature): 1.0 leaves them as trained; a temperature fitted on the
    # validation rows (core.evaluation.calibration.fit_temperature) makes them honest. Predictions never change with it.
    temperature: float = 1.0
    # Tables with text columns: how the input columns become the features (one-hot parts; None: numbers only).
    encoding: ColumnEncoding | None = None
    # Prediction sets and the unlike-the-training-data flag (core.evaluation.uncertainty.Uncertainty); None for a
    # model file saved before they were kept.
    uncertainty: object = None

    @property
    def input_columns(self) -> list[str]:
        """The table's columns the model reads (its features, or with text columns the columns they came from)."""
        return list(self.encoding.columns) if self.encoding is not None else list(self.feature_names)

    @property
    def label_mapping(self) -> dict[str, int]:
        return {name: i for i, name in enumerate(self.class_names)}

    def transform(self, df, source: str = "data", missing: str | None = None, return_rows: bool = False,
                  notes: list[str] | None = None):
        """Raw DataFrame (features by name, or series in the model's layout) -> scaled float32 (N, F).

        missing: error (the default, whatever training used: gaps in new rows are never filled unasked),
        drop, or mean (the training rows' column (channel) means kept in the model). With return_rows=True
        also the kept rows: 0-based data rows, or for series the series' indices in order of first appearance.
        `notes` gets a line when gaps were filled.
        """
        read = self.read_rows(df, source, missing, notes=notes)
        return (read.X, read.rows) if return_rows else read.X

    def read_rows(self, df, source: str = "data", missing: str | None = None, label: str | None = None,
                  notes: list[str] | None = None) -> ModelRows:
        """The model's rows of a table (scaled), which rows they are, and for series their ids and own lengths;
        with `label` also each row's label value (one per series). `notes` gets a line when gaps were filled."""
        from ..data.tables import frame_source

        policy = missing or "error"
        if self.series is None:
            raw, rows = frame_to_features(df, self.feature_names, source=source, missing=policy,
                                          fill_values=self.fill_values, return_rows=True, notes=notes,
                                          encoding=self.encoding)
            labels = None if label is None else df[label].iloc[rows].tolist()
            return ModelRows(self.scaler.transform(raw), rows, len(df), rows.tolist(), None, rows, labels)
        from ..data.series import read_series

        src = frame_source(df, source)
        series = read_series(df, self.series, src, "error" if policy == "error" else policy, label)
        X = series.X
        if notes is not None:  # padded series longer than the model's: cut, and said which
            from ..data.series import CUT

            notes.extend(n for n in series.notes if CUT in n)
        if policy == "mean":
            from ..data.series import FILLED

            gaps = ~np.isfinite(X)
            X[gaps] = np.broadcast_to(np.asarray(self.fill_values, dtype=np.float32), X.shape)[gaps]
            if gaps.any() and notes is not None:  # counted in the file's cells, as training counted them
                notes.extend(n for n in series.notes if FILLED in n)
        return ModelRows(self.scaler.transform(X), np.asarray(series.index, dtype=np.int64), series.n_total,
                         list(series.ids), series.lengths, series.first_rows, series.labels)

    def unscale(self, X: np.ndarray) -> np.ndarray:
        """Scaled rows back in the data's own units (float64), for showing them."""
        return self.scaler.original(X)

    @torch.inference_mode()
    def predict_logits(self, X: np.ndarray) -> np.ndarray:
        """Scaled rows (N, F) -> logits (N, C), in inference mode and large batches."""
        self.model.eval()
        X = np.asarray(X, dtype=np.float32)
        if X.ndim != 2 or X.shape[1] != len(self.feature_names):
            raise HybridXAIError(
                f"Expected rows with {len(self.feature_names)} features, got shape {tuple(X.shape)}."
            )
        device = next(self.model.parameters()).device
        out = [self.model(torch.from_numpy(X[i:i + PREDICT_BATCH]).to(device))[0].cpu().numpy()
               for i in range(0, len(X), PREDICT_BATCH)]
        return np.concatenate(out) if out else np.zeros((0, len(self.class_names)), dtype=np.float32)

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        return self.probabilities(self.predict_logits(X))

    def probabilities(self, logits: np.ndarray) -> np.ndarray:
        """The model's logits as class probabilities: softmax(logits / temperature)."""
        return softmax(np.asarray(logits, dtype=np.float64) / self.temperature)

    def prediction_table(self, X: np.ndarray, with_logits: bool = False, index=None, logits=None):
        """DataFrame with `predicted` (class name), `p_<class>` (with the model's temperature) and optionally
        `logit_<class>` (the network's raw outputs) per row (`logits`: the model's outputs for X when the caller
        already has them)."""
        import pandas as pd

        logits = self.predict_logits(X) if logits is None else np.asarray(logits)
        proba = self.probabilities(logits)
        names = list(self.class_names)
        table = pd.DataFrame({"predicted": [names[i] for i in proba.argmax(axis=1)]}, index=index)
        for c, name in enumerate(names):
            table[f"p_{name}"] = proba[:, c]
        if with_logits:
            for c, name in enumerate(names):
                table[f"logit_{name}"] = logits[:, c].astype(np.float64)
        return table


@dataclass
class ModelRows:
    """A table's rows as a model reads them."""

    X: np.ndarray  # (N, F) scaled float32
    rows: np.ndarray  # (N,) kept rows: 0-based data rows (tables, wide series) or series indices (long)
    n_total: int  # rows (series) in the table
    ids: list  # what each kept row is called: its data row, or its series id
    lengths: np.ndarray | None  # series: each one's own number of steps
    first_rows: np.ndarray  # 0-based data row where each kept row (series) starts, for messages
    labels: list | None = None  # the label value of each kept row, when asked


def softmax(logits: np.ndarray) -> np.ndarray:
    z = np.asarray(logits, dtype=np.float64)
    z = z - z.max(axis=1, keepdims=True)
    p = np.exp(z)
    return p / p.sum(axis=1, keepdims=True)
