"""Reproducing Kingma & Welling's MNIST runs (notebook 06): their budget, and our numbers beside theirs.

``epochs_for_examples`` turns the write-up's number of examples seen into
epochs, ``negative_elbo_by_split`` measures a variant on the training and the
test split, ``reproduction_table`` sets those numbers beside the write-up's (on its data only) and
``reproduction_summary`` says what the table shows.
``continuous_entropy_floor`` is the least cross-entropy any model can reach on grey-level targets.
``kingma_welling_reference``, ``with_run_settings`` and ``kingma_welling_evidence`` set the write-up's table
beside ours and gather each claim's evidence; ``manifold_distances`` measures how far the z=2 model's
manifold tiles are from real images.
``iwae_verdict`` judges Burda et al.'s IWAE-over-VAE finding (notebook 09).
"""

import numpy as np

from vae_keras import evaluate, preprocessing
from vae_keras.checks import choice
from vae_keras.studies.latent import decode_manifold, latent_grid
from vae_keras.studies.page import Table
from vae_keras.studies.samples import nearest_distances
from vae_keras.writeup.claims import CLAIMS, KINGMA_WELLING_ROWS, counted, gap_source


def epochs_for_examples(num_examples_seen, num_train, scale=1.0):
    """Epochs that show the model ``scale * num_examples_seen`` examples (at least one)."""
    return max(1, int(round(scale * num_examples_seen / max(1, num_train))))


def continuous_entropy_floor(images, scale=255.0):
    """The mean over images of the summed binary entropy of their grey levels, in nats per image.

    With continuous targets ``x`` in [0, 1], the Bernoulli cross-entropy ``-x log p - (1 - x) log(1 - p)``
    is smallest at ``p = x``, where it equals the binary entropy ``H(x)``: no decoder's negative ELBO can
    fall below this floor, which depends on the data alone.

    Args:
        images: ``uint8`` grey levels.
        scale: what the grey levels are divided by: 255 (``[0, 1]``) or 256 (a common copy of MNIST).
    """
    array = np.asarray(images)
    if array.dtype != np.uint8:
        raise ValueError(f"`images` must be uint8 grey levels (0-255). Received: dtype={array.dtype}")
    choice("scale", scale, (255.0, 256.0))
    p = array.reshape(len(array), -1).astype(np.float64) / scale
    with np.errstate(divide="ignore", invalid="ignore"):
        entropy = -(np.where(p > 0, p * np.log(p), 0.0) + np.where(p < 1, (1 - p) * np.log1p(-p), 0.0))
    return float(entropy.sum(axis=1).mean())


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


