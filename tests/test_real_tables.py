"""Real tables as people keep them (issue 24): a label guess a person would make, a table that is not mistaken
for a long file of series, one rule for identifier columns in both front ends, and the command line on the
development tables."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from hybridxai_gui.cli import main
from hybridxai_gui.core.config import PRESETS
from hybridxai_gui.core.data.label_guess import guess_label
from hybridxai_gui.core.data.layout import detect_layout
from hybridxai_gui.core.data.tables import read_rows
from hybridxai_gui.core.errors import render

DATA = Path("/work/shared/data")
needs_data = pytest.mark.skipif(not (DATA / "penguins_train.csv").exists(), reason="development data not here")


def penguins(n: int = 60, seed: int = 0) -> pd.DataFrame:
    """As the Palmer penguins file: species first, two text columns, a `year` column last."""
    rng = np.random.default_rng(seed)
    species = np.array(["Adelie", "Gentoo", "Chinstrap"])[np.arange(n) % 3]
    return pd.DataFrame({
        "species": species,
        "island": np.where(species == "Gentoo", "Biscoe", rng.choice(["Dream", "Torgersen"], n)),
        "bill_length_mm": np.where(species == "Adelie", 38.8, 47.5) + rng.normal(0, 2, n),
        "body_mass_g": np.where(species == "Gentoo", 5000.0, 3700.0) + rng.normal(0, 300, n),
        "sex": rng.choice(["male", "female"], n),
        "year": rng.choice([2007, 2008, 2009], n),
    })


def cars93(n: int = 93, seed: int = 0) -> pd.DataFrame:
    """As MASS::Cars93: a name per row (Model, Make: one value per row), a `Type` of 6 values, text features."""
    rng = np.random.default_rng(seed)
    return pd.DataFrame({
        "Manufacturer": rng.choice([f"maker {i}" for i in range(32)], n),
        "Model": [f"model {i}" for i in range(n)],
        "Type": np.array(["Small", "Midsize", "Compact", "Large", "Sporty", "Van"])[np.arange(n) % 6],
        "Price": rng.normal(20, 8, n).round(1),
        "AirBags": rng.choice(["None", "Driver only", "Driver & Passenger"], n),
        "DriveTrain": rng.choice(["Front", "Rear", "4WD"], n),
        "Origin": rng.choice(["USA", "non-USA"], n),
        "Make": [f"maker model {i}" for i in range(n)],
    })


def acsf1_like(n: int = 40, steps: int = 50, seed: int = 0) -> pd.DataFrame:
    """As UCR's ACSF1: the class first, as whole numbers 0-9, then z-normalised readings w0000 …"""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, steps)).round(8)
    frame = pd.DataFrame(X, columns=[f"w{i:04d}" for i in range(steps)])
    frame.insert(0, "appliance", np.arange(n) % 10)
    return frame


@pytest.mark.parametrize("frame, expected", [
    (penguins(), "species"),  # the last column is `year`: 3 "classes" before
    (cars93(), "Type"),  # the last column is `Make`: 93 classes for 93 rows before
    (acsf1_like(), "appliance"),  # the label first; readings such as '-0.57796699' were taken for classes
])
def test_the_label_guess_on_named_cases(frame, expected):
    guess = guess_label(frame)
    assert guess.column == expected
    assert "Model" not in guess.candidates and "Make" not in guess.candidates  # never a name per row


def titanic_like(n: int = 60, seed: int = 0) -> pd.DataFrame:
    """As Kaggle's Titanic file: an id, the 0/1 outcome second, a name per row, a text column with gaps."""
    rng = np.random.default_rng(seed)
    return pd.DataFrame({
        "PassengerId": np.arange(1, n + 1),
        "Survived": rng.integers(0, 2, n),
        "Pclass": rng.integers(1, 4, n),
        "Name": [f"Person {i}, Mr. X" for i in range(n)],
        "Sex": rng.choice(["male", "female"], n),
        "Age": rng.normal(30, 12, n).round(1),
        "Embarked": np.where(np.arange(n) % 9 == 0, None, rng.choice(["S", "C", "Q"], n)),
    })


def test_a_named_outcome_wins_and_a_column_with_blank_rows_is_a_worse_guess():
    """Titanic's `Embarked` (text, 3 values, some blank) was guessed over `Survived`, and training stopped on its
    blank rows; `survived` is a name people give an outcome, and a class column is rarely left blank."""
    guess = guess_label(titanic_like())
    assert guess.column == "Survived" and "PassengerId" not in guess.candidates and "Name" not in guess.candidates
    unnamed = pd.DataFrame({"port": np.where(np.arange(60) % 9 == 0, None, np.array(["S", "C", "Q"] * 20)),
                            "size": np.linspace(0, 1, 60), "sex": ["m", "f"] * 30, "w": np.linspace(2, 3, 60)})
    guess = guess_label(unnamed)
    assert guess.column == "sex" and guess.candidates == ("port",)
    only = guess_label(unnamed.drop(columns="sex"))
    assert only.column == "port" and "some rows blank" in only.why


