"""Output that cannot break the work: a closed pipe or a gone terminal silences the display, nothing else.

``harness run ... | head -2``, quitting ``less``, or a terminal that hangs up
make writes fail (EPIPE, EIO). The run, its row and its exit status must be
those of the work, so every line the harness prints goes through a stream that,
on the first failed write, points its file descriptor at /dev/null (so the
interpreter's own flush at exit cannot fail either) and drops the rest.
"""
from __future__ import annotations

import io
import os


class SafeStream(io.TextIOBase):
    """A text stream that swallows the errors of a closed or gone output."""

    def __init__(self, stream):
        self.stream = stream
        self.broken = False

    def write(self, text: str) -> int:
        if not self.broken:
            try:
                self.stream.write(text)
                self.stream.flush()
            except (OSError, ValueError):       # ValueError: the stream was closed under us
                self._silence()
        return len(text)

    def flush(self) -> None:
        if not self.broken:
            try:
                self.stream.flush()
            except (OSError, ValueError):
                self._silence()

    def _silence(self) -> None:
        self.broken = True
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, self.stream.fileno())
            os.close(devnull)
        except (OSError, ValueError, io.UnsupportedOperation):
            pass

    def fileno(self) -> int:
        return self.stream.fileno()

    def isatty(self) -> bool:
        try:
            return self.stream.isatty()
        except (OSError, ValueError):
            return False

    @property
    def encoding(self):
        return getattr(self.stream, "encoding", "utf-8")


def safe(stream):
    """``stream`` wrapped once (a SafeStream stays as it is)."""
    return stream if isinstance(stream, SafeStream) or stream is None else SafeStream(stream)
