"""Hostile model files (issue 13): each is refused with a CheckpointError naming the file and the fault, before
anything is built. How fast and in how little memory is measured in benchmarks/bench_hostile_models.py."""

import pickle
import re
import struct
import zipfile

import numpy as np
import pytest
import torch

from hybridxai_gui.cli import main
from hybridxai_gui.core.model_files import checkpoint_limits as limits
from hybridxai_gui.core.model_files.checkpoint import load_checkpoint, save_checkpoint
from hybridxai_gui.core.errors import CheckpointError
from hybridxai_gui.core.model_files.model_file import read_model_file, scan_pickle

from hostile_models import HOSTILE, small_trained, write_good


@pytest.fixture(scope="module")
def good(tmp_path_factory):
    return write_good(tmp_path_factory.mktemp("good") / "good.pth")


@pytest.mark.parametrize("name", list(HOSTILE))
def test_hostile_file_is_refused_with_its_reason(name, good, tmp_path):
    build, message = HOSTILE[name]
    path = tmp_path / "hostile.pth"
    build(good, path)
    with pytest.raises(CheckpointError) as caught:
        load_checkpoint(path)
    text = str(caught.value)
    assert re.search(message, text), text
    assert "hostile.pth" in text and "\n" not in text


def test_the_good_file_loads_and_predicts(good):
    trained = load_checkpoint(good)
    proba = trained.predict_proba(np.zeros((2, 8), dtype=np.float32))
    assert proba.shape == (2, 3) and np.allclose(proba.sum(axis=1), 1)


def test_nothing_is_built_before_the_settings_pass(good, tmp_path, monkeypatch):
    """The network is never built from settings over the limits (not even on the meta device)."""
    from hybridxai_gui.core.model import network as model_module

    raw = torch.load(good, weights_only=True)
    raw["model_config"]["lstm_hidden"] = 3000
    torch.save(raw, tmp_path / "big.pth")
    built = []
    real_init = model_module.HybridCNNLSTMAttention.__init__
    monkeypatch.setattr(model_module.HybridCNNLSTMAttention, "__init__",
                        lambda self, config: (built.append(config), real_init(self, config))[1])
    with pytest.raises(CheckpointError, match="lstm_hidden"):
        load_checkpoint(tmp_path / "big.pth")
    assert built == []


def test_limits_are_a_table_and_unknown_settings_pass(good, tmp_path):
    assert {"n_features", "n_channels", "n_classes", "cnn_channels", "kernel_size", "lstm_hidden", "lstm_layers",
            "num_heads"} <= set(limits.MODEL_LIMITS)
    raw = torch.load(good, weights_only=True)
    raw["model_config"]["a_setting_from_a_newer_version"] = 10**12  # not in the table: no range to check
    raw["an_unknown_part"] = {"temperature": 1.5, "members": [torch.zeros(2)]}  # tensors anywhere are checked too
    torch.save(raw, tmp_path / "newer.pth")
    assert load_checkpoint(tmp_path / "newer.pth").model_config.lstm_hidden == 32
    raw["an_unknown_part"]["members"] = [torch.zeros(1).expand(10**9)]
    torch.save(raw, tmp_path / "newer_bad.pth")
    with pytest.raises(CheckpointError, match="an_unknown_part.members\\[0\\].*zero-stride"):
        load_checkpoint(tmp_path / "newer_bad.pth")


def test_settings_of_the_wrong_kind_are_named(good, tmp_path):
    raw = torch.load(good, weights_only=True)
    raw["model_config"]["n_classes"] = "3"
    torch.save(raw, tmp_path / "kind.pth")
    with pytest.raises(CheckpointError, match=r"classes \(n_classes\) is '3', not a int"):
        load_checkpoint(tmp_path / "kind.pth")


def test_evaluation_arrays_are_stored_as_tensors_and_read_back_as_lists(tmp_path):
    evaluation = {"class_names": ["c0", "c1", "c2"], "y_true": [0, 1, 2], "y_pred": [0, 1, 1],
                  "proba": [[0.8, 0.1, 0.1], [0.1, 0.8, 0.1], [0.1, 0.5, 0.4]], "rows": [3, 4, 5], "accuracy": 2 / 3}
    path = save_checkpoint(small_trained(evaluation=evaluation), tmp_path / "ev.pth")
    raw = torch.load(path, weights_only=True)
    assert isinstance(raw["evaluation"]["proba"], torch.Tensor) and raw["evaluation"]["proba"].dtype == torch.float64
    assert load_checkpoint(path).evaluation == evaluation  # lists again, equal to what was saved


def test_files_written_before_the_inspection_still_load(tmp_path):
    """Older files: evaluation as plain lists, written through a path (archive folder = the temp file's name)."""
    trained = small_trained()
    from hybridxai_gui.core.model_files.checkpoint import _to_payload

    payload = _to_payload(trained, None)
    payload["evaluation"] = {"class_names": ["c0", "c1", "c2"], "y_true": [0, 1], "y_pred": [0, 0],
                             "proba": [[0.9, 0.05, 0.05], [0.6, 0.2, 0.2]], "rows": [0, 1], "accuracy": 0.5}
    del payload["model_config"]["n_channels"], payload["model_config"]["position_channel"]  # before those existed
    torch.save(payload, tmp_path / ".old.pth.abc12345.tmp")
    (tmp_path / ".old.pth.abc12345.tmp").rename(tmp_path / "old.pth")
    loaded = load_checkpoint(tmp_path / "old.pth")
    assert loaded.evaluation["proba"][1] == [0.6, 0.2, 0.2] and loaded.model_config.n_channels == 1


def test_the_scan_accepts_what_torch_writes_and_refuses_other_opcodes():
    scan_pickle(pickle.dumps({"a": [1, 2.5, "x", None, True, (1, 2)], "b": {}}, protocol=2))
    with pytest.raises(ValueError, match="opcode 0x95"):  # FRAME: protocol 4, never written by torch.save
        scan_pickle(pickle.dumps({"a": 1}, protocol=4))
    with pytest.raises(ValueError, match="STOP"):
        scan_pickle(pickle.dumps([1, 2], protocol=2)[:-1])
    with pytest.raises(OverflowError, match="memo index of 16,777,216"):
        scan_pickle(b"\x80\x02]r\x00\x00\x00\x01.")


def test_objects_are_counted_while_unpickling(good, tmp_path):
    from hybridxai_gui.core.model_files.model_file import FileLimits

    raw = torch.load(good, weights_only=True)
    raw["versions"] = {"many": [float(i) for i in range(5000)]}
    torch.save(raw, tmp_path / "m.pth")
    with open(tmp_path / "m.pth", "rb") as fh:
        read_model_file(fh, "m.pth", FileLimits(pickle_objects=100_000)).archive.close()
        with pytest.raises(CheckpointError, match="more than 1,000 values"):
            read_model_file(fh, "m.pth", FileLimits(pickle_objects=1_000))


def test_a_model_over_the_file_size_limit_is_refused_unread(tmp_path):
    path = tmp_path / "huge.pth"
    with open(path, "wb") as fh:  # sparse: no disk used
        fh.write(b"PK\x03\x04")
        fh.truncate((1 << 30) + 1)
    with pytest.raises(CheckpointError, match="above the 1,073,741,824 a model file may have"):
        load_checkpoint(path)


def test_records_are_checked_for_damage(good, tmp_path):
    """A record the checks do not read (an optimizer buffer here) is still checksummed."""
    trained = small_trained()
    optimizer = torch.optim.Adam(trained.model.parameters())
    trained.model(torch.zeros(2, 8))[0].sum().backward()
    optimizer.step()
    path = save_checkpoint(trained, tmp_path / "opt.pth", optimizer_state=optimizer.state_dict())
    load_checkpoint(path)
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as archive:  # the last storage record belongs to the optimizer's state
        last = max((i for i in archive.infolist() if "/data/" in i.filename),
                   key=lambda i: int(i.filename.rsplit("/", 1)[1]))
    name_len, extra_len = struct.unpack("<HH", data[last.header_offset + 26:last.header_offset + 30])
    offset = last.header_offset + 30 + name_len + extra_len
    data[offset] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(CheckpointError, match="corrupt"):
        load_checkpoint(path)


@pytest.mark.parametrize("name, json", [("class names None", False), ("feature names ints", False),
                                        ("class names lists", True), ("evaluation is a list", False),
                                        ("5,000-deep nested list", True), ("list containing itself", True),
                                        ("scaler mean 10^12 zero-stride", False)])
def test_info_on_hostile_files_exits_2_with_one_line(name, json, good, tmp_path, capsys):
    path = tmp_path / "x.pth"
    HOSTILE[name][0](good, path)
    assert main(["info", str(path)] + (["--json"] if json else [])) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1 and "x.pth" in err


def test_predict_with_a_zero_std_model_exits_2_instead_of_writing_nonsense(good, tmp_path, capsys):
    HOSTILE["scaler std all 0"][0](good, tmp_path / "m.pth")
    data = tmp_path / "d.csv"
    data.write_text("f0,f1,f2,f3,f4,f5,f6,f7\n" + "1,2,3,4,5,6,7,8\n" * 3)
    assert main(["predict", str(tmp_path / "m.pth"), str(data), "--out", str(tmp_path / "p.csv")]) == 2
    assert "std" in capsys.readouterr().err and not (tmp_path / "p.csv").exists()
