"""Evaluation: metrics of a trained model on labelled rows (metrics), calibration, repeated evaluation
(crossval), baselines beside the network, and what a run report says (run_report)."""