def test_a_clock_is_never_the_label_but_words_a_date_parser_takes_may_be():
    from hybridxai_gui.core.data.series import reads_as_dates

    clock = pd.DataFrame({"trial": np.repeat(np.arange(8), 12), "x": np.linspace(0, 1, 96),
                          "activity": np.repeat(["walk", "run"] * 4, 12),
                          "timestamp": [f"2021-03-01 08:00:{s:02d}" for s in range(12)] * 8})
    assert guess_label(clock).column == "activity"  # the timestamps (12 values, text, last) were guessed before
    for dates in (["2021-03-01", "2021-03-02"], ["08:00", "08:30:05.5"], ["01/03/2021 08:00", "2/3/2021 9:15"],
                  ["2021-03-01T08:00:00+01:00", "2021-03-01T07:00:01Z"]):
        assert reads_as_dates(pd.Series(dates * 5)), dates
    for classes in (["May", "June"], ["1st", "2nd", "3rd"], ["t1", "t2"], ["now", "today"], ["2019", "2020"]):
        assert not reads_as_dates(pd.Series(classes * 5)), classes


def test_a_guess_prefers_text_and_the_edges_and_says_why():
    frame = pd.DataFrame({"row": np.arange(40), "colour": ["red", "blue"] * 20, "size": np.linspace(0, 1, 40),
                          "shape": ["round", "square", "flat", "long"] * 10})
    guess = guess_label(frame)
    assert guess.column == "shape" and guess.candidates == ("colour",)
    assert guess.why == "text with few values, 4 values, the last column"
    numbers = pd.DataFrame({"a": np.linspace(0, 1, 30), "b": np.linspace(1, 2, 30)})
    assert guess_label(numbers).column == "b" and "no column looks like a label" in guess_label(numbers).why


def test_the_command_line_says_what_it_guessed(tmp_path, capsys, monkeypatch):
    monkeypatch.setitem(PRESETS, "default", {**PRESETS["default"], "train": {**PRESETS["default"]["train"],
                                                                              "epochs": 1}})
    path = tmp_path / "penguins.csv"
    penguins().to_csv(path, index=False)
    assert main(["train", str(path), "--out", str(tmp_path / "m.pth"), "--quiet", "--cnn-channels", "4"]) == 0
    err = capsys.readouterr().err
    assert ("note: no --label given: guessed species (named like a label, 3 values, the first column); other "
            "candidates: sex, island, year.") in err


