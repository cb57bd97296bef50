"""What a study notebook needs from its data, checked by the runner before the notebook's kernel starts.

A notebook declares its needs in its metadata, ``metadata["vae_keras"]["needs"]``: names from ``NEEDS``
(in the jupytext header of ``notebooks/NN_name.py``: ``vae_keras: needs: [mnist_layout]``). The runner
describes the run's dataset once (``describe``: image shape, labels, number of classes, family) and skips a
notebook whose needs the data does not meet, with the reason (``skips``), so no kernel starts only to fail.

A need is what a notebook cannot do without. What a notebook can leave out (the label figures of notebook 01,
the conditional VAE of notebook 05) is not a need: the notebook runs without it and says so on its page.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from pathlib import Path

import numpy as np

from vae_keras.registry import Registry

#: The layout of each registered family's images and labels, so a registered dataset (which may need a
#: download) is described without loading it: ``family: (image shape, number of classes)``.
FAMILY_LAYOUTS = {"mnist": ((28, 28, 1), 10), "svhn": ((32, 32, 3), 10), "digits": ((8, 8, 1), 10)}


@dataclasses.dataclass(frozen=True)
class DataFacts:
    """What the runner knows of a run's dataset before any notebook starts.

    Attributes:
        name: the dataset as a page shows it (``npz:faces.npz``).
        image_shape: ``(height, width, channels)`` of the training images.
        labelled: every split read carries labels.
        num_classes: the number of distinct training labels (0 without labels).
        family: ``data.dataset_family`` of the dataset (``"mnist"``, ``"svhn"``, ``"digits"`` or ``None``).
    """

    name: str
    image_shape: tuple[int, ...]
    labelled: bool
    num_classes: int
    family: str | None = None

    def shape_text(self):
        return "x".join(map(str, self.image_shape))


@dataclasses.dataclass(frozen=True)
class Need:
    """One thing a notebook cannot run without.

    Attributes:
        description: what is needed, in words (``"labelled images"``).
        lacking: ``lacking(facts) -> str | None``: what the data has instead, in words (``"no labels"``,
            ``"28x20x1 images"``); ``None`` when it meets the need.
    """

    description: str
    lacking: Callable[[DataFacts], str | None]


NEEDS = Registry("notebook need", "metadata['vae_keras']['needs']")


def _labels(facts):
    return None if facts.labelled else "no labels"


def _two_classes(facts):
    if not facts.labelled:
        return "no labels"
    return None if facts.num_classes >= 2 else f"{facts.num_classes} class"


def _mnist_layout(facts):
    return None if tuple(facts.image_shape) == (28, 28, 1) else f"{facts.shape_text()} images"


def _halvable_twice(facts):
    height, width = facts.image_shape[:2]
    return None if height % 4 == 0 and width % 4 == 0 else f"{facts.shape_text()} images"


NEEDS.register("labels", Need("labelled images", _labels))
NEEDS.register("two_classes", Need("labelled images of at least 2 classes", _two_classes))
NEEDS.register("mnist_layout", Need("28x28 grey images (the MNIST layout its models are built for)", _mnist_layout))
NEEDS.register(
    "sides_divisible_by_4",
    Need("image sides divisible by 4 (its convolutional models halve them twice)", _halvable_twice),
)


def describe(dataset, loaded=None):
    """The facts of ``dataset`` the needs are checked against, from the splits already loaded, if any.

    Args:
        dataset: the run's dataset (``"digits"``, ``"npz:PATH"``...).
        loaded: ``{split: (images, labels)}`` as ``validation.check_dataset`` read them; ``None`` for a
            registered dataset, which is described by its family's layout (``FAMILY_LAYOUTS``) unread.

    Returns:
        A ``DataFacts``, or ``None`` when nothing is known without loading (a registered dataset of no
        known family): its notebooks then run and check for themselves.
    """
    from vae_keras.data import identity

    label = "npz:" + Path(dataset[4:]).name if str(dataset).startswith("npz:") else str(dataset)
    family = identity.dataset_family(dataset)
    if not loaded:
        if family not in FAMILY_LAYOUTS:
            return None
        shape, num_classes = FAMILY_LAYOUTS[family]
        return DataFacts(label, shape, True, num_classes, family)
    images, train_labels = loaded.get("train", next(iter(loaded.values())))
    labelled = all(labels is not None for _, labels in loaded.values())
    num_classes = len(np.unique(train_labels)) if labelled and train_labels is not None else 0
    return DataFacts(label, tuple(int(n) for n in np.shape(images)[1:]), labelled, num_classes, family)


def notebook_needs(name, notebooks_dir):
    """The needs a notebook declares (``metadata["vae_keras"]["needs"]``); ``[]`` when it declares none.

    Raises:
        ValueError: for a need that is not in ``NEEDS``, naming the notebook.
    """
    metadata = json.loads((Path(notebooks_dir) / f"{name}.ipynb").read_text()).get("metadata", {})
    declared = (metadata.get("vae_keras") or {}).get("needs") or []
    declared = [declared] if isinstance(declared, str) else list(declared)
    unknown = [need for need in declared if need not in NEEDS]
    if unknown:
        raise ValueError(
            f"Notebook {name} declares unknown needs in metadata['vae_keras']['needs']. Received: {unknown}. "
            f"Accepted: {NEEDS.choices()}"
        )
    return declared


def unmet(declared, facts):
    """Why data with ``facts`` cannot run a notebook that needs ``declared``, or ``None`` if it can.

    Returns:
        ``"needs labelled images; npz:faces.npz has no labels"``, one clause per unmet need, or ``None``.
    """
    if facts is None:
        return None
    missing = [(NEEDS.get(need).description, NEEDS.get(need).lacking(facts)) for need in declared]
    missing = [(description, why) for description, why in missing if why]
    if not missing:
        return None
    return "; ".join(f"needs {description}; {facts.name} has {why}" for description, why in missing)


def skips(notebooks, dataset, loaded, notebooks_dir):
    """``{name: reason}`` for each of ``notebooks`` whose declared needs the run's dataset does not meet.

    Args:
        notebooks: the names the runner would start.
        dataset: the run's dataset, or ``None`` (each notebook's default: nothing is skipped).
        loaded: what ``validation.check_dataset`` loaded (``None`` for a registered dataset).
        notebooks_dir: the folder of the notebooks.
    """
    if dataset is None or not notebooks:
        return {}
    facts = describe(dataset, loaded)
    reasons = {name: unmet(notebook_needs(name, notebooks_dir), facts) for name in notebooks}
    return {name: reason for name, reason in reasons.items() if reason}
