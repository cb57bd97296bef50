"""Limiting the threads of NumPy's BLAS while the NumPy VAE runs.

On a machine shared with other jobs, OpenBLAS's spinning worker threads can
make this model's small matrix products ten times slower.
``limit_blas_threads`` returns a context manager that caps the BLAS thread
pool (through ``threadpoolctl``, imported only when a limit is set), and
``_check_blas_threads`` validates such a setting for the functions that take
one, such as ``timing.compare_with_keras``.
"""

import contextlib

import numpy as np


def _check_blas_threads(blas_threads):
    """``None`` (no limit, also for 0) or an integer >= 1."""
    if blas_threads is None or (
        isinstance(blas_threads, (int, np.integer)) and not isinstance(blas_threads, bool) and blas_threads == 0
    ):
        return None
    if isinstance(blas_threads, bool) or not isinstance(blas_threads, (int, np.integer)) or blas_threads < 1:
        raise ValueError(
            f"`blas_threads` must be an integer >= 1, or 0 or None for NumPy's default. "
            f"Received: blas_threads={blas_threads!r}"
        )
    return int(blas_threads)


def limit_blas_threads(blas_threads):
    """A context manager that runs NumPy's BLAS with at most ``blas_threads`` threads.

    On a machine shared with other jobs, OpenBLAS's spinning worker threads
    can make the small matrix products of this model ten times slower; one
    thread avoids that. Uses ``threadpoolctl`` (a scikit-learn dependency).

    Args:
        blas_threads: the number of threads, or ``None`` (or 0) to leave NumPy's default.

    Returns:
        A context manager.

    Raises:
        ValueError: for a negative or non-integer ``blas_threads``.
    """
    blas_threads = _check_blas_threads(blas_threads)
    if blas_threads is None:
        return contextlib.nullcontext()
    import threadpoolctl

    return threadpoolctl.threadpool_limits(limits=blas_threads, user_api="blas")
