"""Figures: every helper takes arrays and returns a ``matplotlib.figure.Figure``.

Helpers never call ``plt.show()`` and never write files, so they work
headless and in tests. ``save_figure`` writes a figure into a run folder.
Figures are built with ``matplotlib.figure.Figure`` directly (not pyplot), so
nothing accumulates in pyplot's global state during long studies; notebooks
display a returned figure by ending a cell with it.
"""

import math
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import NullLocator

from vae_keras import io_utils

#: The channel counts an image figure draws: grey (1) or RGB (3). ``vae_keras.validation`` refuses others.
IMAGE_CHANNELS = (1, 3)


def _as_images(images):
    """(N, H, W[, C]) or (N, D) square -> (N, H, W, C) floats in [0, 1]."""
    images = np.asarray(images)
    if images.dtype == np.uint8:
        images = images.astype("float32") / 255.0
    if images.ndim == 2:
        side = int(round(math.sqrt(images.shape[1])))
        if side * side != images.shape[1]:
            raise ValueError(f"Flat images must have a square number of pixels. Received: images.shape={images.shape}")
        images = images.reshape(-1, side, side, 1)
    if images.ndim == 3:
        images = images[..., None]
    if images.ndim != 4 or images.shape[-1] not in IMAGE_CHANNELS:
        raise ValueError(
            f"`images` must be shaped (N, H, W), (N, H, W, 1) or (N, H, W, 3). Received: images.shape={images.shape}"
        )
    return np.clip(images, 0.0, 1.0)


def _show(axis, image):
    if image.shape[-1] == 1:
        axis.imshow(image[..., 0], cmap="gray", vmin=0.0, vmax=1.0, interpolation="nearest")
    else:
        axis.imshow(image, interpolation="nearest")
    axis.set_xticks([])
    axis.set_yticks([])


def _tile(images, num_columns, gap=1):
    """Tiles (N, H, W, C) images into one (rows*H, cols*W, C) array with white gaps."""
    count, height, width, channels = images.shape
    rows = math.ceil(count / num_columns)
    canvas = np.ones((rows * (height + gap) - gap, num_columns * (width + gap) - gap, channels))
    for index, image in enumerate(images):
        row, column = divmod(index, num_columns)
        top, left = row * (height + gap), column * (width + gap)
        canvas[top : top + height, left : left + width] = image
    return canvas


def image_grid(images, num_columns=10, title=None, cell_inches=0.6, row_labels=None):
    """A grid of images, optionally with a label left of each row.

    Args:
        images: ``(N, H, W[, C])`` floats in ``[0, 1]`` or uint8.
        num_columns: images per row.
        title: optional figure title.
        cell_inches: size of one cell in inches.
        row_labels: one label per row (e.g. the variant each row shows).

    Returns:
        A ``Figure``.

    Raises:
        ValueError: if ``row_labels`` does not have one label per row.
    """
    images = _as_images(images)
    num_columns = max(1, min(num_columns, len(images)))
    rows = math.ceil(len(images) / num_columns)
    if row_labels is not None and len(row_labels) != rows:
        raise ValueError(
            f"`row_labels` needs one label per row of the grid. Received: {len(row_labels)} labels for {rows} rows"
        )
    label_inches = 0.0
    if row_labels:
        label_inches = 0.4 + 0.075 * max(len(str(label)) for label in row_labels)
    width = num_columns * cell_inches + 0.4 + label_inches
    figure = Figure(figsize=(width, rows * cell_inches + (0.5 if title else 0.2)))
    axis = figure.add_subplot()
    if label_inches:
        figure.subplots_adjust(left=label_inches / width, right=0.99)
    canvas = _tile(images, num_columns)
    _show(axis, canvas)
    axis.set_frame_on(False)
    if row_labels:
        cell_height = images.shape[1] + 1
        for index, label in enumerate(row_labels):
            axis.text(-2, index * cell_height + images.shape[1] / 2, str(label), ha="right", va="center", fontsize=8)
    if title:
        axis.set_title(title, fontsize=10)
    return figure


def reconstructions(originals, reconstructed, title="Test images (top) and their reconstructions (bottom)"):
    """Originals above their reconstructions.

    Args:
        originals: ``(N, H, W[, C])``.
        reconstructed: the same shape.
        title: figure title.

    Returns:
        A ``Figure``.
    """
    originals, reconstructed = _as_images(originals), _as_images(reconstructed)
    if originals.shape != reconstructed.shape:
        raise ValueError(
            "`originals` and `reconstructed` must have the same shape. "
            f"Received: {originals.shape} and {reconstructed.shape}"
        )
    return image_grid(np.concatenate([originals, reconstructed]), num_columns=len(originals), title=title)


