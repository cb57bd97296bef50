"""The run's data in words: what its images are called, what its labels allow, and its models' names.

A page says "digits" only for data of digits, puts a number beside a published one only on the data that
number was measured on, and names a model by its real layer sizes, so a run on other data stays truthful.
``data_title`` names the data in a title; ``label_problem`` says why a labelled section cannot run on the
data; ``label_balance_text`` describes a split's label shares in a sentence true for any number of labels.
"""

import numpy as np

from vae_keras.studies.page import dataset_label, family_of
from vae_keras.writeup.vocabulary import data_name

#: Data families whose images are digits (``data.dataset_family``): MNIST, SVHN and scikit-learn's digits.
DIGIT_FAMILIES = ("mnist", "svhn", "digits")


def image_noun(dataset, plural=True):
    """``"digits"`` for a dataset of digits (``DIGIT_FAMILIES``), else ``"images"``; singular with ``plural=False``."""
    noun = "digit" if family_of(dataset) in DIGIT_FAMILIES else "image"
    return noun + "s" if plural else noun


def data_title(dataset):
    """The run's data for a title: ``"MNIST"``, ``"SVHN"``, ``"scikit-learn's 8x8 digits"`` for a known family,
    else the dataset as the page shows it (``"npz:faces.npz"``)."""
    family = family_of(dataset)
    return data_name(family) if family else dataset_label(dataset)


def is_family(dataset, family):
    """Whether ``dataset`` holds the data of ``family`` (``"mnist"``...): only then does a number go beside
    a published one measured on that data."""
    return family is not None and family_of(dataset) == family


def layer_sizes(input_shape, hidden_units, latent_dim):
    """A fully connected VAE's name by its layer sizes: ``((28, 28, 1), [200, 200], 50)`` -> ``"784-200-200-50"``."""
    return "-".join(str(int(n)) for n in (int(np.prod(input_shape)), *hidden_units, latent_dim))


def label_problem(labels, min_classes=2):
    """Why ``labels`` cannot feed a section that needs ``min_classes`` classes, in words; ``None`` if they can.

    Args:
        labels: a split's labels, or ``None`` for a split without labels.
        min_classes: how many distinct labels the section needs (a classifier or a conditional VAE: 2).
    """
    if labels is None or len(labels) == 0:
        return "the training images carry no labels"
    classes = np.unique(labels)
    if len(classes) < min_classes:
        if len(classes) == 1:
            return f"every training image has the same label ({int(classes[0])})"
        return f"the training images have {len(classes)} labels, and it needs at least {min_classes}"
    return None


def label_balance_text(shares):
    """One sentence on a split's label shares (``{label: share}``, the labels it holds) true for any of them.

    One label, or all shares equal, are said as such (never "the most common label is 0 and the least
    common 0"); ties name every label that shares the top or the bottom share.
    """
    labels = np.asarray(list(shares), dtype=int)
    values = np.asarray(list(shares.values()), dtype=float)
    if len(labels) == 1:
        return f"Every training image has the label **{labels[0]}**."
    if np.isclose(values.max(), values.min()):
        return f"All {len(labels)} labels are equally common in the training split ({values.max():.1%} each)."

    def which(share):
        tied = labels[np.isclose(values, share)]
        return " and ".join(f"**{label}**" for label in tied) + f" ({share:.1%}{' each' if len(tied) > 1 else ''})"

    most = "labels are" if np.isclose(values, values.max()).sum() > 1 else "label is"
    return (
        f"In the training split the most common {most} {which(values.max())} and the least common "
        f"{which(values.min())}, against {1 / len(labels):.1%} each if balanced; the largest share is "
        f"{values.max() / values.min():.2f} times the smallest."
    )
