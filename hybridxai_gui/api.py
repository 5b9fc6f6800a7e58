"""The library's entry points in one place, for scripts and notebooks (importing this loads torch):

    from hybridxai_gui.api import prepare_data, ModelConfig, TrainConfig, train, ShapExplainer
"""

from __future__ import annotations

from .core.config import DataConfig, ModelConfig, RuntimeConfig, TrainConfig, apply_preset
from .core.data.csvio import read_table
from .core.data.prepare import prepare_data
from .core.errors import CheckpointError, HybridXAIError
from .core.evaluation.metrics import evaluate
from .core.explain import AttentionExplainer, GradCAM, ShapExplainer
from .core.model.network import HybridCNNLSTMAttention
from .core.model.trained import TrainedModel
from .core.model_files.checkpoint import load_checkpoint, save_checkpoint
from .core.pipeline import TrainingRequest, predict_frame, run_training
from .core.training.events import TrainControl
from .core.training.loop import train

__all__ = ["HybridXAIError", "CheckpointError", "ModelConfig", "TrainConfig", "DataConfig", "RuntimeConfig",
           "apply_preset", "read_table", "prepare_data", "HybridCNNLSTMAttention", "train", "TrainingRequest",
           "run_training", "predict_frame", "TrainControl", "evaluate", "TrainedModel", "save_checkpoint",
           "load_checkpoint", "ShapExplainer", "GradCAM", "AttentionExplainer"]
