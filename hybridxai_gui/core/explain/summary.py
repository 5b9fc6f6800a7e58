"""One explained row in plain words: what the model predicts, how sure it is, and what pushed it there.

    Row 12: the model predicts malignant with probability 0.91 (the average prediction over the background
    is 0.37). Pushed most towards malignant: worst radius = 23.1 (+0.21), mean concave points = 0.14 (+0.12)
    and worst texture = 30.2 (+0.08). Pushed most against it: mean smoothness = 0.08 (−0.04) and area error =
    20.1 (−0.02). Effects are changes in the probability of malignant; all of them together take it from 0.37
    to 0.91. The true class is malignant.

Effects come from the SHAP values in probability units (computed with the logits from the same passes), so
no reader needs to know what a logit is.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .shap_result import BASE_WORDS, ShapResult, format_effect, format_probability

TOWARDS, AGAINST = 3, 2


@dataclass(frozen=True)
class Contribution:
    name: str  # the feature or segment
    value: float | str | None  # its value in the row (data units; text for a text column), None for a segment
    effect: float  # its SHAP value in `units`

    def words(self, units: str) -> str:
        value = self.value if isinstance(self.value, str) else None if self.value is None else format_number(self.value)
        shown = f"{self.name} = {value}" if value is not None else self.name
        return f"{shown} ({format_effect(self.effect, units)})"


@dataclass(frozen=True)
class RowSummary:
    row: int
    class_name: str  # the explained class (the predicted one unless another was asked for)
    predicted: str
    probability: float  # the model's probability of class_name for this row
    base: float  # the average prediction over the background, same units as the effects
    units: str  # "probability" (always, when the result carries it)
    towards: tuple[Contribution, ...]
    against: tuple[Contribution, ...]
    true_class: str | None = None
    text: str = ""


def format_number(v: float) -> str:
    """A value as a person reads it: 0.0004, 0.35, 12.5, 230, 2009 (a year or a count of four digits reads best
    without a separator), 12,345; a whole number as one (a class of 3, not 3.00), within the float error of
    reading it back from the network's scale."""
    a = abs(v)
    if a == 0:
        return "0"
    if a < 10_000 and round(a) >= 1 and abs(a - round(a)) <= 1e-6 * a:
        return f"{round(v)}"
    if a >= 10_000:
        return f"{v:,.0f}"
    if a >= 100:
        return f"{v:.0f}"
    if a >= 10:
        return f"{v:.1f}"
    if a >= 0.01:
        return f"{v:.2f}"
    return f"{v:.2g}"


def _listing(items: list[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def summarise_row(result: ShapResult, position: int, class_index: int | None = None) -> RowSummary:
    """The plain-words summary of explained row `position` (its index in `result`) for `class_index`
    (None: the predicted class)."""
    shown = result.in_units("probability") if "probability" in result.available_units else result
    units = shown.units
    c = int(shown.predicted[position]) if class_index is None else int(class_index)
    name = shown.class_names[c]
    predicted = shown.class_names[int(shown.predicted[position])]
    phi = shown.values[position, :, c]
    prob = float(shown.model_output[position, c])
    base = float(shown.base_values[c])
    order = np.argsort(-phi, kind="stable")
    towards = tuple(Contribution(shown.feature_names[i], shown.unit_value(position, i), float(phi[i]))
                    for i in order[:TOWARDS] if phi[i] > 0)
    against = tuple(Contribution(shown.feature_names[i], shown.unit_value(position, i), float(phi[i]))
                    for i in order[::-1][:AGAINST] if phi[i] < 0)
    true = None if shown.true is None else shown.class_names[int(shown.true[position])]
    row = int(shown.rows[position])

    value = format_probability(prob) if units == "probability" else f"{prob:.2f}"
    start = format_probability(base) if units == "probability" else f"{base:.2f}"
    measure = "probability" if units == "probability" else f"{units} score"
    if c == int(shown.predicted[position]):
        sentences = [f"Row {row}: the model predicts {name} with {measure} {value} (the {BASE_WORDS} is {start})."]
    else:
        sentences = [f"Row {row}: the model predicts {predicted}; the {measure} of {name} is {value} (the "
                     f"{BASE_WORDS} is {start})."]
    if towards:
        sentences.append(f"Pushed most towards {name}: {_listing([t.words(units) for t in towards])}.")
    else:
        sentences.append(f"Nothing in this row pushed towards {name}.")
    if against:
        sentences.append(f"Pushed most against it: {_listing([a.words(units) for a in against])}.")
    else:
        sentences.append("Nothing pushed against it.")
    effect_units = f"the probability of {name}" if units == "probability" else f"the {units} of {name}"
    sentences.append(f"Effects are changes in {effect_units}; all of them together take it from {start} to {value}.")
    if true is not None:
        sentences.append(f"The true class is {true}" + ("." if true == predicted else ": the model is wrong here."))
    return RowSummary(row=row, class_name=name, predicted=predicted, probability=prob, base=base, units=units,
                      towards=towards, against=against, true_class=true, text=" ".join(sentences))


__all__ = ["Contribution", "RowSummary", "format_number", "summarise_row"]
