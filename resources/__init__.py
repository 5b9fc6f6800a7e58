"""Data files shipped with the app: icon (SVG, PNGs, ICO), Linux desktop entry and the demo CSV.

This folder sits at the repository root and installs as the package `hybridxai_gui.resources`
(see pyproject.toml). Look files up with `hybridxai_gui.resources_path.resource_path(name)`, which
also works in the PyInstaller bundle and from a plain checkout.
"""
