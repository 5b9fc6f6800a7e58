"""Issue 22 §5, §6, §14-16 and `report --rows` progress: a report explains what `explain` explains, shows a
cross-validation only when it is about the model and its numbers are numbers, refuses oversized or malformed
summaries cheaply, checks its --out first; `cv` checks its folder before the folds and writes its files as a set."""

from __future__ import annotations

import copy
import json

import numpy as np
import pytest

from hybridxai_gui.cli import main
from hybridxai_gui.core.evaluation.crossval import CrossValidationConfig, CrossValidationResult, FoldResult
from hybridxai_gui.core.model_files.checkpoint import load_checkpoint, save_checkpoint

from hostile_models import small_trained
from test_series import recordings

TINY = ["--epochs", "1", "--preset", "quick", "--cnn-channels", "4", "--lstm-hidden", "4", "--heads", "2",
        "--kernel-size", "3", "--quiet"]


# ---- §5: report --rows explains series, with progress -------------------------------------------------------


@pytest.fixture(scope="module")
def long_model(tmp_path_factory):
    folder = tmp_path_factory.mktemp("long_report")
    data = folder / "rec.csv"
    recordings(n_series=12, length=10, shuffle=False).to_csv(data, index=False)
    model = folder / "rec.pth"
    assert main(["train", str(data), *TINY, "--out", str(model)]) == 0
    return model, data


def test_report_rows_of_a_long_file_are_series_explained_as_explain_does(long_model, tmp_path, capsys,
                                                                         monkeypatch):
    from hybridxai_gui.core.evaluation import run_report

    model, data = long_model
    seen = {}
    real = run_report.build_report

    def capture(trained, **kwargs):
        seen.update(kwargs, trained=trained)
        return real(trained, **kwargs)

    monkeypatch.setattr(run_report, "build_report", capture)
    capsys.readouterr()
    assert main(["report", str(model), "--data", str(data), "--rows", "0-2", "--out", str(tmp_path / "r.html")]) == 0
    (shap,) = seen["explanations"]
    spec = seen["trained"].series
    assert list(shap.rows) == [0, 1, 2]  # series r000, r001, r002 (not the file's first three lines)
    assert shap.X.shape == (3, spec.n_channels * spec.length) and shap.grouped  # channel × time segments
    assert shap.true.tolist() == [0, 1, 0]  # still, wave, still: each series' own class
    assert shap.additive
    err = capsys.readouterr().err
    assert "SHAP" in err and "rows" in err  # progress as explain shows it


# ---- §6, §14, §16: the cross-validation summary a report shows ----------------------------------------------


@pytest.fixture(scope="module")
def small_model(tmp_path_factory):
    return save_checkpoint(small_trained(), tmp_path_factory.mktemp("small") / "m.pth")


def _summary(model_path) -> dict:
    from hybridxai_gui.core.evaluation.crossval_checks import recipe_of

    trained = load_checkpoint(model_path)
    metrics = {"accuracy": 0.8, "balanced_accuracy": 0.8, "macro_f1": 0.79, "roc_auc": 0.9, "ece": 0.05}
    folds = [FoldResult(i, 1, i + 1, 9, 1, 10, dict(metrics), {"random_forest": {"accuracy": 0.7, "macro_f1": 0.7,
                                                                                 "seconds": 0.1}}, epochs=2)
             for i in range(2)]
    result = CrossValidationResult(CrossValidationConfig(folds=2), list(trained.class_names), "d.csv", 20, folds)
    data = result.to_dict()
    data["recipe"] = recipe_of(trained)
    return json.loads(json.dumps(data))


def _report_cv(model_path, summary, folder, capsys):
    folder.mkdir(exist_ok=True)
    path = folder / "cv_summary.json"
    path.write_text(summary if isinstance(summary, str) else json.dumps(summary))
    code = main(["report", str(model_path), "--cv", str(folder), "--out", str(folder / "r.html")])
    return code, capsys.readouterr().err


def test_a_summary_of_this_model_is_shown(small_model, tmp_path, capsys):
    code, err = _report_cv(small_model, _summary(small_model), tmp_path / "ok", capsys)
    assert code == 0, err
    text = (tmp_path / "ok" / "r.html").read_text()
    assert "Repeated evaluation" in text and "0.800" in text


