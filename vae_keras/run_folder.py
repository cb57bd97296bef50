"""The files of a training's run folder, named once: ``RunFolder(run_dir).state`` is its ``state.json``.

``vae-keras train`` writes the folder (``train``'s module docstring says what each file holds); ``evaluate`` and
the writeup's ``progress`` read it through ``RunFolder``. ``train`` names the state file, the preprocessor and the
completed status itself (``STATE_FILE``, ``PREPROCESSOR_FILE``, ``COMPLETED``) and writes the other names as
literals: it stays as it is while a study trains against the hash of its code (``fingerprint``), so
``tests/test_run_folder.py`` holds the two to the same names, by its constants and by the files a training writes.
This module imports no Keras, so a folder can be read while its training runs in another process.
"""

import dataclasses
import json
from pathlib import Path

from vae_keras import fingerprint

CONFIG = "config.json"
STATE = "state.json"
HISTORY = "history.csv"
MODEL = "model.keras"
CHECKPOINTS = "checkpoints"
FIGURES = "figures"
LOGS = "logs"
#: The stem of the fitted preprocessor's files (``preprocessor.json``: its settings), when ``input_space`` is PCA.
PREPROCESSOR = "preprocessor"
#: The evaluation of the whole test split (``vae-keras evaluate``); every evaluation is also kept by its own name.
METRICS = "metrics.json"
FINGERPRINT = fingerprint.FILE

#: ``state.json``'s status of a run that trained all its epochs, and of one the divergence guard stopped.
COMPLETED = "completed"
DIVERGED = "diverged"


def _file(name, description):
    return property(lambda self: self.path / name, doc=f"``{name}``: {description}")


@dataclasses.dataclass(frozen=True)
class RunFolder:
    """A training's run folder and the paths of its files (which may not exist yet).

    Args:
        path: the folder (``vae-keras train --out``).
    """

    path: Path

    config = _file(CONFIG, "the ExperimentConfig")
    state = _file(STATE, "status, completed epochs, history, latest checkpoint")
    history = _file(HISTORY, "one row per completed epoch")
    model = _file(MODEL, "the final model, written only when the run completes")
    checkpoints = _file(CHECKPOINTS, "the latest resumable checkpoint")
    figures = _file(FIGURES, "reconstructions, samples, loss curves")
    logs = _file(LOGS, "TensorBoard logs (TensorFlow backend)")
    preprocessor = _file(f"{PREPROCESSOR}.json", "the fitted preprocessor's settings (absent for pixel-space runs)")
    metrics = _file(METRICS, "the evaluation of the whole test split")
    fingerprint = _file(FINGERPRINT, "what makes it this training (``vae_keras.fingerprint``)")

    def __post_init__(self):
        object.__setattr__(self, "path", Path(self.path))

    def read_state(self):
        """``state.json`` as a dict; ``None`` when it is missing or unreadable (a run being written, or none)."""
        return read_json(self.state)

    def read_config(self):
        """``config.json`` as a dict (not validated: no Keras); ``None`` when it is missing or unreadable."""
        return read_json(self.config)


def read_json(path):
    """A JSON file's content, or ``None`` when it is missing or unreadable (say, half written by another process)."""
    try:
        return json.loads(Path(path).read_text())
    except (OSError, ValueError):
        return None
