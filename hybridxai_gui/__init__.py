"""HybridXAI: train and explain a hybrid CNN + BiLSTM + attention classifier on CSV data."""

__version__ = "0.1.0"
