"""HybridXAI: train and explain a hybrid CNN + BiLSTM + attention classifier on CSV data.

`import hybridxai_gui` stays cheap (the app's window must show before torch is imported), so the package holds
only its version; the library's entry points are in `hybridxai_gui.api`, which imports them all:

    from hybridxai_gui.api import prepare_data, ModelConfig, TrainConfig, train, load_checkpoint
"""

__version__ = "0.1.0"
