"""Images that trained variants produce, and measures of their quality.

``samples_by_variant`` and ``reconstructions_by_variant`` give one row of images
per variant for figures (notebooks 02, 03 and 07); ``digit_classifier`` labels
decoded images, ``nearest_distances`` measures how far an image is from the
training set and ``sharpness`` how blurry it is: measures that decide claims
about samples (notebooks 06-08); ``manifold_classes`` reads a 2-D manifold's
tiles with that classifier, ``generated_classes`` the prior samples of each latent size (notebook 07).
"""

import numpy as np

from vae_keras import preprocessing


def samples_by_variant(variants, num_samples=10, seed=0):
    """Pixel-space samples of each completed variant, one row per variant.

    Returns:
        ``(images, names)``: images row-major and the variant of each row.
    """
    rows, names = [], []
    for name, variant in variants.items():
        if variant.vae is None:
            continue
        rows.append(variant.prepared.to_images(variant.vae.sample(num_samples, seed=seed)))
        names.append(name)
    return np.concatenate(rows), names


def reconstructions_by_variant(variants, num_images=10, seed=0):
    """The first test images, then each completed variant's reconstructions of them."""
    rows, names = [], ["original"]
    for name, variant in variants.items():
        if variant.vae is None:
            continue
        images = variant.prepared.test[0][:num_images]
        if not rows:
            rows.append(preprocessing.to_unit_interval(images))
        x = variant.prepared.model_inputs(images, seed=seed)
        rows.append(variant.prepared.to_images(variant.vae.reconstruct(x)))
        names.append(name)
    return np.concatenate(rows), names


def digit_classifier(train_images, train_labels, test_images, test_labels, max_examples=5000, seed=0):
    """A logistic-regression classifier of pixel images, to label decoded images.

    Args:
        train_images, train_labels: what it learns from (at most ``max_examples``, drawn at random).
        test_images, test_labels: where its accuracy is measured.

    Returns:
        ``(classify, accuracy)``: ``classify(images in [0, 1]) -> labels`` and the test accuracy.
    """
    from sklearn.linear_model import LogisticRegression

    rng = np.random.default_rng(seed)
    chosen = rng.permutation(len(train_images))[:max_examples]
    flat = preprocessing.to_unit_interval(train_images[chosen]).reshape(len(chosen), -1)
    model = LogisticRegression(max_iter=300, C=0.1)
    model.fit(flat, np.asarray(train_labels)[chosen])

    def classify(images):
        images = np.asarray(images, dtype="float32")
        return model.predict(images.reshape(len(images), -1))

    test = preprocessing.to_unit_interval(test_images)
    accuracy = float(np.mean(classify(test) == np.asarray(test_labels)))
    return classify, accuracy


def nearest_distances(images, reference, batch_size=500):
    """Root-mean-square pixel distance from each image to its nearest image in ``reference``.

    Args:
        images: ``(n, ...)`` values in [0, 1].
        reference: ``(m, ...)`` values in [0, 1], e.g. training images.

    Returns:
        A ``(n,)`` array.
    """
    a = np.asarray(images, dtype="float64").reshape(len(images), -1)
    b = np.asarray(reference, dtype="float64").reshape(len(reference), -1)
    b_norms = np.sum(b**2, axis=1)
    out = np.empty(len(a))
    for start in range(0, len(a), batch_size):
        chunk = a[start : start + batch_size]
        squared = np.sum(chunk**2, axis=1)[:, None] - 2 * chunk @ b.T + b_norms[None]
        out[start : start + batch_size] = np.sqrt(np.maximum(squared.min(axis=1), 0) / a.shape[1])
    return out


def sharpness(images):
    """Mean absolute difference between horizontally and vertically neighbouring pixels, per image.

    Blurry images have small differences between neighbours; sharp strokes large ones.

    Returns:
        A ``(n,)`` array.
    """
    images = np.asarray(images, dtype="float64")
    if images.ndim == 3:
        images = images[..., None]
    horizontal = np.abs(np.diff(images, axis=2)).mean(axis=(1, 2, 3))
    vertical = np.abs(np.diff(images, axis=1)).mean(axis=(1, 2, 3))
    return (horizontal + vertical) / 2


