"""Where the command line's results go: standard output, checked, and files,
written atomically.

Python's own stdout can lose output without an error: under
``PYTHONUNBUFFERED=1`` it writes through a raw file object whose short writes
(a disk that fills up) are silently dropped, and with stdout closed
(``>&-``) ``sys.stdout`` is None and click prints nothing. So while a
command runs, :class:`CheckedStdout` stands in for ``sys.stdout``: every
write goes to file descriptor 1 in a loop that retries short writes, and a
failure raises ``OSError``, which ``main`` reports as one line and a
non-zero exit status.
"""

from __future__ import annotations

import errno
import io
import os
import sys

from .._atomic import write_atomic
from ._errors import CLIError

_FLUSH_AT = 1 << 16  # bytes held before writing, between click's flushes


class CheckedStdout(io.TextIOBase):
    """A text stream on file descriptor ``fd`` (None: stdout is closed) that
    writes everything or raises ``OSError``."""

    def __init__(self, fd, encoding="utf-8", errors="strict"):
        super().__init__()
        self._fd = fd
        self._encoding = encoding
        self._errors = errors
        self._pending = []
        self._size = 0

    @property
    def encoding(self):
        return self._encoding

    @property
    def errors(self):
        return self._errors

    def writable(self):
        return True

    def isatty(self):
        return self._fd is not None and os.isatty(self._fd)

    def fileno(self):
        if self._fd is None:
            raise io.UnsupportedOperation("standard output is closed")
        return self._fd

    def write(self, s):
        if not isinstance(s, str):
            raise TypeError(f"write() argument must be str, not {type(s).__name__}")
        self._pending.append(s)
        self._size += len(s)
        if self._size >= _FLUSH_AT:
            self.flush()
        return len(s)

    def flush(self):
        if not self._pending:
            return
        data = "".join(self._pending).encode(self._encoding, self._errors)
        # Dropped before writing, so that a failed write is reported once
        # (and not again when the stream is closed).
        self._pending.clear()
        self._size = 0
        if self._fd is None:
            raise OSError(errno.EBADF, "standard output is closed")
        view = memoryview(data)
        while view:
            n = os.write(self._fd, view)
            if n == 0:  # pragma: no cover - no POSIX system returns 0 here
                raise OSError(errno.EIO, "standard output accepts no more data")
            view = view[n:]


def checked_stdout():
    """A CheckedStdout for this process's standard output, or None where
    sys.stdout is not a file descriptor (a test harness's capture)."""
    stream = sys.stdout
    if stream is None:
        return CheckedStdout(None)
    try:
        fd = stream.fileno()
    except (AttributeError, OSError, ValueError):
        return None
    stream.flush()
    return CheckedStdout(
        fd,
        encoding=getattr(stream, "encoding", None) or "utf-8",
        errors=getattr(stream, "errors", None) or "strict",
    )


def write_file(path, data, what="file"):
    """Write a result file atomically; a failure is a one-line CLIError and
    leaves any previous file of that name as it was."""
    try:
        write_atomic(path, data)
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise CLIError(f"cannot write the {what} {path}: {reason}") from None
