"""Stop signals in the parent, and the child's tie to its parent.

Ctrl-C (SIGINT), SIGTERM (a scheduler, ``kill``) and SIGHUP (a closed
terminal) all mean "stop": inside ``stop_signals()`` each raises
``Interrupted``, a ``KeyboardInterrupt`` naming the signal, so one code path
ends the child's process group, records a ``killed`` row and removes temp
files. Inside ``deferred()`` a signal is held and raised on leaving, except
in a ``stoppable()`` stretch (the wait for the child), so no signal can fall
between "the child finished" and "its row is stored".

The child's own tie to its parent (``PR_SET_PDEATHSIG``) is set in the child,
``harness.measuring.child``.
"""
from __future__ import annotations

import contextlib
import signal
import threading

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


class Interrupted(KeyboardInterrupt):
    def __init__(self, signum: int):
        super().__init__(signal.Signals(signum).name)
        self.signum = signum

    @property
    def name(self) -> str:
        return signal.Signals(self.signum).name

    def describe(self) -> str:
        why = {signal.SIGINT: "the user (Ctrl-C)", signal.SIGTERM: "SIGTERM (asked to stop)",
               signal.SIGHUP: "SIGHUP (its terminal closed)"}[self.signum]
        return f"interrupted by {why}"

    @property
    def exit_status(self) -> int:
        return 128 + self.signum


class _Guard:
    def __init__(self):
        self.depth = 0          # nested stop_signals()
        self.deferring = 0
        self.pending: int | None = None
        self.previous: dict = {}

    def handler(self, signum, frame):
        if self.deferring:
            self.pending = self.pending or signum
            return
        raise Interrupted(signum)


_guard = _Guard()


@contextlib.contextmanager
def stop_signals():
    """SIGINT, SIGTERM and SIGHUP raise ``Interrupted`` inside; the old handlers come back after.

    Outside the main thread Python cannot install handlers; then this does nothing.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    if _guard.depth == 0:
        # a signal the user set to be ignored stays ignored: nohup's SIGHUP, SIGINT of a background job
        _guard.previous = {s: signal.getsignal(s) for s in STOP_SIGNALS}
        for s, h in _guard.previous.items():
            if h is not signal.SIG_IGN:
                signal.signal(s, _guard.handler)
    _guard.depth += 1
    try:
        yield
    finally:
        _guard.depth -= 1
        if _guard.depth == 0:
            for s, h in _guard.previous.items():
                if h is not None:          # None: set outside Python, cannot be restored from here
                    signal.signal(s, h)


@contextlib.contextmanager
def deferred():
    """Hold stop signals while the body runs; the first one held is raised when it ends
    (or earlier, where the body calls ``raise_pending``)."""
    _guard.deferring += 1
    try:
        yield
    except KeyboardInterrupt:
        _guard.pending = None          # already stopping: a second signal adds nothing
        raise
    finally:
        _guard.deferring -= 1
    if not _guard.deferring:
        raise_pending()


@contextlib.contextmanager
def stoppable():
    """Inside ``deferred()``: a stretch where a stop signal acts at once (a held one is raised first).

    For a blocking wait, so it needs no polling to notice a signal.
    """
    raise_pending()
    held, _guard.deferring = _guard.deferring, 0
    try:
        yield
    finally:
        _guard.deferring = held


def raise_pending() -> None:
    """Raise the stop signal held so far, if any: for a body that knows it can stop here."""
    if _guard.pending is not None:
        signum, _guard.pending = _guard.pending, None
        raise Interrupted(signum)