def test_unseen_test_labels_from_a_guess_name_label_and_the_candidates(tmp_path, capsys):
    train, test = penguins(60), penguins(30, seed=1)
    train = train.rename(columns={"species": "animal"})  # no label name: the guess takes another column
    test = test.rename(columns={"species": "animal"})
    train["grade"] = np.where(train["island"] == "Biscoe", "A", "B")
    test["grade"] = "C"
    train.to_csv(tmp_path / "train.csv", index=False)
    test.to_csv(tmp_path / "test.csv", index=False)
    assert main(["train", str(tmp_path / "train.csv"), "--test", str(tmp_path / "test.csv"), "--epochs", "1",
                 "--out", str(tmp_path / "m.pth")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "never occurs in the training data" in err
    assert "was guessed" in err and "name the label column with --label (other candidates: " in err
    assert "animal" in err.split("other candidates:")[1]


def mpg_like(seed: int = 0) -> pd.DataFrame:
    """As ggplot2's mpg in its own order: a repeating text column `model` (a few rows each), numeric columns,
    and a class that changes within one model."""
    rng = np.random.default_rng(seed)
    rows = []
    for m in range(20):
        kind = ["compact", "midsize", "suv", "pickup"][m % 4]
        for k in range(int(rng.integers(3, 8))):
            rows.append({"manufacturer": f"maker {m // 3}", "model": f"model {m}", "displ": rng.uniform(1.5, 5),
                         "year": int(rng.choice([1999, 2008])), "cyl": int(rng.choice([4, 6, 8])),
                         "trans": rng.choice(["auto(l4)", "manual(m5)"]), "hwy": int(rng.integers(15, 35)),
                         "class": "midsize" if (m == 0 and k == 0) else kind})
    frame = pd.DataFrame(rows)
    frame.insert(0, "rownames", np.arange(1, len(frame) + 1))
    return frame


def test_a_table_keyed_on_a_repeating_name_is_read_as_a_table_with_a_note():
    frame = mpg_like()
    detected = detect_layout(frame, "class")
    assert detected.layout == "table" and detected.spec is None
    assert "column 'model' repeats like a series id, but the label 'class' changes within 1 of its 20 groups" \
        in detected.notes[0] and "--layout long" in render(detected.notes[0])
    table = read_rows(frame, label="class")
    assert table.spec is None and "rownames" not in table.feature_names
    assert any(f.startswith("model=") for f in table.feature_names)
    assert any("column 'model' repeats like a series id" in n for n in table.notes)
    assert detect_layout(frame.assign(**{"class": frame.groupby("model")["class"].transform("first")}),
                         "class").layout == "table"  # a few rows per name and no clock: no series either


def test_every_layout_choice_takes_effect():
    frame = mpg_like()
    assert read_rows(frame, label="class", layout="table").spec is None
    wide = read_rows(frame, label="class", layout="wide")  # as asked: the columns in file order are one series
    assert wide.spec is not None and wide.spec.layout == "wide" and wide.spec.n_channels == 1
    long = read_rows(frame, label="class", layout="long", id_column="model", features=["displ", "hwy"])
    assert long.spec is not None and long.spec.layout == "long"


def test_a_long_file_with_a_clock_is_still_long():
    from test_series import recordings

    detected = detect_layout(recordings(n_series=12, length=20), "activity")
    assert detected.layout == "long" and detected.spec.id_column == "recording" and not detected.notes


def test_one_identifier_rule_for_both_front_ends():
    from hybridxai_gui.core.data.table_checks import check_table

    frame = cars93()
    frame.insert(0, "rownames", np.random.default_rng(0).permutation(np.arange(1, 94)) + 100)
    frame["ID"] = np.r_[np.arange(90), [1, 2, 3]] * 7 + 1000  # a sample ID that repeats now and then
    found = check_table(frame, "Type")  # what the Data tab unticks
    assert found.identifiers == ["rownames", "Model", "Make", "ID"]
    table = read_rows(frame, label="Type")  # what the command line leaves out
    assert not any(f.split("=")[0] in found.identifiers for f in table.feature_names)
    note = next(render(n) for n in table.notes if "identifier" in n)
    assert "'rownames', 'Model', 'Make', 'ID'" in note and "left out of the features" in note and "--features" in note
    kept = read_rows(frame, label="Type", features=["rownames", "Price"])  # named: kept
    assert kept.feature_names == ["rownames", "Price"]


def test_the_data_tab_uses_the_same_rules(qtbot, tmp_path):
    pytest.importorskip("pytestqt")
    from hybridxai_gui.gui.data_tab import DataTab

    path = tmp_path / "cars.csv"
    cars93().to_csv(path, index=False)
    tab = DataTab()
    qtbot.addWidget(tab)
    with qtbot.waitSignal(tab.trainLoaded, timeout=30_000):
        tab.open_train(str(path))
    assert tab.labelColumnCombo.currentText() == "Type" and tab.label_is_guessed
    assert "Guessed: named like a label, 6 values" in tab.labelGuessLabel.text()
    assert tab.selected_features() == ["Manufacturer", "Price", "AirBags", "DriveTrain", "Origin"]
    tab.labelColumnCombo.setCurrentText("Origin")
    assert not tab.label_is_guessed
    path = tmp_path / "mpg.csv"
    mpg_like().to_csv(path, index=False)
    with qtbot.waitSignal(tab.trainLoaded, timeout=30_000):
        tab.open_train(str(path))
    qtbot.waitUntil(lambda: tab.view is not None and tab.view.label == "class", timeout=30_000)
    assert tab.layoutCombo.currentText() == "table" and tab.view.detected.layout == "table"
    assert "read as a table" in tab.layoutPanel.layoutLabel.text()
    assert tab.data_config().layout == "auto" and "rownames" not in tab.data_config().features
    for choice in ("wide", "table"):  # every layout choice takes effect: the view and the training settings
        view = tab.view
        tab.layoutCombo.setCurrentText(choice)
        tab.layoutCombo.activated.emit(tab.layoutCombo.currentIndex())
        qtbot.waitUntil(lambda v=view: tab.view is not v or "Cannot read" in tab.layoutPanel.layoutLabel.text(),
                        timeout=30_000)
        assert tab.data_config().layout == choice
        assert choice == "wide" or tab.view.detected.layout == "table"


@needs_data
@pytest.mark.parametrize("name, label, text", [
    ("penguins", "species", ["island", "sex"]), ("glass", "type", []), ("biopsy", "class", []),
    ("cells", "class", ["case"]), ("hpc_jobs", "class", ["protocol", "day"]),
    ("mpg", "class", ["manufacturer", "model", "trans", "drv", "fl"]),
])
def test_the_development_tables_read_with_the_label_alone(name, label, text):
    """What `hybridxai cv FILE --label L` reads, with no other flag: every table, its text columns encoded, its
    identifiers (R's rownames, biopsy's ID) left out, gaps filled (and said)."""
    table = read_rows(DATA / f"{name}_train.csv", label=label, missing="mean")
    assert table.spec is None and len(table.class_names) >= 2
    assert table.encoding is None if not text else [t.name for t in table.encoding.text] == text
    assert "rownames" not in table.feature_names and "ID" not in table.feature_names
    assert read_rows(DATA / f"{name}_train.csv", missing="mean").label_column == label  # and the guess agrees


@needs_data
def test_the_development_series_keep_their_labels_guessed():
    for name, label in (("ACSF1_train", "appliance"), ("Coffee_train", "bean"), ("PigCVP_train", "pig"),
                        ("BasicMotions_train_long", "activity"), ("PLAID_train_long", "appliance")):
        from hybridxai_gui.core.pipeline import open_table

        assert open_table(DATA / f"{name}.csv").label_guess.column == label, name


@needs_data
def test_cv_runs_on_penguins_with_the_label_alone(tmp_path, capsys, monkeypatch):
    monkeypatch.setitem(PRESETS, "default", {**PRESETS["default"], "train": {**PRESETS["default"]["train"],
                                                                              "epochs": 1}})
    out = tmp_path / "cv"
    assert main(["cv", str(DATA / "penguins_train.csv"), "--label", "species", "--out", str(out)]) == 0
    baselines = pd.read_csv(out / "baselines.csv")
    assert "gradient_boosting" in baselines["model"].tolist()
    assert (baselines.set_index("model").loc["logistic_regression", "accuracy_mean"]) > 0.9


def test_the_window_trains_penguins_with_its_text_columns_without_a_manual_step(qtbot, window, dialogs, tmp_path):
    pytest.importorskip("pytestqt")
    from conftest import fast_settings

    path = tmp_path / "penguins.csv"
    frame = penguins()
    frame.loc[[4, 9], "sex"] = None  # gaps in a text column: a value of their own
    frame.loc[7, "bill_length_mm"] = None  # a gap in a number: filled with the training mean, and said
    frame.to_csv(path, index=False)
    dialogs.open_path = str(path)
    with qtbot.waitSignal(window.dataLoaded, timeout=30_000):
        window.actionOpenData.trigger()
    tab = window.dataTab
    qtbot.waitUntil(lambda: tab.view is not None, timeout=30_000)
    assert tab.labelColumnCombo.currentText() == "species" and tab.label_is_guessed
    assert tab.selected_features() == ["island", "bill_length_mm", "body_mass_g", "sex", "year"]
    fast_settings(window)
    with qtbot.waitSignal(window.trainingDone, timeout=120_000) as done:
        window.trainingTab.startTrainingButton.click()
    trained = done.args[0].trained
    assert [t.name for t in trained.encoding.text] == ["island", "sex"]
    assert "sex=(missing)" in trained.feature_names
    assert not [m for m in dialogs.messages if m[0] in ("warning", "critical")]


def test_cv_without_folds_asked_takes_fewer_when_a_class_is_small_and_says_so(tmp_path):
    from hybridxai_gui.core.evaluation.crossval import CrossValidationConfig, fitted_folds

    frame = penguins(40)
    frame.loc[:2, "species"] = "Macaroni"  # 3 rows of a fourth species
    table = read_rows(frame, label="species")
    cv, note = fitted_folds(CrossValidationConfig(auto_folds=True), table)
    assert cv.folds == 3 and "Class 'Macaroni' has only 3 rows: 3-fold cross-validation instead of 5-fold" in note
    assert fitted_folds(CrossValidationConfig(), table) == (CrossValidationConfig(), None)  # asked: refused later


def test_the_default_gap_policy_says_that_it_fills(tmp_path):
    frame = penguins(30)
    frame.loc[[2, 5], "bill_length_mm"] = np.nan
    table = read_rows(frame, label="species", missing="mean")
    (note,) = [render(n) for n in table.notes if "filled" in n]
    assert "2 missing or infinite value(s), in 'bill_length_mm' (2), are filled with the training rows' column " \
           "means (--missing mean)" in note and "--missing error" in note
