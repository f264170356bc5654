"""Closure optimisers (LBFGS) in the training loop: one step, every evaluation it asks for.

``torch.optim.LBFGS.step(closure)`` re-evaluates the model (forward, loss,
backward) as often as its line search and iterations need: up to
``max_eval`` times (25 by default) in one step. The harness counts a training
step as that whole call, so the step time includes every evaluation, and
records the evaluations themselves: how many per step, each one's wall time
and loss. Quantum-layer time and work counters accumulate over all
evaluations, so per-evaluation figures are the totals divided by
``function_evals``.
"""
from __future__ import annotations

import inspect
import statistics
import time


def needs_closure(optimizer) -> bool:
    """True when ``optimizer.step`` cannot run without a closure (LBFGS)."""
    try:
        param = inspect.signature(optimizer.step).parameters.get("closure")
    except (TypeError, ValueError):      # pragma: no cover - a C-level step
        return False
    return param is not None and param.default is inspect.Parameter.empty


class ClosureSteps:
    """Runs closure-optimiser steps and keeps their evaluation figures."""

    def __init__(self, optimizer, model, loss_fn, timed):
        self.optimizer, self.model, self.loss_fn, self.timed = optimizer, model, loss_fn, timed
        self.evals_per_step: list[int] = []
        self.eval_s: list[float] = []
        self.eval_losses: list[float] = []

    def step(self, X, y):
        """One optimiser step on (X, y); returns the loss of its last evaluation.

        LBFGS itself returns the loss at the start of the step; the last
        evaluation is the nearest to where the step ended, so the epoch's loss
        figure follows the training instead of lagging a whole step behind.
        """
        before = len(self.eval_s)

        def closure():
            t = time.perf_counter()
            self.optimizer.zero_grad()
            loss = self.loss_fn(self.model(X), y)
            loss.backward()
            self.timed.collect_backward(time.perf_counter())
            self.eval_s.append(time.perf_counter() - t)
            self.eval_losses.append(loss.item())
            return loss

        self.optimizer.step(closure)
        self.evals_per_step.append(len(self.eval_s) - before)
        return self.eval_losses[-1]

    def figures(self) -> dict:
        steady = self.eval_s[1:] or self.eval_s
        return {
            "function_evals": len(self.eval_s),
            "function_evals_per_step": self.evals_per_step,
            "first_function_eval_s": self.eval_s[0] if self.eval_s else None,
            "steady_function_eval_s": statistics.median(steady) if steady else None,
            "function_eval_losses": self.eval_losses,
        }
