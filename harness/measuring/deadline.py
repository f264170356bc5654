"""A run that cannot end within its timeout stops as soon as that is certain, instead of at the timeout.

A timeout says "this run does not finish within ``timeout_s``". On the scaling grid a backend past its
size used to spend the whole timeout (60 or 90 s) before the parent killed it: 17 runs, 17.5 minutes of the
reference's 191.3 on 2026-12-01/02. The steps already taken bound the rest from below: the steps left cannot take less than
their number times the fastest steady step seen, divided by ``PACE_MARGIN`` (steps do get faster than the
first; a later one twice as fast as every earlier steady step would be a change of regime, not noise). When
even that end lies past the timeout, the verdict is the parent's would-be one, and the child says so itself.

The child's clock starts after the parent's (the interpreter starts in between), so the time the child sees as
left is never less than what is really left: the error is on the side of running on. Evaluation after the
steps is left out of the bound, on the same side. Standard library only: the parent reads ``Foreseen`` too.
"""
from __future__ import annotations

import time

PACE_MARGIN = 2.0      # the steps left are taken to run up to this many times faster than the fastest steady one
FIELD = "timeout_foreseen"     # the child's result holds this instead of figures when it stopped itself


class Foreseen(Exception):
    """The run stopped itself: even at ``PACE_MARGIN`` times its fastest steady pace it would end past its timeout."""

    def __init__(self, figures: dict):
        super().__init__(figures)
        self.figures = figures


def message(figures: dict) -> str:
    """The row's one line for a run that stopped itself (its ``error``'s first line)."""
    f = figures
    return (f"stopped at {f['at_s']:.1f} s, after {f['steps_done']} of {f['steps']} steps: the {f['steps_left']} "
            f"steps left take at least {f['least_left_s']:.1f} s ({PACE_MARGIN:g}x faster than its fastest steady "
            f"step, {f['fastest_step_s']:.3g} s), so it would end past its {f['timeout_s']:g} s timeout")


class Deadline:
    """Watches the steps of one run: ``after_step`` raises ``Foreseen`` once the timeout cannot be met."""

    def __init__(self, timeout_s: float | None, started: float, steps: int, setup_s: float):
        self.timeout_s = timeout_s
        self.started = started             # time.perf_counter() at the child's start
        self.setup_s = setup_s
        self.steps = steps
        self.done = 0
        self.fastest_s = float("inf")

    def after_step(self, step_s: float) -> None:
        """Count one finished step of ``step_s`` seconds (outside its clock: a few arithmetic operations)."""
        self.done += 1
        if self.timeout_s is None:
            return
        if self.done > 1:                  # the first step holds one-off work (allocation, compiling): not a pace
            self.fastest_s = min(self.fastest_s, step_s)
        left = self.steps - self.done
        if self.done < 2 or left <= 0:
            return
        at_s = time.perf_counter() - self.started
        least_left_s = left * self.fastest_s / PACE_MARGIN
        if at_s + least_left_s > self.timeout_s:
            raise Foreseen({"at_s": at_s, "steps_done": self.done, "steps": self.steps, "steps_left": left,
                            "fastest_step_s": self.fastest_s, "least_left_s": least_left_s,
                            "timeout_s": self.timeout_s, "setup_s": self.setup_s})
