"""The core's advice in the app's words: a setting the core names (`errors.setting("missing", "drop")`) is
shown as the control the window has for it. The core's messages carry their settings as data, so nothing
here rewrites sentences; a setting without an entry is named by its label. Qt-free, so it is tested
directly."""

from __future__ import annotations

from ..core.errors import HybridXAIError, render

# setting -> (where it is in the window, how a value reads there)
CONTROLS = {
    "missing": "“Missing values”",
    "scaling": "“Scaling”",
    "test_size": "“Test share”",
    "val_size": "“Validation share”",
    "label": "the “Label column” box",
    "features": "the Features list",
    "device": "“Device”",
    "background": "a CSV background (“Background”)",
    "rows": "the row selection",
    "layout": "the “Layout” box",
    "id": "the “Series id” box",
    "time": "the “Time” box",
    "channels": "the channel list",
    "units": "“Units”",
    "ensemble": "“Ensemble members”",
    "folds": "“Folds” (Evaluation tab)",
    "repeats": "“Repeats” (Evaluation tab)",
    "coverage": "“Coverage”",
    "prediction_sets": "“Prediction sets”",
    "unequal": "“Unequal lengths”",
}
VALUES = {("device", "cpu"): "CPU", ("scaling", "zscore"): "z-score", ("val_size", "0"): "0",
          ("missing", "drop"): "drop those rows", ("missing", "mean"): "fill with training mean",
          ("missing", "error"): "stop with a message", ("unequal", "pad"): "pad with zeros",
          ("unequal", "resample"): "resample"}


def app_words(name: str, value: str) -> str:
    """A setting (and the value to choose) as the window shows it."""
    if name == "exclude":  # leaving a column out is unticking it
        return f"untick {value} under Features" if value else "untick it under Features"
    control = CONTROLS.get(name, f"“{name.replace('_', ' ').capitalize()}”")
    if not value:
        return control
    if control.startswith("“"):
        return f"{control[:-1]}: {VALUES.get((name, value), value)}”"
    return f"{control} set to {VALUES.get((name, value), value)}"


def for_the_app(message: object) -> str:
    """A core message (an error or a note's text) with its settings named as the window's controls."""
    if isinstance(message, HybridXAIError):
        return message.render(app_words)
    return render(str(message), app_words)
