"""Small data sets for tests: CSV files written from scikit-learn's bundled data or generated."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd


def wine_frame() -> pd.DataFrame:
    from sklearn.datasets import load_wine

    d = load_wine(as_frame=True)
    df = d.frame.drop(columns="target")
    df["label"] = [f"cultivar {d.target_names[i][-1]}" for i in d.target]  # string labels with spaces
    return df


def write_wine_csv(folder: Path, name: str = "wine.csv") -> Path:
    path = Path(folder) / name
    wine_frame().to_csv(path, index=False)
    return path


def signal_frame(n_rows: int = 120, length: int = 32, seed: int = 0) -> pd.DataFrame:
    """Univariate series: class 'bump' has a bump at a fixed span, class 'flat' does not."""
    rng = np.random.default_rng(seed)
    X = rng.normal(0, 0.3, size=(n_rows, length))
    y = np.arange(n_rows) % 2
    X[y == 1, length // 4: length // 4 + 4] += 2.0
    df = pd.DataFrame(X, columns=[f"t{i:02d}" for i in range(length)])
    df["label"] = np.where(y == 1, "bump", "flat")
    return df


def fit(data, model_config, train_config, control=None, runtime=None):
    """Train on prepared data to the end; the TrainResult (the pipeline's `train` generator, drained)."""
    from hybridxai_gui.core.training.loop import TrainingFinished, train

    for item in train(data, model_config, train_config, control, runtime=runtime):
        if isinstance(item, TrainingFinished):
            return item.result
    raise AssertionError("train() ended without TrainingFinished")


def open_in_data_tab(qtbot, frame: pd.DataFrame, path: Path):
    """A Data tab (pytest-qt) with `frame` written to `path` and opened as the training file."""
    from hybridxai_gui.gui.data_tab import DataTab

    frame.to_csv(path, index=False)
    tab = DataTab()
    qtbot.addWidget(tab)
    with qtbot.waitSignal(tab.trainLoaded, timeout=30_000):
        tab.open_train(str(path))
    return tab


def untrained_wine_model(folder: Path, background_rows: int = 80):
    """(model file, wine CSV, TrainedModel): a small wine network with untrained weights (enough for explanations'
    files, shapes and sums), saved in `folder` beside the CSV."""
    import torch

    from hybridxai_gui.core.config import ModelConfig, TrainConfig
    from hybridxai_gui.core.data.prepare import prepare_data
    from hybridxai_gui.core.model.network import build_model
    from hybridxai_gui.core.model.trained import TrainedModel
    from hybridxai_gui.core.model_files.checkpoint import save_checkpoint

    csv = folder / "wine.csv"
    wine_frame().to_csv(csv, index=False)
    prepared = prepare_data(csv)
    torch.manual_seed(0)
    cfg = ModelConfig(n_features=13, n_classes=3, cnn_channels=4, lstm_hidden=4, lstm_layers=1, num_heads=2)
    trained = TrainedModel(model=build_model(cfg).eval(), model_config=cfg, train_config=TrainConfig(),
                           feature_names=prepared.feature_names, class_names=prepared.class_names,
                           label_column=prepared.label_column, scaler=prepared.scaler,
                           background=prepared.X_train[:background_rows])
    return save_checkpoint(trained, folder / "wine.pth"), csv, trained
