"""Checkpoints: complete round trip, atomic save, and safe loading of hostile or broken files."""

import os
import pickle
import struct
import zipfile

import numpy as np
import pytest
import torch

from hybridxai_gui.core.model_files import checkpoint as ckpt
from hybridxai_gui.core.model_files.checkpoint import load_checkpoint, save_checkpoint
from hybridxai_gui.core.config import ModelConfig, TrainConfig
from hybridxai_gui.core.data.prepare import prepare_data
from hybridxai_gui.core.errors import CheckpointError
from hybridxai_gui.core.evaluation.metrics import evaluate

from helpers import fit, wine_frame


@pytest.fixture(scope="module")
def trained_and_data():
    data = prepare_data(wine_frame(), seed=0)
    result = fit(data, ModelConfig(), TrainConfig(epochs=3))
    result.trained.evaluation = evaluate(result.trained, data.X_test, data.y_test, data.rows_test).to_dict()
    return result, data


def test_round_trip_keeps_everything(tmp_path, trained_and_data):
    result, data = trained_and_data
    trained = result.trained
    path = save_checkpoint(trained, tmp_path / "model.pth", optimizer_state=result.optimizer_state)
    loaded = load_checkpoint(path)
    np.testing.assert_array_equal(loaded.predict_logits(data.X_test), trained.predict_logits(data.X_test))
    assert loaded.feature_names == trained.feature_names
    assert loaded.class_names == ["cultivar 0", "cultivar 1", "cultivar 2"]
    assert loaded.label_mapping == {"cultivar 0": 0, "cultivar 1": 1, "cultivar 2": 2}
    assert loaded.model_config == trained.model_config and loaded.train_config == trained.train_config
    np.testing.assert_allclose(loaded.scaler.mean, trained.scaler.mean)
    np.testing.assert_allclose(loaded.scaler.std, trained.scaler.std)
    assert [h["epoch"] for h in loaded.history] == [1, 2, 3]
    assert loaded.evaluation["accuracy"] == trained.evaluation["accuracy"]
    assert loaded.data_hash == data.data_hash and len(loaded.data_hash) == 64
    assert loaded.seed == 0 and loaded.versions["torch"]
    np.testing.assert_allclose(loaded.background, trained.background)
    raw = torch.load(path, weights_only=True)
    assert raw["format_version"] == ckpt.FORMAT_VERSION and "optimizer_state_dict" in raw


def test_crash_mid_save_leaves_previous_file_intact(tmp_path, trained_and_data, monkeypatch):
    trained = trained_and_data[0].trained
    path = save_checkpoint(trained, tmp_path / "model.pth")
    before = path.read_bytes()

    def crash(obj, target, *a, **k):  # torch.save is handed the open temporary file
        target.write(b"PK\x03\x04 partial")
        raise KeyboardInterrupt  # e.g. the user kills the process mid-write

    monkeypatch.setattr(ckpt.torch, "save", crash)
    with pytest.raises(KeyboardInterrupt):
        save_checkpoint(trained, path)
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.pth"]  # no temp file left


class _Payload:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def test_malicious_file_is_refused_and_its_code_never_runs(tmp_path):
    marker = tmp_path / "pwned"
    path = tmp_path / "evil.pth"
    torch.save({"format": "hybridxai-checkpoint", "format_version": 1, "x": _Payload(marker)}, path)
    with pytest.raises(CheckpointError, match="Refused.*Nothing from it was run"):
        load_checkpoint(path)
    assert not marker.exists()
    # A plain pickle file (not a torch zip) with the same payload is refused too.
    plain = tmp_path / "evil2.pth"
    plain.write_bytes(pickle.dumps(_Payload(marker)))
    with pytest.raises(CheckpointError):
        load_checkpoint(plain)
    assert not marker.exists()


