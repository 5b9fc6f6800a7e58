"""Training: the loop (loop), its stop and pause flags (control), its policies (policies: loss, best epoch,
early stopping, schedule, noise) and distributed workers (distributed)."""