def loss_curves(history, terms=("nelbo", "reconstruction", "kl")):
    """Training and validation curves of the loss terms, one panel per term.

    Args:
        history: a list of per-epoch dicts (``state.json``'s history), or a
            dict of lists (``History.history``).
        terms: metric names to plot; ``val_<term>`` is added when present.

    Returns:
        A ``Figure``.
    """
    if isinstance(history, dict):
        columns = {key: list(values) for key, values in history.items()}
        epochs = list(range(1, len(next(iter(columns.values()), [])) + 1))
    else:
        columns = {}
        for row in history:
            for key, value in row.items():
                columns.setdefault(key, []).append(value)
        epochs = columns.get("epoch", list(range(1, len(history) + 1)))
    titles = {
        "nelbo": "negative ELBO",
        "reconstruction": "reconstruction (-log p(x|z))",
        "kl": "KL(q(z|x) || p(z))",
    }
    figure = Figure(figsize=(4.2 * len(terms), 3.2), layout="constrained")
    axes = figure.subplots(1, len(terms), squeeze=False)[0]
    for axis, term in zip(axes, terms):
        for key, style in ((term, "-"), (f"val_{term}", "--")):
            if key in columns and len(columns[key]) == len(epochs):
                axis.plot(epochs, columns[key], style, label="validation" if key.startswith("val_") else "training")
        axis.set_title(titles.get(term, term), fontsize=10)
        axis.set_xlabel("epoch")
        axis.set_ylabel("nats per example")
        axis.grid(alpha=0.3)
        if axis.lines:
            axis.legend(fontsize=8)
    return figure


def latent_scatter(z, labels=None, title="Posterior means of test images"):
    """The first two latent dimensions of ``z``, coloured by label.

    Args:
        z: ``(N, latent_dim)`` with ``latent_dim >= 2``.
        labels: optional ``(N,)`` integer labels.
        title: figure title.

    Returns:
        A ``Figure``.
    """
    z = np.asarray(z)
    if z.ndim != 2 or z.shape[1] < 2:
        raise ValueError(f"`z` must be shaped (N, latent_dim >= 2). Received: z.shape={z.shape}")
    figure = Figure(figsize=(5.5, 4.6), layout="constrained")
    axis = figure.add_subplot()
    points = axis.scatter(z[:, 0], z[:, 1], c=labels, s=4, cmap="tab10", alpha=0.7)
    if labels is not None:
        figure.colorbar(points, ax=axis, label="label")
    axis.set_xlabel("z[0]")
    axis.set_ylabel("z[1]")
    axis.set_title(title, fontsize=10)
    return figure


#: Images smaller than this (pixels on a side) get a gap between the manifold's tiles, and fewer tiles
#: (``manifold_tiles``).
MANIFOLD_GAP_BELOW = 16


