"""The Qt-free core: data, model, training, evaluation, checkpoints and explanations.

Nothing under this package imports PySide6 or pyqtgraph; the GUI, the command line and the tests
all call into it.
"""
