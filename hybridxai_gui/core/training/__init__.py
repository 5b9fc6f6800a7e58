"""Training: the loop (loop), its policies (policies: loss, best epoch, early stopping, schedule, noise) and
distributed workers (distributed)."""