def reproduction_table(trained, reference, max_examples=10000, compare=True):
    """Our train/test negative ELBO beside a write-up's, per run.

    Args:
        trained: ``{name: Variant}`` from ``train_variants``.
        reference: ``{name: {"train": ..., "test": ..., "examples": ..., "protocol": ...}}``.
        max_examples: examples per split used for our numbers.
        compare: set the write-up's numbers and the differences beside ours; ``False`` for a run on other
            data than the write-up's, whose numbers are then shown alone (its budget stays: ``their examples``).

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
                "train difference": ours["train"] - ref["train"],
                "our test": ours["test"],
                "their test": ref["test"],
                "test difference": ours["test"] - ref["test"],
            }
        )
        if not compare:
            row = {key: value for key, value in row.items() if not key.startswith("their ") or key == "their examples"}
            row = {key: value for key, value in row.items() if not key.endswith(" difference")}
        rows.append(row)
    return Table(rows)


def explain_gaps(rows, floor_255, floor_256, tolerance=3.0, min_share=0.9):
    """A sentence on where the gaps between our numbers and the write-up's come from, from the numbers alone.

    Only rows trained on at least ``min_share`` of the write-up's examples count. Their mean test and
    train differences are compared with the shift a differently scaled copy of MNIST would cause
    (``floor_256 - floor_255``, see ``continuous_entropy_floor``): a write-up run on grey levels
    divided by 256 would read higher by about that much. A train gap of the same sign and at least
    half the size says the models fit differently, rather than generalise differently.

    Args:
        rows: ``reproduction_table(...).rows``.
        floor_255, floor_256: the test images' entropy floors for the two scalings.
    """
    full = [r for r in rows if "our test" in r and r["our examples"] >= min_share * r["their examples"]]
    if not full:
        return (
            f"No row trained on at least {min_share:.0%} of the write-up's examples, so the gaps above say "
            "nothing yet about the data or the protocol."
        )
    test_gap = float(np.mean([r["test difference"] for r in full]))
    train_gap = float(np.mean([r["train difference"] for r in full]))
    shift = floor_256 - floor_255
    text = (
        f"Over the {counted(len(full), 'row')} trained on at least {min_share:.0%} of the "
        f"write-up's examples, our test numbers differ from the write-up's by {test_gap:+.2f} nats on average "
        f"and our training numbers by {train_gap:+.2f}. "
    )
    if abs(test_gap) <= abs(shift) + tolerance:
        return text + (
            f"That is within what the scaling of the grey levels ({shift:+.2f}) and the {tolerance:g}-nat "
            "tolerance allow."
        )
    if test_gap < 0:  # ours lower: a write-up run on the /256 copy would read higher
        text += f"The scaling of the grey levels can account for about {shift:.1f} nats of that, not all of it"
    else:
        text += (
            "Scaling by 256 would make the write-up's numbers higher, not lower, so it cannot explain a gap in "
            "this direction"
        )
    source = gap_source(test_gap, train_gap)
    if source == "fit":
        return text + (
            "; the training images show a gap of the same sign and similar size, so the rest lies in how the "
            "models were trained, which the write-up does not state in full."
        )
    if source == "generalisation":
        return text + "; the training numbers are closer, so most of the gap is in how the models generalise."
    return text + "; on the training images the gap points the other way."


def iwae_verdict(iwae_gain, min_kl, epochs, same_data=True):
    """Burda et al.'s finding that an IWAE beats the VAE by at least 1 nat, judged from a pair trained alike.

    Args:
        iwae_gain: the IWAE's test log p(x) minus the VAE's, in nats (> 0: the IWAE is better).
        min_kl: the smaller of the two models' test KL (nats): below 1, one of them did not train.
        epochs: the epochs each was trained.
        same_data: the run is on their data (binarised MNIST); on other data the outcome is only indicative.

    Returns:
        The verdict in words: ``"reproduced: ..."``, ``"differs: ..."``, ``"refuted at this budget: ..."``,
        ``"inconclusive: ..."`` or ``"indicative only, on other data than theirs: ..."``.
    """
    if min_kl < 1.0:
        return "inconclusive: one of the models did not train (its KL is below 1 nat)"
    if epochs < 10:
        return (
            f"inconclusive: {epochs} epoch{'s are' if epochs != 1 else ' is'} too few to judge a difference "
            "Burda et al. measured after 3,280"
        )
    if iwae_gain >= 1.0:
        word, text = "reproduced", f"the IWAE is {iwae_gain:.2f} nats better, at least the 1 nat Burda et al. found"
    elif iwae_gain > 0:
        word, text = (
            "differs",
            f"the IWAE is better, but by {iwae_gain:.2f} nats, less than the 1 nat Burda et al. found",
        )
    else:
        word, text = "refuted at this budget", f"the IWAE is {-iwae_gain:.2f} nats worse"
    return f"{word}: {text}" if same_data else f"indicative only, on other data than theirs: {text}"


def reproduction_summary(rows, train_images, test_images, kl_images, other_data=None, tolerance=3.0):
    """What the reproduction table shows, in words: how our numbers were measured, each run's share of the
    write-up's budget and, on the write-up's own data only, how many test numbers are within ``tolerance``.

    Args:
        rows: ``reproduction_table(...).rows``.
        train_images, test_images: the images per split our negative ELBO was measured on.
        kl_images: the test images of the test KL column.
        other_data: the run's dataset as the page names it, when it is not the write-up's data: our numbers
            are then shown alone, never compared.
        tolerance: nats within which a test number counts as the write-up's.
    """
    text = (
        f"Our numbers are the negative ELBO with one draw of $z$ per image on the first {train_images:,} "
        f"training and {test_images:,} test images; the test KL column is measured on {kl_images:,} test images."
    )
    done = [row for row in rows if "our test" in row]
    if not done:
        return text
    shares = [row["our examples"] / row["their examples"] for row in done]
    epochs = sorted({row["epochs"] for row in done})
    epoch_range = f"{epochs[0]:,}" + (f" to {epochs[-1]:,}" if len(epochs) > 1 else "")
    text += (
        f" Each run saw between {min(shares):.2%} and {max(shares):.2%} of the write-up's training examples "
        f"({epoch_range} epoch{'s' if epoch_range != '1' else ''})."
    )
    compared = [row for row in done if "test difference" in row]
    if other_data or not compared:
        return text + (
            f" The write-up's numbers were measured on other data than `{other_data}`, so the table shows ours "
            "alone and the verdicts below are indicative only."
        )
    worst = max(compared, key=lambda row: abs(row["test difference"]))
    within = sum(abs(row["test difference"]) <= tolerance for row in compared)
    return text + (
        f" {within} of {len(compared)} test numbers are within {tolerance:g} nats of the write-up's; the largest gap "
        f"is {worst['test difference']:+.2f} nats ({worst['run']})."
    )


def kingma_welling_reference():
    """The write-up's table (``claims.KINGMA_WELLING_ROWS``) as ``reproduction_table``'s ``reference``."""
    return {
        run: {"train": train, "test": test, "examples": examples, "protocol": "continuous targets, cross-entropy"}
        for run, train, test, examples, _quote in KINGMA_WELLING_ROWS.values()
    }


#: The columns of notebook 06's table, in order (those no row has are left out).
KINGMA_WELLING_COLUMNS = (
    "run", "activation", "epochs", "our examples", "their examples", "our train", "their train",
    "train difference", "our test", "their test", "test difference", "test KL", "status",
)  # fmt: skip


def with_run_settings(rows, trained):
    """``reproduction_table`` rows with each run's activation and test KL beside its numbers."""
    return [
        {**row, "activation": trained[row["run"]].config.activation, "test KL": trained[row["run"]].row.get("test_kl")}
        for row in rows
    ]


