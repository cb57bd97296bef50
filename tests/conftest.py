"""Shared test set-up: a fixed backend, headless plots, caches inside the project."""

import os
from pathlib import Path

# Must happen before keras is imported anywhere.
os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("MPLBACKEND", "Agg")
_cache = Path(__file__).resolve().parents[1] / ".cache"
os.environ.setdefault("KERAS_HOME", str(_cache / "keras"))
os.environ.setdefault("MPLCONFIGDIR", str(_cache / "matplotlib"))

import pytest  # noqa: E402

#: Real MNIST and SVHN files shared beside the checkout (absent for users who clone).
SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


@pytest.fixture
def shared_data():
    """The ``../shared/data`` folder, or a skip when it is absent."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"real data folder {SHARED_DATA} is absent (only on the project's own machines)")
    return SHARED_DATA
