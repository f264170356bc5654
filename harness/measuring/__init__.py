"""Measuring one run inside its child process: the training loop, probes, closures, initial weights."""

EVAL_BATCH = 256      # samples scored at once after training (the validation sizes memory by it)