def kingma_welling_evidence(rows, trained):
    """``{claim_id: evidence}`` of every claim notebook 06 decides from its table: one per row of the write-up's
    table, Kingma & Welling's own z=3 number, ELU against ReLU, and the z=2 model before and after more training.

    Args:
        rows: ``reproduction_table(...).rows``.
        trained: ``{run: Variant}``, the runs named as in ``claims.KINGMA_WELLING_ROWS``.
    """
    row_of = {row["run"]: row for row in rows}
    run = {claim_id: entry[0] for claim_id, entry in KINGMA_WELLING_ROWS.items()}

    def ours(claim_id):
        name = run[claim_id]
        return {
            "ours_test": row_of[name].get("our test"),
            "ours_train": row_of[name].get("our train"),
            "examples_seen": int(trained[name].row.get("examples_seen", 0)),
        }

    def number(claim_id, split):
        return row_of[run[claim_id]].get(f"our {split}", float("nan"))

    evidence = {claim_id: ours(claim_id) for claim_id in KINGMA_WELLING_ROWS}
    evidence["kw_paper_z3"] = ours("kw_adagrad")
    evidence["kw_elu_less_overfitting"] = {
        "relu_train": number("kw_adam", "train"),
        "relu_test": number("kw_adam", "test"),
        "elu_train": number("kw_elu", "train"),
        "elu_test": number("kw_elu", "test"),
    }
    evidence["kw_z2_overfit"] = {
        "before_train": number("kw_z2", "train"),
        "before_test": number("kw_z2", "test"),
        "after_train": number("kw_z2_more", "train"),
        "after_test": number("kw_z2_more", "test"),
    }
    return evidence


def within_tolerance(rows):
    """How many rows set beside the write-up's have a test number within the rows' tolerance (the ledger's
    ``tolerance_nats``) of the write-up's, and that tolerance."""
    tolerance = CLAIMS["kw_adagrad"].thresholds["tolerance_nats"]
    return sum(abs(row["test difference"]) <= tolerance for row in rows if "test difference" in row), tolerance


def manifold_distances(variant, num_reference, seed=0, num_points=20):
    """How far each tile of a 2-D model's linear manifold (``num_points`` per side, in [-5, 5]) is from the
    nearest of ``num_reference`` random training images, and how far real test images are (the mean over 400).

    Returns:
        ``{"nearest": (num_points**2,) RMS distances, row by row from the top, "real_distance": float,
        "num_reference": int}``.
    """
    grid = latent_grid(num_points, spacing="linear", limit=5.0)
    tiles = variant.prepared.to_images(decode_manifold(variant.vae, grid)).reshape(num_points**2, -1)
    train_images = variant.prepared.train[0]
    chosen = np.random.default_rng(seed).permutation(len(train_images))[:num_reference]
    reference = preprocessing.to_unit_interval(train_images[chosen]).reshape(len(chosen), -1)
    test_pixels = preprocessing.to_unit_interval(variant.prepared.test[0][:400]).reshape(-1, reference.shape[1])
    return {
        "nearest": nearest_distances(tiles, reference),
        "real_distance": float(nearest_distances(test_pixels, reference).mean()),
        "num_reference": len(chosen),
    }


def manifold_distance_text(distances, kl, kl_images, num_points=20):
    """``manifold_distances`` in words: the top and bottom halves against real test images, and the row of the
    most distant tile."""
    nearest, half = distances["nearest"], len(distances["nearest"]) // 2
    return (
        f"Distances were measured against {distances['num_reference']:,} random training images. The z=2 "
        f"model's test KL is {kl:.2f} nats (on {kl_images:,} test images). Mean distance to the nearest training "
        f"image: top half {nearest[:half].mean():.4f}, bottom half {nearest[half:].mean():.4f}, real test images "
        f"{distances['real_distance']:.4f}; the most distant tile is in row "
        f"{int(np.argmax(nearest)) // num_points + 1} of {num_points}."
    )
