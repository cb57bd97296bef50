"""The dataset before any model (notebook 01): its splits, examples per class, PCA and distractors.

``load_splits`` loads a dataset's splits (every study starts with it);
``split_table`` and ``examples_per_class`` describe them; ``usable_components``,
``total_variance``, ``pca_reconstructions`` and ``whitening_noise`` show what
PCA keeps and what whitening does; ``find_distractor_crops`` finds the SVHN
crops that show neighbouring digits.
"""

import numpy as np

from vae_keras import preprocessing
from vae_keras.studies.page import Table, dataset_label


def load_splits(dataset, splits=("train", "test", "extra")):
    """Loads the named splits that exist for ``dataset``; others are skipped with a note.

    Returns:
        ``{split: (images, labels)}``.
    """
    from vae_keras import data

    base = "npz" if dataset.startswith("npz:") else dataset
    if base not in data.SPLITS:
        data.load(dataset, splits[0])  # raises the clear "unknown dataset" error
    available = data.SPLITS[base]
    loaded = {}
    for split in splits:
        if split not in available:
            print(f"{dataset_label(dataset)!r} has no {split!r} split; skipped.")
            continue
        loaded[split] = data.load(dataset, split)
    return loaded


def split_table(splits):
    """A ``Table`` of sizes, shapes and pixel statistics per split."""
    rows = []
    for name, (images, labels) in splits.items():
        pixels = preprocessing.to_unit_interval(images[:5000])
        rows.append(
            {
                "split": name,
                "images": len(images),
                "shape": "x".join(map(str, images.shape[1:])),
                "labels": "none" if labels is None else f"{int(labels.min())}..{int(labels.max())}",
                "pixel_mean": float(pixels.mean()),
                "pixel_std": float(pixels.std()),
            }
        )
    return Table(rows)


def label_shares(splits):
    """``{split: {label: share}}`` over the labels each split holds, for the splits that carry labels.

    Unlabelled splits are left out; labels are whatever integers the data uses (EMNIST letters: 1..26).
    """
    shares = {}
    for name, (_, labels) in splits.items():
        if labels is not None and len(labels):
            classes, counts = np.unique(labels, return_counts=True)
            shares[name] = {int(label): float(count / len(labels)) for label, count in zip(classes, counts)}
    return shares


def examples_per_class(labels, per_class=8, seed=0):
    """Indices of ``per_class`` random examples of each label the data holds, label-major (smallest first)."""
    rng = np.random.default_rng(seed)
    chosen = []
    for label in np.unique(labels):
        candidates = np.flatnonzero(labels == label)
        chosen += list(rng.choice(candidates, size=min(per_class, len(candidates)), replace=False))
    return np.asarray(chosen)


def usable_components(images, requested, max_examples=2000):
    """The number of PCA components to keep: ``requested``, capped by the data's rank.

    Images with pixels that never vary (the blank corners of the 8x8 digits)
    span fewer directions than they have pixels; PCA cannot keep more
    components than that. Prints a note when it lowers the request.

    Returns:
        An ``int`` between 1 and ``requested``.
    """
    flat = preprocessing.to_unit_interval(images[:max_examples]).reshape(min(len(images), max_examples), -1)
    rank = int(np.linalg.matrix_rank(flat - flat.mean(axis=0)))
    chosen = max(1, min(int(requested), rank))
    if chosen < requested:
        print(
            f"pca_components lowered from {requested} to {chosen}: the {len(flat):,} images the rank was measured "
            f"on span only {rank} directions."
        )
    return chosen


def training_components(dataset, requested, max_train_examples=0):
    """``usable_components`` measured on the training images the PCA is fitted on (``max_train_examples``: at
    most this many, 0 for all), never on the test split: a small test split (the SVHN sample's 183 images)
    would cap the components at its own rank (182) although the PCA is fitted on more images."""
    train_images = load_splits(dataset, ["train"])["train"][0]
    return usable_components(train_images[: max_train_examples or None], requested)


def total_variance(images):
    """Sum of per-pixel variances of images scaled to [0, 1]: the variance PCA splits up."""
    flat = preprocessing.to_unit_interval(images).reshape(len(images), -1)
    return float(flat.var(axis=0, ddof=1).sum())


def pca_reconstructions(images, component_counts, seed=0, fit_images=None):
    """Images reconstructed from their first k principal components, for several k.

    Returns:
        ``(grid, mse)``: images row-major (the originals first, then one row
        per k) and ``{k: mean squared error}``.
    """
    fit_images = images if fit_images is None else fit_images
    rows, errors = [preprocessing.to_unit_interval(images)], {}
    pixels = rows[0]
    for k in component_counts:
        pca = preprocessing.PCA(int(k), whiten=False, seed=seed).fit(fit_images)
        reconstructed = pca.inverse_transform(pca.transform(images))
        rows.append(reconstructed)
        errors[int(k)] = float(np.mean((reconstructed - pixels) ** 2))
    return np.concatenate(rows), errors


def whitening_noise(pca_whitened, images, noise_std=0.3, seed=0):
    """What equal-sized errors on every whitened component look like in pixels.

    Adds N(0, noise_std^2) to each whitened component and maps back: errors
    along low-variance components (fine detail and noise) are scaled up by
    ``sqrt(variance)`` of each component, so they barely show, while a model
    fitted in whitened space spends as much effort on them as on the strokes.

    Returns:
        ``(clean, noisy)`` images.
    """
    features = pca_whitened.transform(images)
    noisy = features + np.random.default_rng(seed).normal(scale=noise_std, size=features.shape)
    return pca_whitened.inverse_transform(features), pca_whitened.inverse_transform(noisy.astype("float32"))


def find_distractor_crops(images, count=20, border=None):
    """Crops whose side borders are busiest: candidates that show neighbouring digits.

    SVHN's cropped digits keep the neighbouring digits of a house number at
    the left and right edges. This heuristic ranks crops by the variance of
    the outer ``border`` columns (default: a fifth of the width) relative to
    the centre's.

    Returns:
        Indices of the ``count`` highest-ranked crops.
    """
    gray = preprocessing.to_unit_interval(images).mean(axis=-1)
    border = border or max(1, gray.shape[2] // 5)
    sides = np.concatenate([gray[:, :, :border], gray[:, :, -border:]], axis=2)
    centre = gray[:, :, border:-border]
    score = sides.std(axis=(1, 2)) / (centre.std(axis=(1, 2)) + 1e-3)
    return np.argsort(score)[::-1][:count]
