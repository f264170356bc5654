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


def invoked_as() -> str:
    """How the user started the tool, for commands to copy: the console script, else ``python -m harness``."""
    import os
    return "harness" if os.path.basename(sys.argv[0] or "") == "harness" else "python -m harness"


def where_rows(results, what: str = "rows") -> str:
    """Where the rows went and the exact ``report`` command that reads them."""
    import shlex
    from harness.results.store import store_path
    return (f"{what} stored in {store_path(results)}; read them with: "
            f"{invoked_as()} report --results {shlex.quote(str(results))}")
