"""Lines the measured child says on stderr as its training goes, so the parent can cut a run that cannot keep up.

``harness advise`` cuts a first-round run that cannot come within its drop factor of the leader. Counted
from the run's start, that cut has to wait for the slowest start (imports, a compile) any backend might
need; counted from the moment the child says its span began, it needs only the span itself, and once the
child says the span is over there is nothing left to cut for. The parent's reader takes these lines out of
the echo and the failure tail. Standard library only: the parent imports it.
"""
import sys

PREFIX = "harness-mark: "
TRAINING = "training"          # the training loop begins: the training-time figure's span
STEPPED = "first step"         # the first step ended: the steady-step figure's span (the steps after it)
TRAINED = "trained"            # the training loop ended: both spans are over


def say(name: str) -> None:
    """Tell the parent, in one write (a library's unfinished line may precede it); outside every step's clock."""
    sys.stderr.write(f"{PREFIX}{name}\n")
    sys.stderr.flush()


def heard(line: str) -> tuple[str | None, str]:
    """(the mark a line of the child's output carries or None, the rest of the line: what preceded the mark)."""
    at = line.find(PREFIX)
    if at < 0:
        return None, line
    return line[at + len(PREFIX):].strip(), line[:at]
