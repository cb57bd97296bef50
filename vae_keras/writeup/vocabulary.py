"""The writeup's words, defined once: verdicts, their colours, the data a claim is about, counting nouns."""

REPRODUCED, REFUTED, DIFFERS, INCONCLUSIVE = "reproduced", "refuted", "differs", "inconclusive"
#: A rule's outcome on data other than the claim's own: shown with its numbers, counted apart, never
#: a reproduction or a refutation of the claim itself.
INDICATIVE = "indicative"
#: The verdicts a claim can carry.
VERDICTS = (REPRODUCED, REFUTED, DIFFERS, INCONCLUSIVE, INDICATIVE)
#: How the ledger shows a claim whose notebook did not complete in the run.
NOT_RUN = "not run"
#: How the ledger shows a claim that no run here can decide (the reason says why).
NOT_DECIDABLE = "not decidable here"

VERDICT_COLOURS = {
    REPRODUCED: "#1a7f37",
    REFUTED: "#cf222e",
    DIFFERS: "#9a6700",
    INCONCLUSIVE: "#57606a",
    INDICATIVE: "#0969da",
    NOT_RUN: "#8c959f",
    NOT_DECIDABLE: "#8c959f",
}

#: Profiles whose budgets are too small for most claims (a page and the index say so).
SMALL_PROFILES = ("smoke", "demo", "quick")
#: The data a claim can be about, as ``vae_keras.data.dataset_family`` names them.
SVHN, MNIST = "svhn", "mnist"
DATA_NAMES = {SVHN: "SVHN", MNIST: "MNIST", "digits": "scikit-learn's 8x8 digits", None: "other data"}

#: A claim a write-up makes, and a question of our own (never counted as a write-up's claim).
WRITE_UP, OURS = "write-up", "ours"


def shown_dataset(dataset):
    """A dataset name for a page, with no machine's folders: ``npz:/abs/path/file.npz`` -> ``npz:file.npz``."""
    dataset = "" if dataset is None else str(dataset)
    return "npz:" + dataset[4:].replace("\\", "/").rsplit("/", 1)[-1] if dataset.startswith("npz:") else dataset


def data_name(family):
    """A data family for a sentence: ``"svhn"`` -> ``"SVHN"``; an unknown one by its own name."""
    return DATA_NAMES.get(family, str(family))


def counted(number, noun, plural=None):
    """``number`` with ``noun`` in the right number: ``counted(1, "epoch")`` -> ``"1 epoch"``, else ``"3,000 epochs"``.

    ``plural`` for a noun that does not take an ``s`` (``counted(2, "model", "models")`` needs none).
    """
    shown = f"{number:,}" if isinstance(number, int) and not isinstance(number, bool) else f"{number:g}"
    return f"{shown} {noun if number == 1 else (plural or noun + 's')}"
