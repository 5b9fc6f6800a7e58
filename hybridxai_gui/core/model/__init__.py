"""The network (network: the hybrid CNN + BiLSTM + attention, ensembles, the pooling rule) and a trained model ready
to predict (trained)."""
