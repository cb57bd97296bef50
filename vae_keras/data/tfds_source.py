"""tensorflow-datasets as a source: read a prepared copy, or download one under a stall watchdog.

tensorflow-datasets does the downloading, checksumming and preparing. What it lacks is a bound on a
download that hangs (offline machines, firewalls): `download_and_prepare` then blocks forever. So the
download runs in a child process that is killed once its folder stops growing for `download_timeout`
seconds, and whatever it left half-written is removed; the host is probed first so an offline run fails
in seconds.
"""

from __future__ import annotations

import logging
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from vae_keras.data.errors import DatasetFileError

logger = logging.getLogger("vae_keras.data")

TFDS_NAMES = {"mnist": "mnist", "svhn": "svhn_cropped"}
DOWNLOAD_HOSTS = {"mnist": ("storage.googleapis.com", 443), "svhn": ("ufldl.stanford.edu", 80)}
REACHABILITY_TIMEOUT = 5.0


def _read_prepared_tfds(tfds_name, split, tfds_dir):
    """Reads a prepared tfds split into arrays; raises AssertionError if absent."""
    import tensorflow_datasets as tfds

    dataset = tfds.load(tfds_name, split=split, data_dir=str(tfds_dir), download=False)
    image_batches, label_batches = [], []
    # `batch_size=-1` in tfds.load needs split sizes from the metadata; batching
    # here works for any prepared (or mocked) dataset.
    for batch in tfds.as_numpy(dataset.batch(10_000)):
        image_batches.append(batch["image"])
        label_batches.append(batch["label"])
    if not image_batches:
        raise DatasetFileError(f"tensorflow-datasets {tfds_name!r} split {split!r} in {tfds_dir} is empty.")
    return np.concatenate(image_batches), np.concatenate(label_batches).astype(np.int64)


def _host_reachable(host, port, timeout):
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def _directory_size(directory):
    total = 0
    for root, _, files in os.walk(directory):
        for file_name in files:
            try:
                total += os.path.getsize(os.path.join(root, file_name))
            except OSError:
                pass
    return total


def _is_partial(name):
    return "incomplete" in name or ".tmp" in name or name.endswith(".tmp")


def _remove_partial_outputs(directory, existing):
    """Deletes temporary paths tfds created under `directory` since `existing`."""
    for root, directories, files in os.walk(directory, topdown=True):
        for name in list(directories) + files:
            path = os.path.join(root, name)
            if path in existing or not _is_partial(name):
                continue
            if os.path.isdir(path):
                shutil.rmtree(path, ignore_errors=True)
                if name in directories:
                    directories.remove(name)
            else:
                try:
                    os.remove(path)
                except OSError:
                    pass


def _run_with_stall_timeout(command, watch_dir, stall_timeout, poll_interval=0.5):
    """Runs `command`; kills it if `watch_dir` stops growing for `stall_timeout` s.

    Returns:
        `(return_code, output_tail, stalled)`.
    """
    watch_dir = Path(watch_dir)
    watch_dir.mkdir(parents=True, exist_ok=True)
    existing = {os.path.join(root, name) for root, dirs, files in os.walk(watch_dir) for name in dirs + files}
    stalled = False
    # The log lives outside `watch_dir`: retry messages must not count as progress.
    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
        try:
            last_size, last_progress = _directory_size(watch_dir), time.monotonic()
            while process.poll() is None:
                time.sleep(poll_interval)
                size = _directory_size(watch_dir)
                if size != last_size:
                    last_size, last_progress = size, time.monotonic()
                elif stall_timeout is not None and time.monotonic() - last_progress > stall_timeout:
                    stalled = True
                    process.kill()
                    process.wait()
                    break
        except BaseException:
            process.kill()
            process.wait()
            _remove_partial_outputs(watch_dir, existing)
            raise
        log.seek(0)
        output_tail = log.read().decode("utf-8", errors="replace")[-2000:]
    if stalled or process.returncode != 0:
        _remove_partial_outputs(watch_dir, existing)
    return process.returncode, output_tail, stalled


# Run in a child process so that a hung download can be killed.
_TFDS_DOWNLOAD_SCRIPT = (
    "import sys, tensorflow_datasets as tfds; tfds.builder(sys.argv[1], data_dir=sys.argv[2]).download_and_prepare()"
)


def _download_with_tfds(tfds_name, tfds_dir, download_timeout):
    """Runs tfds' download_and_prepare in a subprocess; returns an error or None."""
    return_code, output_tail, stalled = _run_with_stall_timeout(
        [sys.executable, "-c", _TFDS_DOWNLOAD_SCRIPT, tfds_name, str(tfds_dir)], tfds_dir, download_timeout
    )
    if stalled:
        return (
            f"the download wrote nothing for {download_timeout:g} s and was stopped "
            "(raise download_timeout for a slow connection)"
        )
    if return_code != 0:
        last_line = output_tail.strip().splitlines()[-1] if output_tail.strip() else ""
        return f"download_and_prepare failed with exit code {return_code}: {last_line}"
    return None


def load_from_tfds(name, split, data_dir, download, download_timeout, tried):
    """Tries tensorflow-datasets; returns `(images, labels, source)` or None."""
    tfds_name = TFDS_NAMES[name]
    tfds_dir = data_dir / "tfds"
    try:
        import tensorflow_datasets  # noqa: F401
    except ImportError:
        tried.append("tensorflow-datasets: not installed")
        return None
    try:
        images, labels = _read_prepared_tfds(tfds_name, split, tfds_dir)
        return images, labels, f"tensorflow-datasets {tfds_name!r} prepared in {tfds_dir}"
    except AssertionError:  # tfds' way of saying "not prepared"
        pass
    if not download:
        tried.append(f"tensorflow-datasets {tfds_name!r} in {tfds_dir}: not prepared (download=False)")
        return None
    host, port = DOWNLOAD_HOSTS[name]
    probe_timeout = REACHABILITY_TIMEOUT if download_timeout is None else min(REACHABILITY_TIMEOUT, download_timeout)
    if not _host_reachable(host, port, probe_timeout):
        tried.append(
            f"tensorflow-datasets {tfds_name!r} in {tfds_dir}: not prepared, and the download host "
            f"{host}:{port} did not answer within {probe_timeout:g} s (offline?)"
        )
        return None
    logger.info("Downloading %s with tensorflow-datasets into %s ...", tfds_name, tfds_dir)
    error = _download_with_tfds(tfds_name, tfds_dir, download_timeout)
    if error is not None:
        tried.append(f"tensorflow-datasets {tfds_name!r} download into {tfds_dir}: {error}")
        return None
    images, labels = _read_prepared_tfds(tfds_name, split, tfds_dir)
    return images, labels, f"tensorflow-datasets {tfds_name!r} downloaded into {tfds_dir}"
