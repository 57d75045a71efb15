"""Writing files so that a reader never sees half of one and nothing is overwritten by surprise.

A file is first *staged*: written in full to a hidden temporary file in the directory of
its target and flushed to disk (``fsync``).  It is then *published* under its name in one
step: ``os.replace`` when overwriting is allowed, else ``os.link``, which fails rather
than replace a file that exists, so a file that appeared after any earlier check is
still not clobbered.  A failure at any point removes the temporary file and leaves the
target as it was.
"""

from __future__ import annotations

import contextlib
import errno
import itertools
import os
import secrets
from collections.abc import Callable
from pathlib import Path

__all__ = ["discard", "publish", "stage", "write_atomically", "write_numbered"]

#: ``os.link`` fails with these where the file system has no hard links (FAT, some
#: network shares); publishing then falls back to reserving the name with O_EXCL.
_NO_HARD_LINKS = {errno.EPERM, errno.EOPNOTSUPP, errno.ENOTSUP, errno.ENOSYS, errno.EMLINK}


def stage(target: Path, write: Callable[[Path], None]) -> Path:
    """Write a hidden temporary sibling of ``target`` with ``write(path)`` and fsync it.

    Parameters
    ----------
    target : Path
        Where the file is meant to end up; its directory must exist.
    write : callable
        ``write(path)`` writes the whole file at ``path`` (an empty file created for it).

    Returns
    -------
    Path
        The temporary file, for :func:`publish` (or :func:`discard`).

    Raises
    ------
    OSError
        Or whatever ``write`` raises; the temporary file is removed first.
    """
    target = Path(target)
    temporary = target.parent / f".{target.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp"
    os.close(os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
    try:
        write(temporary)
        descriptor = os.open(temporary, os.O_RDONLY)
        try:
            os.fsync(descriptor)
        finally:
            os.close(descriptor)
    except BaseException:
        discard([temporary])
        raise
    return temporary


def publish(temporary: Path, target: Path, *, overwrite: bool) -> None:
    """Give the staged ``temporary`` the name ``target`` in one step, then remove ``temporary``.

    Raises
    ------
    FileExistsError
        If ``target`` exists and ``overwrite`` is False; nothing is changed.
    OSError
        On any other failure; ``target`` is left as it was.
    """
    try:
        if overwrite or _link_or_reserve(temporary, target):
            os.replace(temporary, target)
    finally:
        discard([temporary])
    _fsync_directory(Path(target).parent)


def discard(temporaries) -> None:
    """Remove staged files that will not be published (those already gone are skipped)."""
    for temporary in temporaries:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)


def write_atomically(target: Path, write: Callable[[Path], None], *, overwrite: bool) -> Path:
    """:func:`stage` then :func:`publish` one file; returns ``target``."""
    target = Path(target)
    publish(stage(target, write), target, overwrite=overwrite)
    return target


def write_numbered(directory: Path, stem: str, suffix: str, write: Callable[[Path], None]) -> Path:
    """Write the first of ``stem{suffix}``, ``stem-1{suffix}``, ... that does not exist.

    The file is staged once and linked under each candidate name in turn until a link
    succeeds, so no existing file is replaced, even one that appears meanwhile.
    """
    directory = Path(directory)
    temporary = stage(directory / f"{stem}{suffix}", write)
    try:
        for k in itertools.count():
            target = directory / (f"{stem}{suffix}" if k == 0 else f"{stem}-{k}{suffix}")
            try:
                if _link_or_reserve(temporary, target):
                    os.replace(temporary, target)
            except FileExistsError:
                continue
            _fsync_directory(directory)
            return target
    finally:
        discard([temporary])
    raise AssertionError("unreachable")  # pragma: no cover


def _link_or_reserve(temporary: Path, target: Path) -> bool:
    """Link ``temporary`` as ``target``; where there are no hard links, reserve ``target``.

    Returns True when the name was only reserved and the file still has to be moved over it.
    """
    try:
        os.link(temporary, target)
    except OSError as err:
        if err.errno not in _NO_HARD_LINKS:
            raise
        os.close(os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
        return True
    return False


def _fsync_directory(directory: Path) -> None:
    """Flush a directory's entries, so a published name survives a crash (POSIX only)."""
    with contextlib.suppress(OSError):
        descriptor = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(descriptor)
        finally:
            os.close(descriptor)
