"""HybridXAI: train and explain a hybrid CNN + BiLSTM + attention classifier on CSV data.

The common entry points are re-exported here lazily, so `import hybridxai_gui` stays cheap (the
app's window must show before torch is imported):

    from hybridxai_gui import prepare_data, HybridCNNLSTMAttention, ModelConfig, TrainConfig, train
"""

from __future__ import annotations

import importlib

__version__ = "0.1.0"

_EXPORTS = {
    "HybridXAIError": "hybridxai_gui.core.errors",
    "CheckpointError": "hybridxai_gui.core.errors",
    "ModelConfig": "hybridxai_gui.core.config",
    "TrainConfig": "hybridxai_gui.core.config",
    "DataConfig": "hybridxai_gui.core.config",
    "RuntimeConfig": "hybridxai_gui.core.config",
    "apply_preset": "hybridxai_gui.core.config",
    "read_table": "hybridxai_gui.core.data.tables",
    "prepare_data": "hybridxai_gui.core.data.prepare",
    "HybridCNNLSTMAttention": "hybridxai_gui.core.model.network",
    "train": "hybridxai_gui.core.training.loop",
    "TrainingRequest": "hybridxai_gui.core.pipeline",
    "run_training": "hybridxai_gui.core.pipeline",
    "predict_frame": "hybridxai_gui.core.pipeline",
    "TrainControl": "hybridxai_gui.core.training.loop",
    "evaluate": "hybridxai_gui.core.evaluation.metrics",
    "TrainedModel": "hybridxai_gui.core.model.trained",
    "save_checkpoint": "hybridxai_gui.core.model_files.checkpoint",
    "load_checkpoint": "hybridxai_gui.core.model_files.checkpoint",
    "ShapExplainer": "hybridxai_gui.core.explain",
    "GradCAM": "hybridxai_gui.core.explain",
    "AttentionExplainer": "hybridxai_gui.core.explain",
}

__all__ = ["__version__", *_EXPORTS]


def __getattr__(name: str):
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'hybridxai_gui' has no attribute {name!r}")
