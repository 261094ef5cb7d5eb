"""Writing small files so that they survive a crash or a power cut, whole or not at all.

Used for the queue's key file, the technician register and the audit log.  Written here
because the standard library has the pieces (``os.fsync``, ``os.replace``) but not the
sequence, and one copy of it is easier to get right than three.
"""

from __future__ import annotations

import os
from pathlib import Path


def fsync_dir(path: Path) -> None:
    """Make a rename or create in the folder ``path`` durable (fsync the folder itself)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_all(fd: int, data: bytes) -> None:
    """Write every byte of ``data`` to ``fd`` (a write may take only part) and fsync it."""
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]
    os.fsync(fd)


def write_whole(path: Path, data: bytes, *, replace: bool, mode: int = 0o600) -> None:
    """Put ``data`` at ``path`` whole: a temp file beside it, fsynced, then moved into place,
    and the folder fsynced.  ``replace=False`` refuses (FileExistsError) to replace a file
    already there.  A failure leaves ``path`` as it was and no temp file behind."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        tmp.unlink(missing_ok=True)  # left by a crash: made afresh, so with ``mode``
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
        try:
            write_all(fd, data)
        finally:
            os.close(fd)
        if replace:
            os.replace(tmp, path)
        else:
            os.link(tmp, path)  # unlike a rename, fails if the name is taken meanwhile
    finally:
        tmp.unlink(missing_ok=True)
    fsync_dir(path.parent)
