"""Several harness processes at once: claims on configurations, and who else is timing here.

A sweep claims a configuration before running it: an exclusive ``flock`` on
``<results>/.claims/<key hash>.lock``, held for the run. A second sweep on the
same store that meets a held claim skips that configuration and says so; once
it gets a claim it re-reads the store, so work another sweep finished is not
repeated. The kernel drops a lock when its process dies, so a killed sweep
leaves no claim behind.

Every run registers itself in a machine-wide folder (``ACTIVE_DIR``) with a
locked file naming its pid and what it does, so a sweep can warn that another
process is timing on this machine and both results would be disturbed.
"""
from __future__ import annotations

import fcntl
import hashlib
import os
import tempfile
from pathlib import Path

ACTIVE_DIR = Path(tempfile.gettempdir()) / "hybrid-harness-active"


def _lock(path: Path, blocking: bool) -> int | None:
    """An fd holding an exclusive lock on ``path``, or None when another process holds it."""
    while True:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o666)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | (0 if blocking else fcntl.LOCK_NB))
        except BlockingIOError:
            os.close(fd)
            return None
        except BaseException:
            os.close(fd)
            raise
        # the holder may have unlinked the file between our open and our lock: then lock the new one
        try:
            if os.stat(path).st_ino == os.fstat(fd).st_ino:
                return fd
        except FileNotFoundError:
            pass
        os.close(fd)


class _LockedFile:
    """A file this process holds an exclusive lock on (``fd``), removed when released."""

    path: Path | None = None
    fd: int | None = None

    def release(self) -> None:
        if self.fd is not None:
            try:
                self.path.unlink()          # unlink while locked: a waiter re-checks the inode
            except OSError:
                pass
            os.close(self.fd)
            self.fd = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.release()


class Claim(_LockedFile):
    """An exclusive claim on one configuration of one store; ``held`` is False when another has it."""

    def __init__(self, results_dir, key):
        folder = Path(results_dir) / ".claims"
        self.path = folder / (hashlib.sha256(repr(key).encode()).hexdigest()[:24] + ".lock")
        self.fd, self.unclaimable = None, False
        try:
            folder.mkdir(parents=True, exist_ok=True)
            self.fd = _lock(self.path, blocking=False)
        except OSError:
            # a folder that cannot take a claim cannot take the row either: the run goes ahead and the
            # store's own refusal, with its fallback file, is what the user sees
            self.unclaimable = True

    @property
    def held(self) -> bool:
        return self.fd is not None or self.unclaimable


class Active(_LockedFile):
    """This process is timing something: a locked file in ``ACTIVE_DIR`` says so while it lives."""

    def __init__(self, what: str):
        self.path = None
        self.fd = None
        try:
            ACTIVE_DIR.mkdir(mode=0o1777, parents=True, exist_ok=True)
            path = ACTIVE_DIR / f"{os.getpid()}.active"
            fd = _lock(path, blocking=False)
            if fd is not None:
                os.ftruncate(fd, 0)
                os.write(fd, what.encode()[:500])
                self.path, self.fd = path, fd
        except OSError:
            pass            # a warning we cannot give is no reason to refuse a run


def others_active() -> list[str]:
    """What other live harness processes on this machine are timing ("pid 123: sweep on results/")."""
    found = []
    try:
        entries = sorted(ACTIVE_DIR.glob("*.active"))
    except OSError:
        return found
    for path in entries:
        pid = path.stem
        if pid == str(os.getpid()):
            continue
        fd = None
        try:
            fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
            try:
                fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
            except BlockingIOError:
                what = os.pread(fd, 500, 0).decode(errors="replace").strip()
                found.append(f"pid {pid}: {what}")
            else:
                fcntl.flock(fd, fcntl.LOCK_UN)
                try:
                    path.unlink()          # its process is gone: the file is stale
                except OSError:
                    pass
        except OSError:
            continue
        finally:
            if fd is not None:
                os.close(fd)
    return found