def manifold_tiles(image_side, most=20):
    """Tiles per axis of a 2-D manifold whose images are ``image_side`` pixels wide: ``most`` (the write-ups'
    20x20 for 28x28 digits) for images of 16 pixels or more, half that for smaller ones, which are unreadable
    at 400 tiles."""
    return most if image_side >= MANIFOLD_GAP_BELOW else max(2, most // 2)


def latent_manifold(images, grid_values, title=None):
    """Decoded images of a 2-D grid of latent points.

    Args:
        images: ``(n * n, H, W[, C])`` decodes, row-major with z[1] decreasing
            down the rows and z[0] increasing along them.
        grid_values: the ``n`` coordinates used along each axis.
        title: figure title.

    Returns:
        A ``Figure``.
    """
    images = _as_images(images)
    n = len(grid_values)
    if len(images) != n * n:
        raise ValueError(f"`images` must hold len(grid_values)**2={n * n} decodes. Received: {len(images)} images")
    figure = Figure(figsize=(6.5, 6.5), layout="constrained")
    axis = figure.add_subplot()
    height, width = images.shape[1], images.shape[2]
    # Tiles of small images (8x8 digits) touching each other read as stripes: a white line between them.
    gap = 1 if min(height, width) < MANIFOLD_GAP_BELOW else 0
    axis.imshow(_tile(images, n, gap=gap).squeeze(), cmap="gray", vmin=0, vmax=1, interpolation="nearest")
    # Five labelled tiles per axis, the first and the last among them, so both ends of the grid are read.
    shown = np.unique(np.round(np.linspace(0, n - 1, min(n, 5))).astype(int))
    values = np.asarray(grid_values, dtype=float)
    axis.set_xticks(shown * (width + gap) + width / 2, [f"{v:.2f}" for v in values[shown]])  # tile centres
    axis.set_yticks(shown * (height + gap) + height / 2, [f"{v:.2f}" for v in values[::-1][shown]])
    axis.set_xlabel("z[0]")
    axis.set_ylabel("z[1]")
    if title:
        axis.set_title(title, fontsize=10)
    return figure


def class_balance(labels_by_split, classes=None, title="Share of each label per split"):
    """Grouped bars: the fraction of each label in each split.

    Args:
        labels_by_split: ``{split_name: labels}``.
        classes: the labels to show, in order (default: every label any split holds).
        title: figure title.

    Returns:
        A ``Figure``.
    """
    if classes is None:
        classes = np.unique(np.concatenate([np.asarray(labels, dtype=int) for labels in labels_by_split.values()]))
    classes = np.asarray(classes, dtype=int)
    figure = Figure(figsize=(max(7.5, 0.3 * len(classes)), 3.2), layout="constrained")
    axis = figure.add_subplot()
    width = 0.8 / max(1, len(labels_by_split))
    positions = np.arange(len(classes))
    for i, (split, labels) in enumerate(labels_by_split.items()):
        labels = np.asarray(labels, dtype=int)
        counts = (labels[:, None] == classes[None, :]).sum(axis=0)
        axis.bar(positions + i * width, counts / max(1, len(labels)), width, label=split)
    axis.set_xticks(positions + 0.4 - width / 2, [str(label) for label in classes])
    axis.set_xlabel("label")
    axis.set_ylabel("fraction of the split")
    axis.set_title(title, fontsize=10)
    axis.legend(fontsize=8)
    axis.grid(axis="y", alpha=0.3)
    return figure


def curves(x, series, xlabel, ylabel, title=None, log_x=False, log_y=False, markers=False):
    """Line plot of several named series over a shared x.

    Args:
        x: ``(n,)`` values, or ``{name: (n,) values}`` when the series differ in length.
        series: ``{name: (n,) values}``.
        xlabel, ylabel, title: labels.
        log_x, log_y: logarithmic axes.
        markers: draw a marker at each point.

    Returns:
        A ``Figure``.
    """
    figure = Figure(figsize=(6.4, 3.6), layout="constrained")
    axis = figure.add_subplot()
    for name, values in series.items():
        xs = x[name] if isinstance(x, dict) else x
        # A lone point draws no line: give it a marker, or the series is invisible (a one-epoch run).
        marker = markers or np.size(values) == 1
        axis.plot(xs, values, "-o" if marker else "-", label=str(name), markersize=3)
    axis.set_xscale("log" if log_x else "linear")
    axis.set_yscale("log" if log_y else "linear")
    if log_x and not isinstance(x, dict) and len(x) <= 12:
        # A few x values (latent sizes, batch sizes): label them plainly instead of with powers of ten.
        axis.set_xticks(list(x), [f"{v:g}" for v in x])
        axis.xaxis.set_minor_locator(NullLocator())
    axis.set_xlabel(xlabel)
    axis.set_ylabel(ylabel)
    if title:
        axis.set_title(title, fontsize=10)
    axis.grid(alpha=0.3)
    if len(series) > 1:
        axis.legend(fontsize=8)
    return figure


def bars(values, ylabel, title=None):
    """One bar per named value (``None`` values are left out and marked n/a).

    Returns:
        A ``Figure``.
    """
    names = list(values)
    figure = Figure(figsize=(max(4.0, 1.1 * len(names)), 3.4), layout="constrained")
    axis = figure.add_subplot()
    heights = [np.nan if values[n] is None else values[n] for n in names]
    axis.bar(range(len(names)), heights, color="#4c72b0")
    for i, h in enumerate(heights):
        axis.annotate(
            "n/a" if np.isnan(h) else f"{h:.3g}", (i, 0 if np.isnan(h) else h), ha="center", va="bottom", fontsize=8
        )
    axis.set_xticks(range(len(names)), names, rotation=20, ha="right")
    axis.set_ylabel(ylabel)
    if title:
        axis.set_title(title, fontsize=10)
    axis.grid(axis="y", alpha=0.3)
    return figure


def save_figure(figure, run_dir, name, dpi=110):
    """Writes ``figure`` to ``RUN_DIR/figures/NAME.png`` atomically and returns the path."""
    path = Path(run_dir) / "figures" / f"{name}.png"
    io_utils.atomic_save_figure(figure, path, dpi=dpi)
    return path
