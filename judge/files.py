"""Writing files so that no reader sees half of one, and a failure leaves the old ones.

Every text goes first to a temporary file created exclusively (``mkstemp``: ``O_CREAT|O_EXCL``,
an unpredictable name, never an existing file or a link someone planted) in the target's own
folder, is flushed to disk, and is then renamed over the target: a rename replaces a link at
the target rather than writing through it. :func:`write_all` writes a set of files all or
nothing: the renames start only once every file is on disk, so a full disk, a quota or any
error while writing leaves every old file as it was and no temporary file behind.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Mapping
from pathlib import Path


def write_atomic(path: Path, text: str) -> Path:
    """Write ``text`` (UTF-8) to ``path`` so that readers never see a half-written file."""
    write_all({path: text})
    return path


def write_all(files: Mapping[Path, str]) -> list[Path]:
    """Write each ``{path: text}``, all or none (see the module); returns the paths.

    Raises ``OSError`` (the old files untouched) when any of them cannot be written.
    """
    for path in files:
        if path.is_dir() and not path.is_symlink():
            raise IsADirectoryError(21, "a folder is in the way of the file", str(path))
    staged: dict[Path, str] = {}
    try:
        for path, text in files.items():
            staged[path] = _stage(path, text.encode("utf-8"))
        for path, tmp in staged.items():
            os.replace(tmp, path)
    finally:
        for tmp in staged.values():
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
    return list(files)


def _stage(path: Path, data: bytes) -> str:
    """``data`` in a new, exclusively created file beside ``path``, on disk; its name."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o666 & ~_umask())  # as an ordinary new file would be (mkstemp: 0600)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    return tmp


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask
