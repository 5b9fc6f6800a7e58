"""File names from class names (issue 13 §5): unique, readable, collision-free."""

import numpy as np
import pytest

from hybridxai_gui.outputs.names import class_file_name, class_file_names, clean_name


@pytest.mark.parametrize("names, expected", [
    (["chien é", "猫 🐱", "😀"], ["0_chien_é", "1_猫", "2"]),
    (["x", "x/", "x?"], ["0_x", "1_x", "2_x"]),
    (["cultivar 0", "cultivar 1"], ["0_cultivar_0", "1_cultivar_1"]),
    (["../../etc", "a\\b", "CON", ""], ["0_etc", "1_a_b", "2_CON", "3"]),
    (["A", "a"], ["0_A", "1_a"]),  # case-insensitive file systems: the index still tells them apart
])
def test_names_are_unique_and_readable(names, expected):
    assert class_file_names(names) == expected
    assert [class_file_name(names, i) for i in range(len(names))] == expected
    assert len(set(n.lower() for n in expected)) == len(expected)


def test_cleaned_names_hold_no_path_or_odd_characters_and_stay_short():
    for name in ["a/b", "a\\b", "tab\there", "nul\x00x", "..", "x" * 300, "é" * 100, "🐱🐱"]:
        clean = clean_name(name)
        assert not set(clean) & set('/\\:*?"<>|\x00\t ') and len(clean) <= 40
        assert not clean.startswith(".")


def test_explain_writes_one_figure_set_per_class_even_when_names_clean_alike(tmp_path):
    """The reproduction: three classes whose names the old cleaner made into two files."""
    from sklearn.datasets import load_iris

    from hybridxai_gui.core.config import ModelConfig, TrainConfig
    from hybridxai_gui.core.data.prepare import prepare_data
    from hybridxai_gui.outputs.explanations import write_figures
    from hybridxai_gui.core.explain.rows import explain_rows

    from helpers import fit

    d = load_iris(as_frame=True)
    df = d.frame.drop(columns="target")
    df["label"] = np.array(["chien é", "猫 🐱", "😀"])[d.target]
    data = prepare_data(df, seed=0)
    trained = fit(data, ModelConfig(cnn_channels=4, lstm_hidden=4, num_heads=1), TrainConfig(epochs=1)).trained
    gen = explain_rows(trained, data.X_test[:1], [0], data.X_train[:5], "exact")
    while True:
        try:
            next(gen)
        except StopIteration as stop:
            result = stop.value
            break
    write_figures(trained, result, tmp_path, max_row_figures=0)
    beeswarms = sorted(p.name for p in tmp_path.glob("shap_beeswarm_*.png"))
    assert len(beeswarms) == 3, beeswarms
