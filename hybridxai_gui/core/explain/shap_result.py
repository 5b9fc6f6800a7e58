"""What a SHAP run returns: `ShapResult`, its units, its additivity check and its named units.

Values are kept in two units at once when the explained output is the classifier's (logit and
probability): the engine evaluates both outputs from the same forward passes, so switching the shown
units never recomputes anything and both sets are additive (`in_units`).

A unit is what SHAP gave one value to: a single input feature, or a group of features (a segment of
a series, `<channel>@<start>-<end>`), when the game ran over groups.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

ADDITIVITY_TOLERANCE = 1e-4
UNITS = ("probability", "logit")
# What the two ends of an additive explanation are, in words a reader without a statistics course follows.
BASE_WORDS = "average prediction over the background"
OUTPUT_WORDS = "this row's prediction"


def units_words(units: str, class_name: str | None = None) -> str:
    """'probability of class malignant', 'logit of class malignant' or 'model output'."""
    of = f" of class {class_name}" if class_name is not None else ""
    if units == "probability":
        return f"probability{of}"
    if units == "logit":
        return f"logit (log-odds score){of}"
    return f"model output{of}"


def format_probability(p: float) -> str:
    """Probabilities to 2 digits, 3 near the ends (0.995, 0.004), never '1.00' for a probability below 1."""
    p = float(p)
    if 0.01 <= p <= 0.99 or p in (0.0, 1.0):
        return f"{p:.2f}"
    text = f"{p:.3f}"
    if text in ("1.000", "0.000"):
        return "> 0.999" if p > 0.5 else "< 0.001"
    return text


def format_effect(v: float, units: str = "probability") -> str:
    """A signed contribution: '+0.21', '−0.04' (probability points); logits to 2 significant digits."""
    sign = "+" if v >= 0 else "−"
    a = abs(float(v))
    if units == "probability":
        if a >= 0.005:
            return f"{sign}{a:.2f}"
        return f"{sign}{a:.3f}" if a >= 0.001 else (f"{sign}{a:.1g}" if a > 0 else "0")
    return f"{sign}{a:.2g}" if a < 1 else f"{sign}{a:.2f}"


@dataclass
class ShapResult:
    values: np.ndarray  # (R, U, C) float64 SHAP values per unit (feature or group) and class, in `units`
    base_values: np.ndarray  # (C,) the average prediction over the background, in `units`
    model_output: np.ndarray  # (R, C) the model's output for the explained rows, in `units`
    rows: np.ndarray  # (R,) row ids (0-based data rows, or positions when not given)
    X: np.ndarray  # (R, F) the explained (scaled) inputs
    feature_names: list[str]  # one name per unit (the group names when grouped)
    class_names: list[str]
    method: str  # the method actually used (never "auto")
    background_size: int
    additivity_gap: float  # max |base + Σφ − output| over rows, classes and both units
    additive: bool  # gap <= tolerance
    n_evaluations: int  # forward rows (or gradient rows) spent per explained row
    seconds: float
    predicted: np.ndarray  # (R,) argmax of model_output
    true: np.ndarray | None = None  # (R,) true class indices when known
    X_raw: np.ndarray | None = None  # (R, F) unscaled inputs for display
    tolerance: float = ADDITIVITY_TOLERANCE
    options: dict = field(default_factory=dict)
    from_cache: bool = False
    units: str = "logit"  # "logit", "probability" or "output" (a caller's own output function)
    groups: list[np.ndarray] | None = None  # the input features of each unit when SHAP ran over groups
    input_names: list[str] | None = None  # the F input feature names (feature_names names the units)
    alternate: dict | None = None  # the same explanation in the other units: units, values, base_values, model_output
    # (R, U, C) each value's standard error in `units`: the spread over the background rows of each row's own
    # estimate (its permutations' mean, or its exact values), over √rows; NaN where it could not be measured, None
    # where the method gives none (kernel, gradient)
    standard_error: np.ndarray | None = None

    @property
    def n_rows(self) -> int:
        return self.values.shape[0]

    @property
    def n_units(self) -> int:
        return self.values.shape[1]

    @property
    def grouped(self) -> bool:
        return self.groups is not None

    @property
    def available_units(self) -> list[str]:
        return [self.units] + ([self.alternate["units"]] if self.alternate else [])

    def in_units(self, units: str) -> ShapResult:
        """The same explanation in `units` ("probability" or "logit"); raises ValueError when not computed."""
        if units == self.units:
            return self
        if not self.alternate or self.alternate["units"] != units:
            raise ValueError(f"this result holds no values in {units} units (it has {self.available_units})")
        alt = self.alternate
        back = {"units": self.units, "values": self.values, "base_values": self.base_values,
                "model_output": self.model_output, "standard_error": self.standard_error}
        return replace(self, units=units, values=alt["values"], base_values=alt["base_values"],
                       model_output=alt["model_output"], standard_error=alt.get("standard_error"), alternate=back)

    @property
    def additivity_message(self) -> str:
        """One line for plots and status labels: whether the contributions add up, in words, and the gap."""
        gap = f"{self.additivity_gap:.1e}"
        if self.additive:
            return (f"Additivity OK: the {BASE_WORDS} plus the contributions gives {OUTPUT_WORDS} "
                    f"(largest gap {gap})")
        note = " (expected: this method is an approximation)" if self.method == "gradient" else ""
        return (f"Additivity FAILED: the {BASE_WORDS} plus the contributions misses {OUTPUT_WORDS} by up to "
                f"{gap} (tolerance {self.tolerance:.0e}){note}")

    @property
    def sampling_message(self) -> str:
        """One line on how far each value may be from what more permutations and more background rows of the same
        data would give ("" when the method states nothing): two standard errors, quoted for each row's predicted
        class, in `units`. The background rows are taken as a sample of the data (a random sample of the training
        rows by default): the spread of the values over them is part of the error, as the permutations are."""
        if self.standard_error is None:
            return ""
        se = self.standard_error[np.arange(self.n_rows), :, self.predicted]  # (R, U) for each row's predicted class
        if not np.isfinite(se).all():
            return ""
        median, largest = float(np.median(se)), float(se.max())
        what = {"probability": "probability", "logit": "log-odds score"}.get(self.units, "model output")
        per_row = self.n_pairs // max(1, self.background_size)
        detail = ("exact values against each" if self.method != "permutation" else
                  "one pair of permutations each" if per_row <= 1 else f"{per_row} pairs of permutations each")
        return (f"Sampling error: each value ({what} of the row's predicted class) is within about "
                f"±{2 * median:.2g} of what more permutations and more background rows of the same data would give "
                f"(two standard errors, median; largest ±{2 * largest:.2g}), from how the values vary over the "
                f"{self.background_size} background rows ({detail})")

    @property
    def n_pairs(self) -> int:
        """Antithetic pairs of permutations per explained row (permutation method), else 0."""
        if self.method != "permutation" or self.n_units < 2:
            return 0
        return int(self.n_evaluations // max(1, self.n_units - 1) // 2)

    def mean_abs(self) -> np.ndarray:
        """(U, C) mean |SHAP| per unit and class: the global importance."""
        return np.abs(self.values).mean(axis=0)

    def unit_value(self, row: int, unit: int, raw: bool = True) -> float | str | None:
        """The input value a unit stands for (unscaled when known); for a text column (a group of its one-hot parts,
        named `<column>=<value>`) the value the row holds, as text; None for another group of several features."""
        X = self.X_raw if raw and self.X_raw is not None else self.X
        if self.groups is None:
            return float(X[row, unit])
        members = self.groups[unit]
        if len(members) == 1:
            return float(X[row, members[0]])
        prefix = f"{self.feature_names[unit]}="
        names = [self.input_names[m] for m in members] if self.input_names is not None else []
        if names and all(n.startswith(prefix) for n in names) and self.X_raw is not None:
            on = [n[len(prefix):] for n, m in zip(names, members) if self.X_raw[row, m] > 0.5]
            return on[0] if len(on) == 1 else "(none of its known values)"
        return None

    def unit_features(self) -> list[np.ndarray]:
        """The input features of each unit (one each when not grouped)."""
        if self.groups is not None:
            return [np.asarray(g) for g in self.groups]
        return [np.array([i]) for i in range(self.values.shape[1])]


def copy_result(hit: ShapResult, *, X_raw, true, feature_names, class_names) -> ShapResult:
    """A cached result handed out again: its own arrays, the caller's names and display rows."""
    alt = None if hit.alternate is None else {**hit.alternate, "values": hit.alternate["values"].copy()}
    se = None if hit.standard_error is None else hit.standard_error.copy()
    return replace(hit, values=hit.values.copy(), standard_error=se,
                   X_raw=None if X_raw is None else np.asarray(X_raw, dtype=float), true=true,
                   feature_names=list(feature_names), class_names=list(class_names), from_cache=True, alternate=alt)


__all__ = ["ADDITIVITY_TOLERANCE", "BASE_WORDS", "OUTPUT_WORDS", "ShapResult", "UNITS", "copy_result",
           "format_effect", "format_probability", "units_words"]