def prior_sample_digits(variant, classify, reference, num_samples=400, seed=0):
    """Labels and distances of decoded samples from the prior: which digits a model generates.

    Args:
        variant: a trained ``Variant``.
        classify: ``classify(images in [0, 1]) -> labels`` (see ``digit_classifier``).
        reference: training images in [0, 1], for the distance to the nearest one.
        num_samples: draws of z ~ N(0, I).

    Returns:
        ``(labels, median_distance)``: each sample's label, and the median RMS distance from a sample to
        its nearest reference image (real digits sit near the training images; blurs do not).
    """
    images = np.clip(variant.prepared.to_images(variant.vae.sample(num_samples, seed=seed)), 0.0, 1.0)
    return classify(images), float(np.median(nearest_distances(images, reference)))


def manifold_classes(tiles, train, test, kl, distance_ratio, noun="digits", reference_size=5000):
    """Which classes a 2-D manifold's tiles show, read by a classifier, and whether the tiles look like data.

    Args:
        tiles: the decoded grid, images in [0, 1].
        train, test: ``(images, labels)`` of the training and test splits (labels of at least 2 classes).
        kl: the model's test KL (nats), part of the claim's evidence.
        distance_ratio: how many times farther from the training images than real test images a tile may
            be before the sentence says it does not look like the data.
        noun: what the images are called on the page (``words.image_noun``).

    Returns:
        ``(evidence, text)``: the evidence of the ``manifold_shows_some_digits`` claim, and a sentence.
    """
    (train_images, train_labels), (test_images, test_labels) = train, test
    classify, accuracy = digit_classifier(train_images, train_labels, test_images, test_labels)
    reference = preprocessing.to_unit_interval(train_images[:reference_size])
    real = preprocessing.to_unit_interval(test_images[:400])
    evidence = dict(
        tile_labels=classify(tiles),
        num_classes=len(np.unique(train_labels)),
        classifier_accuracy=accuracy,
        kl=kl,
        tile_distance=float(np.median(nearest_distances(tiles, reference))),
        real_distance=float(np.median(nearest_distances(real, reference))),
    )
    tile_distance, real_distance = evidence["tile_distance"], evidence["real_distance"]
    counts = {int(label): int(np.sum(evidence["tile_labels"] == label)) for label in np.unique(train_labels)}
    text = (
        f"The tile classifier labels {accuracy:.1%} of the test images correctly. It reads the "
        f"{len(tiles)} tiles as: "
        + ", ".join(f"{label}: {n}" for label, n in counts.items())
        + f" (the z=2 model's test KL is {kl:.2f} nats). The median RMS distance from a tile to its nearest "
        f"training image is {tile_distance:.3f}, against {real_distance:.3f} for real test images"
    )
    if tile_distance > distance_ratio * real_distance:
        text += (
            f": more than {distance_ratio:g} times as far from any training image as real {noun} are, so the "
            f"classifier may be naming blurs rather than {noun}, and its count says little about the manifold"
        )
    elif tile_distance > real_distance:
        text += (
            f": {tile_distance / real_distance:.2f} times as far, within the {distance_ratio:g} times the "
            "claim allows before it calls the tiles unlike the training images"
        )
    return evidence, text + "."


def generated_classes(models, train, test, seed=0, reference_size=5000):
    """Which classes each model generates, read by a classifier of the labels, and how far its samples are from
    the training images: the evidence of the claims about the digits each latent size shows.

    Args:
        models: ``{latent size: Variant}``.
        train, test: ``(images, labels)`` of the training and test splits (labels of at least 2 classes).
        seed: seed of the prior samples.
        reference_size: training images searched for each sample's nearest one.

    Returns:
        The evidence of ``digits_at_z5`` and ``all_digits_at_larger_z``.
    """
    (train_images, train_labels), (test_images, test_labels) = train, test
    classify, accuracy = digit_classifier(train_images, train_labels, test_images, test_labels)
    reference = preprocessing.to_unit_interval(train_images[:reference_size])
    real = preprocessing.to_unit_interval(test_images[:400])
    found = {z: prior_sample_digits(variant, classify, reference, seed=seed) for z, variant in models.items()}
    return {
        "latent_sizes": list(found),
        "sample_labels": [labels for labels, _ in found.values()],
        "num_classes": len(np.unique(train_labels)),
        "classifier_accuracy": accuracy,
        "kls": [models[z].row["test_kl"] for z in found],
        "sample_distances": [distance for _, distance in found.values()],
        "real_distance": float(np.median(nearest_distances(real, reference))),
    }