def test_a_summary_recorded_before_a_setting_existed_still_stands(small_model, tmp_path, capsys):
    """A cross-validation written by a version without `unequal` is about a model that keeps its default; a model
    that chose another value is not what it evaluated."""
    from dataclasses import replace

    from hybridxai_gui.core.evaluation.crossval_checks import model_mismatch

    older = _summary(small_model)
    del older["recipe"]["data"]["unequal"]
    code, err = _report_cv(small_model, older, tmp_path / "older", capsys)
    assert code == 0, err
    trained = load_checkpoint(small_model)
    result = CrossValidationResult.from_dict(older)
    assert model_mismatch(result, trained) is None
    trained.data_config = replace(trained.data_config, unequal="pad")
    assert "unequal None there, 'pad' here" in model_mismatch(result, trained)


def _edit(summary, change):
    summary = copy.deepcopy(summary)
    change(summary)
    return summary


CASES = {
    "other classes": (lambda s: s.update(class_names=["x", "y", "z"]), "its classes are"),
    "another recipe": (lambda s: s["recipe"]["training"].update(lr=0.5, epochs=7), "lr 0.5 there"),
    "another model size": (lambda s: s["recipe"]["model"].update(lstm_hidden=64), "lstm_hidden 64 there"),
    "accuracy 1.7": (lambda s: s["folds"][0]["metrics"].update(accuracy=1.7), "accuracy is 1.7"),
    "negative count": (lambda s: s["folds"][0].update(n_test=-5), "n_test is -5"),
    "counts that do not add up": (lambda s: s["folds"][1].update(n_train=9000), "do not add up"),
    "100,000 folds": (lambda s: s["config"].update(folds=100_000), "100,000"),
    "more folds than asked": (lambda s: s["folds"].append(dict(s["folds"][1], index=2)), "asked for 2"),
    "baseline seconds text": (lambda s: s["folds"][0]["baselines"]["random_forest"].update(seconds="x"), "seconds"),
}


@pytest.mark.parametrize("name", list(CASES))
def test_a_summary_not_about_the_model_or_not_sound_is_refused(small_model, tmp_path, capsys, name):
    change, message = CASES[name]
    code, err = _report_cv(small_model, _edit(_summary(small_model), change), tmp_path / "cv", capsys)
    assert code == 2 and len(err.splitlines()) == 1 and message in err, err
    assert not (tmp_path / "cv" / "r.html").exists()


def test_nan_and_infinite_accuracies_are_refused(small_model, tmp_path, capsys):
    text = json.dumps(_summary(small_model))
    for literal in ("NaN", "Infinity", "1e999"):
        changed = text.replace('"accuracy": 0.8', f'"accuracy": {literal}', 1)
        code, err = _report_cv(small_model, changed, tmp_path / literal, capsys)
        assert code == 2 and "accuracy is" in err, (literal, err)


def test_a_deeply_nested_or_oversized_summary_is_refused_cheaply(small_model, tmp_path, capsys):
    code, err = _report_cv(small_model, "[" * 100_000 + "]" * 100_000, tmp_path / "deep", capsys)
    assert code == 2 and len(err.splitlines()) == 1 and "internal error" not in err, err
    big = tmp_path / "big"
    big.mkdir()
    with open(big / "cv_summary.json", "wb") as fh:  # a sparse file: 20 MB of nothing, never read
        fh.truncate(20 << 20)
    assert main(["report", str(small_model), "--cv", str(big), "--out", str(big / "r.html")]) == 2
    assert "holds 20,971,520 bytes" in capsys.readouterr().err


def test_a_summary_that_is_a_named_pipe_is_refused_not_waited_on(small_model, tmp_path, capsys):
    import os

    os.mkfifo(tmp_path / "cv_summary.json")
    assert main(["report", str(small_model), "--cv", str(tmp_path), "--out", str(tmp_path / "r.html")]) == 2
    assert "not a regular file" in capsys.readouterr().err


def test_report_checks_its_out_before_loading_the_model(tmp_path, capsys):
    (tmp_path / "r.html").mkdir()
    assert main(["report", str(tmp_path / "no model.pth"), "--out", str(tmp_path / "r.html")]) == 2
    err = capsys.readouterr().err
    assert "r.html" in err and "folder" in err and "no model.pth" not in err, err


