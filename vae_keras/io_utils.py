"""Atomic file writes: a reader (or a resumed run) never sees half a file.

Every artefact is written to a temporary file in the destination folder and
then renamed over the destination with ``os.replace``, which is atomic on
POSIX and Windows. A crash mid-write leaves the previous file intact and, at
worst, a stray ``.tmp`` file that later writes clean up.
"""

import json
import os
import tempfile
from pathlib import Path


def _temporary_path(path, suffix=""):
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=f".tmp{suffix}", dir=path.parent)
    os.close(handle)
    return Path(name)


def atomic_write_bytes(path, data):
    """Writes ``data`` to ``path`` atomically (fsync, then rename)."""
    tmp = _temporary_path(path)
    try:
        with open(tmp, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def atomic_write_text(path, text):
    """Writes ``text`` (UTF-8) to ``path`` atomically."""
    atomic_write_bytes(path, text.encode("utf-8"))


def atomic_write_json(path, value):
    """Writes ``value`` as indented JSON to ``path`` atomically."""
    atomic_write_text(path, json.dumps(value, indent=2, sort_keys=True, allow_nan=False) + "\n")


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
