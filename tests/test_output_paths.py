"""Where outputs go (issue 13 §2, §7, §8): only regular files are written, links are written through, failures
are one line with exit 2 and leave no temporary file, stale temporary files are cleaned, and a model and the
files beside it appear together."""

import errno
import os
import socket
import stat
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from hybridxai_gui.cli import main
from hybridxai_gui.core.model_files import fileio
from hybridxai_gui.core.errors import HybridXAIError
from hybridxai_gui.core.model_files.fileio import atomic_write, clean_stale_temporaries, staged, write_csv

from hostile_models import small_trained, write_good


@pytest.fixture(scope="module")
def model_and_data(tmp_path_factory):
    folder = tmp_path_factory.mktemp("model")
    model = write_good(folder / "m.pth")
    data = folder / "d.csv"
    data.write_text("f0,f1,f2,f3,f4,f5,f6,f7\n" + "1,2,3,4,5,6,7,8\n0,1,0,1,0,1,0,1\n")
    return model, data


def _predict(model_and_data, out, capsys):
    model, data = model_and_data
    code = main(["predict", str(model), str(data), "--out", str(out)])
    return code, capsys.readouterr().err


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


def test_a_fifo_socket_or_folder_as_out_is_refused_and_left_alone(model_and_data, tmp_path, capsys):
    fifo = tmp_path / "pipe.csv"
    os.mkfifo(fifo)
    sock_path = tmp_path / "sock.csv"
    server = socket.socket(socket.AF_UNIX)
    server.bind(str(sock_path))
    folder = tmp_path / "folder.csv"
    folder.mkdir()
    try:
        for out, kind, check in ((fifo, "named pipe", stat.S_ISFIFO), (sock_path, "socket", stat.S_ISSOCK),
                                 (folder, "folder", stat.S_ISDIR)):
            code, err = _predict(model_and_data, out, capsys)
            assert code == 2 and err.count("\n") == 1 and f"is a {kind}" in err and "regular files" in err
            assert check(os.lstat(out).st_mode), f"{out} was replaced"
    finally:
        server.close()
    assert _leftovers(tmp_path) == []


def test_a_device_as_out_is_refused_and_left_alone(model_and_data, tmp_path, capsys):
    """A device node like /dev/null (made here, so that a failure cannot replace the real one)."""
    device = tmp_path / "null"
    try:
        os.mknod(device, stat.S_IFCHR | 0o666, os.makedev(1, 3))
    except (PermissionError, AttributeError):
        pytest.skip("making a device node needs root")
    code, err = _predict(model_and_data, device, capsys)
    assert code == 2 and "is a device" in err
    assert stat.S_ISCHR(os.lstat(device).st_mode)


def test_train_refuses_an_out_in_the_way_before_training(tmp_path, capsys):
    os.mkfifo(tmp_path / "m.pth")
    (tmp_path / "n_results.csv").mkdir()
    data = tmp_path / "d.csv"
    data.write_text("a,b,label\n" + "1,2,x\n3,4,y\n" * 10)
    started = time.perf_counter()
    assert main(["train", str(data), "--out", str(tmp_path / "m.pth"), "--epochs", "1"]) == 2
    assert "named pipe" in capsys.readouterr().err
    assert main(["train", str(data), "--out", str(tmp_path / "n.pth"), "--epochs", "1"]) == 2
    assert "n_results.csv': it is a folder" in capsys.readouterr().err
    assert not (tmp_path / "n.pth").exists() and time.perf_counter() - started < 60  # refused, not trained


