"""Reproducing Kingma & Welling's MNIST runs (notebook 06): their budget, and our numbers beside theirs.

``epochs_for_examples`` turns the write-up's number of examples seen into
epochs, ``negative_elbo_by_split`` measures a variant on the training and the
test split, and ``reproduction_table`` sets those numbers beside the write-up's.
"""

from vae_keras import evaluate
from vae_keras.studies.page import Table


def epochs_for_examples(num_examples_seen, num_train, scale=1.0):
    """Epochs that show the model ``scale * num_examples_seen`` examples (at least one)."""
    return max(1, int(round(scale * num_examples_seen / max(1, num_train))))


def negative_elbo_by_split(variant, max_examples=10000, seed=0):
    """Negative ELBO (nats, k=1) on the training and the test split, on fixed inputs.

    Returns:
        ``{"train": float, "test": float}``.
    """
    out = {}
    for split, (images, _) in (("train", variant.prepared.train), ("test", variant.prepared.test)):
        x = variant.prepared.model_inputs(images[: max_examples or None], seed=seed)
        out[split] = float(-evaluate.elbo(variant.vae, x, seed=seed)["elbo"].mean())
    return out


def reproduction_table(trained, reference, max_examples=10000):
    """Our train/test negative ELBO beside a write-up's, per run.

    Args:
        trained: ``{name: Variant}`` from ``train_variants``.
        reference: ``{name: {"train": ..., "test": ..., "examples": ..., "protocol": ...}}``.
        max_examples: examples per split used for our numbers.

    Returns:
        A ``Table`` with one row per run.
    """
    rows = []
    for name, ref in reference.items():
        variant = trained[name]
        row = {"run": name, "protocol": ref["protocol"], "their examples": ref["examples"]}
        if variant.vae is None:
            row["status"] = variant.row["status"]
            rows.append(row)
            continue
        ours = negative_elbo_by_split(variant, max_examples=max_examples)
        num_train = len(variant.prepared.train[0])
        row.update(
            {
                "our examples": variant.state["epoch"] * num_train,
                "epochs": variant.state["epoch"],
                "our train": ours["train"],
                "their train": ref["train"],
                "our test": ours["test"],
                "their test": ref["test"],
                "test difference": ours["test"] - ref["test"],
            }
        )
        rows.append(row)
    return Table(rows)
