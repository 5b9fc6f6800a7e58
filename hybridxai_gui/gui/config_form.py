"""A form with one input per field of a config dataclass, built from `dataclasses.fields`.

Defaults come from the dataclass and tooltips from each field's `metadata["help"]`, so a new field in
`core/config.py` shows up in the GUI with its help text and no GUI change.
"""

from __future__ import annotations

from dataclasses import MISSING, fields
from typing import Any

from PySide6.QtWidgets import QCheckBox, QComboBox, QDoubleSpinBox, QFormLayout, QSpinBox, QWidget

from ..core.config import OPTIMIZERS, PREDICTION_SET_METHODS, SCHEDULERS

# Names the tests and screen readers rely on; other fields get <camelName><Spin|Combo|Check>.
OBJECT_NAMES = {"epochs": "epochsSpin", "batch_size": "batchSizeSpin", "lr": "learningRateSpin"}
LABELS = {"cnn_channels": "CNN channels", "lstm_hidden": "LSTM hidden units", "lstm_layers": "LSTM layers",
          "num_heads": "Attention heads", "lr": "Learning rate", "min_steps": "Steps (auto epochs)",
          "max_auto_epochs": "Max auto epochs", "warmup_fraction": "Warm-up share", "step_gamma": "LR decay factor",
          "early_stopping": "Early stopping patience", "restore_best": "Keep best epoch's weights",
          "class_weights": "Weight classes by frequency", "threads": "CPU threads",
          "augment": "Noise augmentation", "augment_noise": "Noise level (× feature sd)",
          "calibrate": "Calibrate probabilities", "ensemble": "Ensemble members", "max_lstm_steps": "Max BiLSTM steps",
          "prediction_sets": "Prediction sets"}
CHOICES = {"optimizer": OPTIMIZERS, "scheduler": SCHEDULERS, "augment": ("on", "off", "auto"),
           "prediction_sets": PREDICTION_SET_METHODS}
# (minimum, maximum, step, decimals) for numbers; zero-means-something fields get a special text.
INT_RANGES = {"epochs": (0, 100_000), "batch_size": (1, 65_536), "kernel_size": (1, 63), "cnn_channels": (1, 1024),
              "lstm_hidden": (1, 2048), "lstm_layers": (1, 16), "num_heads": (1, 64), "min_steps": (1, 10_000_000),
              "max_auto_epochs": (1, 100_000), "early_stopping": (0, 10_000), "seed": (0, 2**31 - 1),
              "threads": (0, 256), "ensemble": (0, 32), "max_lstm_steps": (0, 100_000)}
FLOAT_RANGES = {"lr": (1e-6, 10.0, 0.0005, 6), "weight_decay": (0.0, 1.0, 1e-4, 6), "dropout": (0.0, 0.95, 0.05, 2),
                "warmup_fraction": (0.0, 0.5, 0.01, 3), "step_gamma": (0.001, 1.0, 0.05, 3),
                "label_smoothing": (0.0, 0.5, 0.05, 2), "augment_noise": (0.0, 10.0, 0.1, 2)}
SPECIAL_ZERO = {"epochs": "auto", "early_stopping": "off", "threads": "torch default", "max_lstm_steps": "pool by 2",
                "ensemble": "auto (3 for series, 1 for tables)"}


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(p.capitalize() for p in rest)


def field_label(name: str) -> str:
    return LABELS.get(name, name.replace("_", " ").capitalize())


def shown_value(name: str, value) -> str:
    """A setting's value for a message: repr, or the input's own text where 0 means something ('auto', 'off')."""
    if value == 0 and not isinstance(value, bool) and name in SPECIAL_ZERO:
        return repr(SPECIAL_ZERO[name])
    return repr(value)


class ConfigForm(QWidget):
    """Inputs for the fields of `cls` (a config dataclass) except those in `skip`."""

    def __init__(self, cls, skip: set[str] = frozenset(), parent: QWidget | None = None):
        super().__init__(parent)
        self.cls = cls
        self.inputs: dict[str, QWidget] = {}
        self.defaults: dict[str, Any] = {}
        layout = QFormLayout(self)
        layout.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        for f in fields(cls):
            if f.name in skip:
                continue
            default = f.default if f.default is not MISSING else f.default_factory()
            self.defaults[f.name] = default
            widget = self._make_input(f.name, default)
            tip = f.metadata.get("help", "")
            widget.setToolTip(f"<b>{field_label(f.name)}</b> ({f.name}, default {default!r}): {tip}")
            widget.setAccessibleName(field_label(f.name))
            widget.setAccessibleDescription(tip)
            self.inputs[f.name] = widget
            layout.addRow(f"{field_label(f.name)}:", widget)
        self.set_values(self.defaults)

    def _make_input(self, name: str, default: Any) -> QWidget:
        if isinstance(default, bool):
            widget: QWidget = QCheckBox()
            suffix = "Check"
        elif name in CHOICES:
            widget = QComboBox()
            widget.addItems(list(CHOICES[name]))
            suffix = "Combo"
        elif isinstance(default, int):
            widget = QSpinBox()
            low, high = INT_RANGES.get(name, (0, 1_000_000))
            widget.setRange(low, high)
            if name in SPECIAL_ZERO:
                widget.setSpecialValueText(SPECIAL_ZERO[name])
            suffix = "Spin"
        elif isinstance(default, float):
            widget = QDoubleSpinBox()
            low, high, step, decimals = FLOAT_RANGES.get(name, (0.0, 1e6, 0.1, 4))
            widget.setDecimals(decimals)
            widget.setRange(low, high)
            widget.setSingleStep(step)
            suffix = "Spin"
        else:
            widget = QComboBox()
            widget.setEditable(True)
            suffix = "Combo"
        widget.setObjectName(OBJECT_NAMES.get(name, _camel(name) + suffix))
        return widget

    def values(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name, w in self.inputs.items():
            if isinstance(w, QCheckBox):
                out[name] = w.isChecked()
            elif isinstance(w, QComboBox):
                out[name] = w.currentText()
            else:
                out[name] = w.value()
        return out

    def set_values(self, values: dict[str, Any]) -> None:
        for name, value in values.items():
            w = self.inputs.get(name)
            if w is None or value is None:
                continue
            try:
                if isinstance(w, QCheckBox):
                    w.setChecked(bool(value))
                elif isinstance(w, QComboBox):
                    if w.findText(str(value)) < 0:
                        w.addItem(str(value))
                    w.setCurrentText(str(value))
                elif isinstance(w, QSpinBox):
                    w.setValue(int(value))
                else:
                    w.setValue(float(value))
            except (TypeError, ValueError):
                continue  # an old settings file with a bad value: keep the default