def test_a_symlink_is_written_through_and_stays_a_link(model_and_data, tmp_path, capsys):
    target = tmp_path / "runs" / "today.csv"
    target.parent.mkdir()
    target.write_text("old\n")
    os.chmod(target, 0o640)
    link = tmp_path / "pred.csv"
    link.symlink_to(target)
    code, _ = _predict(model_and_data, link, capsys)
    assert code == 0 and link.is_symlink() and os.readlink(link) == str(target)
    assert list(pd.read_csv(target).columns[:2]) == ["predicted", "p_c0"]
    assert stat.S_IMODE(target.stat().st_mode) == 0o640  # the file it replaced kept its permissions
    dangling = tmp_path / "dangling.csv"
    dangling.symlink_to(tmp_path / "runs" / "new.csv")
    assert _predict(model_and_data, dangling, capsys)[0] == 0
    assert dangling.is_symlink() and (tmp_path / "runs" / "new.csv").is_file()
    os.mkfifo(tmp_path / "runs" / "fifo")
    (tmp_path / "to_fifo.csv").symlink_to(tmp_path / "runs" / "fifo")
    code, err = _predict(model_and_data, tmp_path / "to_fifo.csv", capsys)
    assert code == 2 and "named pipe" in err and "the link points to" in err
    assert _leftovers(tmp_path) == [] and _leftovers(target.parent) == []


def test_no_permission_exits_2_with_one_line(model_and_data, tmp_path, capsys, monkeypatch):
    """mkstemp failing (a read-only folder) is reported, not an internal error."""

    def refuse(*args, **kwargs):
        raise PermissionError(errno.EACCES, "Permission denied")

    monkeypatch.setattr(fileio.tempfile, "mkstemp", refuse)
    code, err = _predict(model_and_data, tmp_path / "p.csv", capsys)
    assert code == 2 and err.count("\n") == 1 and "no permission to write in" in err
    assert "internal error" not in err


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root writes into read-only folders")
def test_a_read_only_folder_exits_2(model_and_data, tmp_path, capsys):
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o555)
    try:
        code, err = _predict(model_and_data, folder / "p.csv", capsys)
    finally:
        folder.chmod(0o755)
    assert code == 2 and "no permission" in err and list(folder.iterdir()) == []


def test_a_full_disk_while_saving_a_model_keeps_the_old_one(tmp_path, monkeypatch):
    from hybridxai_gui.core.model_files import checkpoint as ckpt

    path = ckpt.save_checkpoint(small_trained(), tmp_path / "m.pth")
    before = path.read_bytes()

    def full(obj, fh, *args, **kwargs):
        fh.write(b"PK\x03\x04 part of it")
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(ckpt.torch, "save", full)
    with pytest.raises(HybridXAIError, match="m.pth': the disk is full .*Free some space"):
        ckpt.save_checkpoint(small_trained(), path)
    assert path.read_bytes() == before and _leftovers(tmp_path) == []


def test_a_full_disk_while_writing_predictions_exits_2(model_and_data, tmp_path, capsys, monkeypatch):
    def full(self, path, *args, **kwargs):
        Path(path).write_text("predicted,p_c0\n")
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(pd.DataFrame, "to_csv", full)
    code, err = _predict(model_and_data, tmp_path / "p.csv", capsys)
    assert code == 2 and "the disk is full" in err and err.count("\n") == 1
    assert list(tmp_path.iterdir()) == []


def test_stale_temporary_files_are_cleaned_on_the_next_write(tmp_path):
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    host = fileio._HOST
    names = {
        "dead process": f".m.pth.{host}-{dead.pid}.abcd1234.tmp",
        "live process": f".m.pth.{host}-{os.getpid()}.abcd1234.tmp",
        "other host, fresh": f".m.pth.00000000-{dead.pid}.abcd1234.tmp",
        "older style, two hours": ".m_results.csv.k2j4h5g6.tmp",
        "older style, fresh": ".m_training.png.q1w2e3r4.tmp",
        "someone else's file": ".notes.tmp",
    }
    for name in names.values():
        (tmp_path / name).write_text("partial")
    two_hours_ago = time.time() - 7200
    os.utime(tmp_path / names["older style, two hours"], (two_hours_ago, two_hours_ago))
    write_csv(pd.DataFrame({"a": [1]}), tmp_path / "other.csv")  # any write to the folder cleans it
    left = {p.name for p in tmp_path.iterdir()}
    assert names["dead process"] not in left and names["older style, two hours"] not in left
    assert {names[k] for k in ("live process", "other host, fresh", "older style, fresh",
                               "someone else's file")} <= left
    future = time.time() + 2 * fileio.STALE_SECONDS
    assert names["other host, fresh"] in {p.name for p in clean_stale_temporaries(tmp_path, now=future)}


