"""What several commands print the same way."""
from __future__ import annotations

import sys


def notes(found) -> None:
    """The validation's notes, one warning line each."""
    for note in found:
        print(f"warning: {note}", file=sys.stderr)


def others_timing() -> None:
    """Warn when another harness process is timing on this machine: both results are disturbed."""
    from harness.executing.concurrency import others_active
    for other in others_active():
        print(f"warning: another harness process is timing on this machine ({other}); "
              f"both results are disturbed", file=sys.stderr)
