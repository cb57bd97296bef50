"""Atomic file writes: a reader (or a resumed run) never sees half a file.

Every artefact is written to a temporary file in the destination folder and
then renamed over the destination with ``os.replace``, which is atomic on
POSIX and Windows. A crash mid-write leaves the previous file intact and, at
worst, a stray temporary ``.NAME.XXXXXXXX.tmp*`` file, which
``remove_temporaries`` deletes (``vae_keras.train`` calls it when a run starts).
"""

import json
import os
import re
import tempfile
from pathlib import Path

# mkstemp creates files readable by their owner only; artefacts get the
# permissions of an ordinary file (0o666 minus the umask) instead. Read once at
# import: os.umask can only be read by setting it.
_UMASK = os.umask(0o022)
os.umask(_UMASK)

# ".NAME." + mkstemp's 8 random characters + ".tmp" + optional suffix.
_TEMPORARY_NAME = re.compile(r"^\..+\.[a-z0-9_]{8}\.tmp(\.[^.]+)?$")


def _temporary_path(path, suffix=""):
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=f".tmp{suffix}", dir=path.parent)
    os.close(handle)
    os.chmod(name, 0o666 & ~_UMASK)
    return Path(name)


def is_temporary(path):
    """Whether ``path`` is named like a temporary file of this module."""
    return bool(_TEMPORARY_NAME.match(Path(path).name))


def remove_temporaries(folder):
    """Deletes the temporary files a killed writer left in ``folder`` (not recursive).

    Only one process may write a folder at a time, so any temporary file found
    there belongs to an earlier, interrupted write.

    Returns:
        The sorted names of the removed files.
    """
    folder = Path(folder)
    if not folder.is_dir():
        return []
    removed = sorted(p.name for p in folder.iterdir() if p.is_file() and is_temporary(p))
    for name in removed:
        (folder / name).unlink(missing_ok=True)
    return removed


def atomic_write(path, write_function):
    """Calls ``write_function(file)`` on a binary file that replaces ``path`` atomically once it returns.

    For writers that take a file object, such as ``np.savez``; the file is fsync'ed before the rename.
    """
    tmp = _temporary_path(path)
    try:
        with open(tmp, "wb") as handle:
            write_function(handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def atomic_write_bytes(path, data):
    """Writes ``data`` to ``path`` atomically (fsync, then rename)."""
    atomic_write(path, lambda handle: handle.write(data))


def atomic_write_text(path, text):
    """Writes ``text`` (UTF-8) to ``path`` atomically."""
    atomic_write_bytes(path, text.encode("utf-8"))


def atomic_write_json(path, value, sort_keys=True):
    """Writes ``value`` as indented JSON to ``path`` atomically (``sort_keys=False`` keeps insertion order)."""
    atomic_write_text(path, json.dumps(value, indent=2, sort_keys=sort_keys, allow_nan=False) + "\n")


def atomic_save_model(model, path):
    """Saves a Keras model to ``path`` (a ``.keras`` file) atomically."""
    path = Path(path)
    if path.suffix != ".keras":
        raise ValueError(f"Model files must end in '.keras'. Received: path={str(path)!r}")
    tmp = _temporary_path(path, suffix=".keras")
    try:
        model.save(tmp)
        with open(tmp, "rb") as handle:
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def atomic_save_figure(figure, path, dpi=110):
    """Saves a matplotlib figure to ``path`` atomically; the format follows the suffix."""
    path = Path(path)
    tmp = _temporary_path(path, suffix=path.suffix)
    try:
        figure.savefig(tmp, dpi=dpi, bbox_inches="tight")
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