def test_a_writer_killed_with_kill_9_leaves_nothing_after_the_next_write(tmp_path):
    code = ("import sys, time; from hybridxai_gui.core.model_files.fileio import atomic_write; "
            "atomic_write(sys.argv[1], lambda tmp: (open(tmp, 'w').write('half'), time.sleep(60)))")
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    writer = subprocess.Popen([sys.executable, "-c", code, str(tmp_path / "m.pth")], env=env)
    deadline = time.time() + 60
    while not _leftovers(tmp_path) and time.time() < deadline:
        time.sleep(0.05)
    assert _leftovers(tmp_path), "the writer never started"
    writer.kill()
    writer.wait()
    atomic_write(tmp_path / "m_other.txt", lambda tmp: Path(tmp).write_text("x"))
    assert _leftovers(tmp_path) == [] and sorted(p.name for p in tmp_path.iterdir()) == ["m_other.txt"]


def test_staged_files_appear_together_or_not_at_all(tmp_path):
    with staged() as stage:
        write_csv(pd.DataFrame({"a": [1]}), tmp_path / "a.csv")
        write_csv(pd.DataFrame({"b": [2]}), tmp_path / "b.csv")
        assert sorted(p.name for p in tmp_path.iterdir() if not p.name.startswith(".")) == []
    assert stage.commit() == [tmp_path / "a.csv", tmp_path / "b.csv"]
    assert _leftovers(tmp_path) == []
    with pytest.raises(RuntimeError):
        with staged():
            write_csv(pd.DataFrame({"a": [3]}), tmp_path / "a.csv")
            raise RuntimeError("drawing failed")
    assert pd.read_csv(tmp_path / "a.csv")["a"].tolist() == [1] and _leftovers(tmp_path) == []


def test_a_model_is_never_beside_another_runs_side_files(tmp_path, monkeypatch):
    from hybridxai_gui.outputs import training as outputs

    trained = small_trained()
    path = tmp_path / "m.pth"
    saved = outputs.save_training_outputs(trained, path, 1, "accuracy 1.0")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.pth", "m_evaluation.txt", "m_results.csv",
                                                           "m_training.eps", "m_training.png"]
    assert saved.problem is None and set(saved.files) == {"results", "png", "eps", "evaluation"}
    # A later run without test rows: its model must not sit beside the earlier run's evaluation.
    outputs.save_training_outputs(trained, path, 1, None)
    assert not (tmp_path / "m_evaluation.txt").exists() and (tmp_path / "m_results.csv").exists()
    # The figure fails: the model is still saved, the earlier side files go, and the reason comes back.
    monkeypatch.setattr(outputs, "export_figure", lambda *a, **k: (_ for _ in ()).throw(HybridXAIError("no EPS")))
    saved = outputs.save_training_outputs(trained, path, 1, "accuracy 0.5")
    assert str(saved.problem) == "no EPS" and saved.files == {}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.pth"]
    # The model itself fails: nothing changes, nothing is left behind.
    monkeypatch.undo()
    outputs.save_training_outputs(trained, path, 1, "accuracy 1.0")
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    from hybridxai_gui.core.model_files import checkpoint as ckpt

    def full(obj, fh, *args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(ckpt.torch, "save", full)
    with pytest.raises(HybridXAIError, match="disk is full"):
        outputs.save_training_outputs(trained, path, 1, None)
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before
