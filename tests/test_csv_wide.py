"""Wide CSV files (issue 13 §6): a header far over the csv module's 128 KiB field limit opens."""

import csv

import numpy as np
import pytest

from hybridxai_gui.core.data.csvio import read_table, sniff


def _wide(path, n_columns, rows=2):
    names = [f"feature_number_{i:06d}" for i in range(n_columns)]
    lines = [",".join(names + ["label"])]
    lines += [",".join(f"{r + i / 1000:g}" for i in range(n_columns)) + f",c{r % 2}" for r in range(rows)]
    path.write_text("\n".join(lines) + "\n")
    return names


@pytest.mark.parametrize("n_columns", [10_000, 100_000])
def test_a_header_over_128_kib_opens(tmp_path, n_columns):
    path = tmp_path / "wide.csv"
    names = _wide(path, n_columns)
    assert len(path.read_text().split("\n", 1)[0]) > 131_072  # over csv's default field limit
    layout = sniff(path)
    assert layout.sep == "," and layout.header == names + ["label"]
    frame = read_table(path)
    assert frame.shape == (2, n_columns + 1)
    assert frame[names[-1]].dtype == np.float32 and frame[names[-1]].tolist() == pytest.approx([
        (n_columns - 1) / 1000, 1 + (n_columns - 1) / 1000], rel=1e-6)
    assert csv.field_size_limit() >= 131_072  # only ever raised


def test_a_wide_file_with_a_bad_line_names_the_line(tmp_path):
    """Line numbers of a wide file (csv reads whole lines of it as fields) still come out."""
    from hybridxai_gui.core.data.prepare import prepare_data
    from hybridxai_gui.core.errors import HybridXAIError

    path = tmp_path / "wide.csv"
    _wide(path, 10_000, rows=6)
    text = path.read_text().split("\n")
    text[4] = text[4].replace("3.005", "", 1)  # data row 3 (line 5) loses a value: a gap
    path.write_text("\n".join(text))
    with pytest.raises(HybridXAIError, match="line 5"):
        prepare_data(path)
