"""Atomic file writes: a reader sees the old file or the complete new one.

Every file emclust writes (model files, the command line's -o, --labels and
plots) goes through :func:`write_atomic`: the content is written to a
temporary file in the target's directory, flushed to disk, renamed over the
target, and the directory is flushed too, so that neither a full disk nor a
crash leaves a truncated file under the target's name.
"""

from __future__ import annotations

import errno
import os
import stat
import tempfile
from pathlib import Path

__all__ = ["write_atomic"]

# Short on purpose: the temporary name must fit where the target's does, and a
# target may use nearly all of NAME_MAX (255 bytes on most file systems).
_TEMP_PREFIX = ".em"
_TEMP_SUFFIX = ".tmp"

_KINDS = (
    (stat.S_ISCHR, "character device"),
    (stat.S_ISBLK, "block device"),
    (stat.S_ISFIFO, "named pipe"),
    (stat.S_ISSOCK, "socket"),
)


def write_atomic(path, data, *, encoding="utf-8"):
    """Write ``data`` (str or bytes) to ``path`` atomically; return ``path``.

    A symbolic link is written through: its final target is replaced and the
    link stays. An existing file keeps its permission bits (and, where the
    process may set them, its owner and group); a new file gets those of an
    ordinary ``open()`` under the current umask.

    Raises
    ------
    IsADirectoryError
        If ``path`` (after symlinks) is a directory.
    OSError
        If ``path`` is another non-regular file (a device, a pipe, a socket):
        renaming over it would replace it, not write to it. Also any error of
        the file system (``ENOSPC``...), after which the target is unchanged
        and no temporary file is left.
    """
    path = Path(path)
    if isinstance(data, str):
        data = data.encode(encoding)
    target = Path(os.path.realpath(path))
    try:
        existing = os.stat(target)
    except FileNotFoundError:
        existing = None
    if existing is not None:
        _check_regular(existing.st_mode, path)
    directory = target.parent
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=_TEMP_PREFIX, suffix=_TEMP_SUFFIX)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)  # a buffered writer retries short writes itself
            f.flush()
            os.fsync(f.fileno())
        if existing is not None:
            os.chmod(tmp, stat.S_IMODE(existing.st_mode))
            _keep_owner(tmp, existing)
        else:
            # mkstemp creates the file for its owner only; give it what open()
            # would have.
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    _fsync_directory(directory)
    return path


def _check_regular(mode, path):
    if stat.S_ISREG(mode):
        return
    if stat.S_ISDIR(mode):
        raise IsADirectoryError(errno.EISDIR, "is a directory", str(path))
    kind = next((name for test, name in _KINDS if test(mode)), "special file")
    raise OSError(
        errno.EINVAL,
        f"is a {kind}, not a regular file; refusing to replace it",
        str(path),
    )


def _keep_owner(tmp, existing):
    if not hasattr(os, "chown"):
        return
    if (existing.st_uid, existing.st_gid) == (os.geteuid(), os.getegid()):
        return
    try:
        os.chown(tmp, existing.st_uid, existing.st_gid)
    except OSError:
        pass  # not permitted: the new file belongs to us, as after any rewrite


def _fsync_directory(directory):
    """Make the rename itself durable (POSIX: fsync the directory)."""
    flags = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0)
    try:
        fd = os.open(directory, flags)
    except OSError:
        return  # Windows and some file systems cannot open a directory
    try:
        os.fsync(fd)
    except OSError as exc:
        if exc.errno not in (errno.EINVAL, errno.EBADF, errno.ENOTSUP):
            raise
    finally:
        os.close(fd)
