"""Plots drawn onto a given matplotlib Axes or Figure: no Qt, no pyplot."""
