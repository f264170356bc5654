"""The store's lock: exclusive, waited for with a bound, and the holder named when it is held."""
from __future__ import annotations

import fcntl
import os
import sys
import time

from backends import UserError


class LockTimeout(UserError):
    """The store stayed locked by another process for longer than a writer may wait."""


LOCK_WAIT_S = 60       # another writer holds a store's lock for one fsynced line: a long hold is a stuck process


def _lock_holder(fd: int) -> str:
    """Who holds the flock on ``fd``'s file, from /proc/locks ("process 123 (python -m harness ...)")."""
    st = os.fstat(fd)
    inode = f"{os.major(st.st_dev):02x}:{os.minor(st.st_dev):02x}:{st.st_ino}"
    try:
        with open("/proc/locks") as fh:
            for line in fh:
                parts = line.split()
                if len(parts) > 5 and parts[1] == "FLOCK" and parts[5] == inode and parts[4].isdigit():
                    pid = parts[4]
                    try:
                        with open(f"/proc/{pid}/cmdline", "rb") as cmd:
                            what = cmd.read().replace(b"\0", b" ").decode(errors="replace").strip()[:80]
                    except OSError:
                        what = ""
                    return f"process {pid}" + (f" ({what})" if what else "")
    except OSError:
        pass
    return "another process"


def lock(fd: int, path, wait_s: float | None = None) -> None:
    """An exclusive lock on the store, waiting at most ``wait_s`` (said once, naming the holder)."""
    wait_s = LOCK_WAIT_S if wait_s is None else wait_s
    deadline = time.monotonic() + wait_s
    said = False
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            if not said:
                print(f"warning: waiting for the lock of {path}, held by {_lock_holder(fd)} "
                      f"(at most {wait_s:g} s)", file=sys.stderr, flush=True)
                said = True
            if time.monotonic() > deadline:
                raise LockTimeout(f"the store {path} stayed locked by {_lock_holder(fd)} for {wait_s:g} s; "
                                 f"end that process or give another --results") from None
            time.sleep(0.1)
