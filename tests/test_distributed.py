"""Distributed training on torch.distributed with 2 CPU workers (gloo) on this machine.

The same seed gives the same model as one process (dropout off: dropout draws its masks per worker), up to
the order of floating-point sums; rank 0 alone writes the model and its side files; bad input stops every
worker and says so once.
"""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from hybridxai_gui.core.model_files.checkpoint import load_checkpoint
from hybridxai_gui.core.data.tables import read_table

pytest.importorskip("torch.distributed")

TINY = ["--cnn-channels", "4", "--lstm-hidden", "8", "--heads", "2", "--kernel-size", "5", "--dropout", "0",
        "--epochs", "3", "--batch-size", "16", "--quiet"]


def _train(csv, out, nproc: int, *extra: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "hybridxai_gui.cli", "train", str(csv), "--out", str(out),
                           "--nproc", str(nproc), *TINY, *extra], capture_output=True, text=True, timeout=300)


def test_two_gloo_workers_train_the_single_process_model(tmp_path, tiny_csv):
    one = _train(tiny_csv, tmp_path / "one.pth", 1)
    (tmp_path / "two").mkdir()
    two = _train(tiny_csv, tmp_path / "two" / "m.pth", 2)
    assert one.returncode == 0, one.stderr
    assert two.returncode == 0, two.stderr
    assert "trained with 2 workers" in two.stdout
    assert two.stdout.count("saved model to") == 1  # rank 0 alone prints and writes
    written = sorted(p.name for p in (tmp_path / "two").iterdir())
    assert written == ["m.pth", "m_evaluation.txt", "m_results.csv", "m_training.eps", "m_training.png"]
    a, b = load_checkpoint(tmp_path / "one.pth"), load_checkpoint(tmp_path / "two" / "m.pth")
    X = a.transform(read_table(tiny_csv))
    # The noise augmentation of the default recipe is drawn for the whole global batch: still the same model.
    np.testing.assert_allclose(b.predict_proba(X), a.predict_proba(X), atol=1e-4)
    assert [h["train_loss"] for h in b.history] == pytest.approx([h["train_loss"] for h in a.history], rel=1e-4)
    assert b.runtime_config == a.runtime_config
    # the prediction sets' calibration (fold models trained by both workers) and the unlike flag, as one process's
    ua, ub = a.uncertainty, b.uncertainty
    assert ub.calibration.method == ua.calibration.method == "cross"
    np.testing.assert_allclose(ub.calibration.scores, ua.calibration.scores, atol=1e-4)
    np.testing.assert_allclose(ub.density.means, ua.density.means, rtol=1e-3, atol=1e-4)
    assert ub.density.limit == pytest.approx(ua.density.limit, rel=1e-3)


def test_bad_input_stops_every_worker_with_one_line(tmp_path, tiny_csv):
    frame = pd.read_csv(tiny_csv).astype({"f2": object})
    frame.loc[3, "f2"] = "x"
    bad = tmp_path / "bad.csv"
    frame.to_csv(bad, index=False)
    run = _train(bad, tmp_path / "m.pth", 2)
    assert run.returncode == 2
    lines = [line for line in run.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error:") and "'f2'" in lines[0], run.stderr
    assert not (tmp_path / "m.pth").exists()


def test_explain_in_two_processes_equals_one_to_the_last_digit(tmp_path, tiny_csv):
    from hybridxai_gui.cli import main

    model = tmp_path / "m.pth"
    assert _train(tiny_csv, model, 1).returncode == 0
    for workers in (1, 2):
        assert main(["explain", str(model), str(tiny_csv), "--rows", "0-11", "--figures", "none", "--method",
                     "permutation", "--workers", str(workers), "--out", str(tmp_path / f"w{workers}")]) == 0
    for name in ("shap_values.csv", "faithfulness.csv", "summary.txt"):
        assert (tmp_path / "w1" / name).read_bytes() == (tmp_path / "w2" / name).read_bytes(), name


def test_explain_workers_auto_is_the_apps_rule_and_bad_counts_are_refused():
    from hybridxai_gui.cli_args import UsageError, build_parser
    from hybridxai_gui.core.explain import parallel

    parser = build_parser()
    base = ["explain", "m.pth", "d.csv", "--out", "o"]
    assert parser.parse_args(base).workers == 0  # auto by default
    assert parser.parse_args(base + ["--workers", "auto"]).workers == 0
    assert parser.parse_args(base + ["--workers", "3"]).workers == 3
    for bad in ("0", "-2", "many"):
        with pytest.raises(UsageError, match="--workers"):
            parser.parse_args(base + ["--workers", bad])
    assert parallel.auto_workers(parallel.PARALLEL_ROWS - 1) == 1
    assert parallel.auto_workers(parallel.PARALLEL_ROWS) == parallel.default_workers()