# ---- §15, §16: cv writes its files as a set, into a folder checked first -----------------------------------


def _result(accuracy: float) -> CrossValidationResult:
    metrics = {"accuracy": accuracy, "balanced_accuracy": accuracy, "macro_f1": accuracy, "roc_auc": 0.9, "ece": 0.1}
    return CrossValidationResult(CrossValidationConfig(folds=2), ["a", "b"], "d.csv", 20,
                                 [FoldResult(i, 1, i + 1, 9, 1, 10, dict(metrics)) for i in range(2)])


def test_cv_files_appear_together_or_not_at_all(tmp_path, monkeypatch):
    from hybridxai_gui.outputs import crossval as outputs

    outputs.write_cv_outputs(_result(0.6), tmp_path)
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    assert set(before) == {"cv_metrics.csv", "baselines.csv", "cv_summary.json", "cv_spread.png"}

    def killed(*args, **kwargs):  # the process dies while drawing the last file
        raise KeyboardInterrupt

    monkeypatch.setattr(outputs, "export_figure", killed)
    with pytest.raises(KeyboardInterrupt):
        outputs.write_cv_outputs(_result(0.9), tmp_path)
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before  # the earlier set, whole


def test_cv_refuses_a_folder_it_cannot_write_before_the_folds(tmp_path, capsys, monkeypatch):
    import errno
    from pathlib import Path

    from hybridxai_gui.core.evaluation import crossval
    from hybridxai_gui.core.model_files import fileio

    from helpers import write_wine_csv

    csv = write_wine_csv(tmp_path)
    ran = []

    def folds(*args, **kwargs):
        ran.append(True)
        return _result(0.5)
        yield  # a generator, as cross_validate is

    def denied(*args, **kwargs):
        raise PermissionError(errno.EACCES, "Permission denied")

    monkeypatch.setattr(crossval, "cross_validate", folds)
    monkeypatch.setattr(fileio.tempfile, "mkstemp", denied)
    monkeypatch.setattr(Path, "mkdir", denied)
    assert main(["cv", str(csv), "--folds", "2", "--out", str(tmp_path / "ro" / "cv")]) == 2
    err = capsys.readouterr().err
    assert len(err.splitlines()) == 1 and "no permission to write" in err and ran == [], err


def test_cv_refuses_more_folds_than_one_evaluation_runs(tmp_path, capsys, monkeypatch):
    from hybridxai_gui.core.evaluation import crossval

    from helpers import write_wine_csv

    csv = write_wine_csv(tmp_path)
    monkeypatch.setattr(crossval, "cross_validate", lambda *a, **k: pytest.fail("the folds ran"))
    assert main(["cv", str(csv), "--folds", "5", "--repeats", "1000", "--out", str(tmp_path / "cv")]) == 2
    assert "5,000 folds" in capsys.readouterr().err


def test_summary_round_trip_keeps_every_number(tmp_path):
    from hybridxai_gui.outputs.crossval import load_cv_summary, write_cv_outputs

    result = _result(0.75)
    result.folds[0].metrics["roc_auc"] = float("nan")  # undefined for a fold: null in JSON, NaN again
    write_cv_outputs(result, tmp_path)
    back = load_cv_summary(tmp_path)
    assert back.values("accuracy") == [0.75, 0.75] and np.isnan(back.folds[0].metrics["roc_auc"])


def test_the_apps_report_leaves_out_a_cross_validation_of_another_run_and_says_so(small_model):
    """The app hands build_report the Evaluation tab's last repeated evaluation, which may be of another run."""
    from hybridxai_gui.core.evaluation.run_report import build_report

    trained = load_checkpoint(small_model)
    same = CrossValidationResult.from_dict(_summary(small_model))
    assert build_report(trained, cross_validation=same).cross_validation is same
    other = CrossValidationResult.from_dict(_edit(_summary(small_model),
                                                  lambda s: s["recipe"]["training"].update(epochs=9)))
    content = build_report(trained, cross_validation=other)
    assert content.cross_validation is None
    assert any("left out" in n and "epochs 9 there" in n for n in content.notes), content.notes