def test_truncated_corrupt_foreign_newer_and_empty_files(tmp_path, trained_and_data):
    good = save_checkpoint(trained_and_data[0].trained, tmp_path / "good.pth").read_bytes()
    cases = {
        "truncated.pth": (good[: len(good) // 2], "truncated or corrupt"),
        "random.pth": (b"\x13" + os.urandom(4095), "not a PyTorch .pth file"),
        "table.pth": (b"a,b,label\n1,2,x\n", r"not a HybridXAI model file \(not a PyTorch .pth file at all: it "
                                             r"starts with b'a,b,'\)"),
        "empty.pth": (b"", "empty"),
    }
    for name, (content, message) in cases.items():
        (tmp_path / name).write_bytes(content)
        with pytest.raises(CheckpointError, match=message):
            load_checkpoint(tmp_path / name)
    torch.save({"weights": torch.zeros(3)}, tmp_path / "foreign.pth")
    with pytest.raises(CheckpointError, match="not a HybridXAI model file"):
        load_checkpoint(tmp_path / "foreign.pth")
    raw = torch.load(tmp_path / "good.pth", weights_only=True)
    raw["format_version"] = ckpt.FORMAT_VERSION + 1
    torch.save(raw, tmp_path / "newer.pth")
    with pytest.raises(CheckpointError, match="newer HybridXAI"):
        load_checkpoint(tmp_path / "newer.pth")
    del raw["model_state_dict"]
    raw["format_version"] = ckpt.FORMAT_VERSION
    torch.save(raw, tmp_path / "incomplete.pth")
    with pytest.raises(CheckpointError, match="incomplete"):
        load_checkpoint(tmp_path / "incomplete.pth")
    with pytest.raises(CheckpointError, match="does not exist"):
        load_checkpoint(tmp_path / "missing.pth")
    assert zipfile.is_zipfile(tmp_path / "good.pth")


def test_flipped_bytes_anywhere_in_the_weights_are_caught(tmp_path, trained_and_data):
    good = save_checkpoint(trained_and_data[0].trained, tmp_path / "good.pth").read_bytes()
    with zipfile.ZipFile(tmp_path / "good.pth") as archive:  # where the largest stored part (the weights) lies
        part = max(archive.infolist(), key=lambda i: i.file_size)
    name_len, extra_len = struct.unpack("<HH", good[part.header_offset + 26:part.header_offset + 30])
    start, size = part.header_offset + 30 + name_len + extra_len, part.file_size
    for k, offset in enumerate(np.linspace(start, start + size - 1, 7).astype(int)):
        damaged = bytearray(good)
        damaged[offset] ^= 0x5A
        path = tmp_path / f"flip{k}.pth"
        path.write_bytes(bytes(damaged))
        with pytest.raises(CheckpointError, match="corrupt"):
            load_checkpoint(path)


@pytest.mark.parametrize("change, message", [
    (lambda raw: raw.update(format_version=0), "no valid format version"),
    (lambda raw: raw["scaler"].update(mean=torch.zeros(3, dtype=torch.float64)), "scaler mean .*one value per feature"),
    (lambda raw: raw["data_config"].update(missing="weird"), "incomplete or inconsistent.*missing-value policy"),
    (lambda raw: raw["model_config"].update(num_heads=0), "incomplete or inconsistent.*heads"),
])
def test_damaged_contents_are_refused_on_load(tmp_path, trained_and_data, change, message):
    save_checkpoint(trained_and_data[0].trained, tmp_path / "good.pth")
    raw = torch.load(tmp_path / "good.pth", weights_only=True)
    change(raw)
    torch.save(raw, tmp_path / "bad.pth")
    with pytest.raises(CheckpointError, match=message):
        load_checkpoint(tmp_path / "bad.pth")


def test_transform_applies_training_scaler_by_feature_name(trained_and_data):
    result, data = trained_and_data
    df = wine_frame().iloc[data.rows_test]
    shuffled = df[list(reversed(df.columns))]  # columns matched by name, not position
    np.testing.assert_allclose(result.trained.transform(shuffled), data.X_test, rtol=1e-6, atol=1e-6)


def test_position_channel_model_round_trips_and_old_files_read_as_one_channel(tmp_path):
    from hybridxai_gui.core.config import config_from_dict, to_dict

    data = prepare_data(wine_frame(), seed=1)
    trained = fit(data, ModelConfig(kernel_size=9, position_channel=True),
                           TrainConfig(epochs=1)).trained
    loaded = load_checkpoint(save_checkpoint(trained, tmp_path / "pc.pth"))
    assert loaded.model_config.position_channel is True
    np.testing.assert_array_equal(loaded.predict_logits(data.X_test), trained.predict_logits(data.X_test))
    # A checkpoint written before the option existed has no such key: it is the one-channel model.
    older = to_dict(ModelConfig(n_features=13, n_classes=3))
    del older["position_channel"]
    assert config_from_dict(ModelConfig, older).position_channel is False


def test_written_files_record_their_real_names(tmp_path, trained_and_data):
    from matplotlib.figure import Figure

    from hybridxai_gui.plotting.export import export_figure

    save_checkpoint(trained_and_data[0].trained, tmp_path / "my model.pth")
    fig = Figure()
    fig.add_subplot().plot([0, 1])
    export_figure(fig, tmp_path / "curve.eps")
    eps = (tmp_path / "curve.eps").read_bytes()
    assert eps.startswith(b"%!PS-Adobe") and b".tmp" not in eps
    assert sorted(p.name for p in tmp_path.iterdir()) == ["curve.eps", "my model.pth"]  # no temporary left


def test_saved_files_get_the_usual_permissions(tmp_path, trained_and_data):
    import stat

    path = save_checkpoint(trained_and_data[0].trained, tmp_path / "shared.pth")
    mask = os.umask(0o022)
    os.umask(mask)
    assert stat.S_IMODE(path.stat().st_mode) == 0o666 & ~mask  # not mkstemp's owner-only 0600
