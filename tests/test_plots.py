"""Figures from arrays: row labels on image grids, and manifold ticks on non-square images."""

import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")

from vae_keras import plots  # noqa: E402


def test_image_grid_labels_every_row():
    images = np.random.default_rng(0).uniform(size=(6, 8, 8))
    figure = plots.image_grid(images, num_columns=3, row_labels=["fixed sigma=0.1", "fitted floor=0.01"])
    texts = [t.get_text() for t in figure.axes[0].texts]
    assert texts == ["fixed sigma=0.1", "fitted floor=0.01"]
    with pytest.raises(ValueError, match=r"one label per row.*Received: 3 labels for 2 rows"):
        plots.image_grid(images, num_columns=3, row_labels=["a", "b", "c"])


def test_manifold_ticks_follow_the_width_of_non_square_tiles():
    grid = np.linspace(-1, 1, 5)
    tiles = np.zeros((25, 28, 20))  # 28 pixels high, 20 wide
    axis = plots.latent_manifold(tiles, grid).axes[0]
    x_ticks, y_ticks = axis.get_xticks(), axis.get_yticks()
    assert np.allclose(np.diff(x_ticks), 20) and np.allclose(np.diff(y_ticks), 28)
    assert x_ticks[-1] < 5 * 20  # every tick inside the image


def test_manifold_labels_both_ends_of_a_twenty_tile_grid():
    grid = np.linspace(-1.67, 1.67, 20)
    axis = plots.latent_manifold(np.zeros((400, 28, 28)), grid).axes[0]
    x_labels = [t.get_text() for t in axis.get_xticklabels()]
    y_labels = [t.get_text() for t in axis.get_yticklabels()]
    assert len(x_labels) == 5 and (x_labels[0], x_labels[-1]) == ("-1.67", "1.67")
    assert (y_labels[0], y_labels[-1]) == ("1.67", "-1.67")  # rows run from high z[1] (top) to low
    assert np.allclose(axis.get_xticks()[[0, -1]], [14, 19 * 28 + 14])  # the first and the last tile's centres


def test_small_images_get_fewer_tiles_with_gaps_so_the_manifold_is_not_stripes():
    """The demo's 8x8 digits at 20x20 touching tiles read as stripes (issue 26): 10x10, white lines between."""
    assert plots.manifold_tiles(28) == 20 and plots.manifold_tiles(32) == 20 and plots.manifold_tiles(8) == 10
    grid = np.linspace(-1, 1, plots.manifold_tiles(8))
    axis = plots.latent_manifold(np.zeros((100, 8, 8)), grid).axes[0]
    shown = axis.get_images()[0].get_array()
    assert shown.shape == (10 * 9 - 1, 10 * 9 - 1)  # a one-pixel gap between tiles
    assert shown[8].min() == 1.0 and shown[:, 8].min() == 1.0 and shown[:8, :8].max() == 0.0
    assert np.allclose(axis.get_xticks(), [0 * 9 + 4, 2 * 9 + 4, 4 * 9 + 4, 7 * 9 + 4, 9 * 9 + 4])  # tile centres
    big = plots.latent_manifold(np.zeros((400, 28, 28)), np.linspace(-1, 1, 20)).axes[0]
    assert big.get_images()[0].get_array().shape == (560, 560)  # 28x28 tiles still touch, as before


def test_log_x_curves_label_their_few_x_values_plainly():
    axis = plots.curves([2, 5, 20, 50, 100], {"a": [1, 2, 3, 4, 5]}, "latent size", "y", log_x=True).axes[0]
    assert [t.get_text() for t in axis.get_xticklabels()] == ["2", "5", "20", "50", "100"]


def test_a_one_point_series_gets_a_marker_and_longer_ones_a_plain_line():
    x = {"short": [1], "long": [1, 2, 3]}
    axis = plots.curves(x, {"short": [5.0], "long": [1.0, 2.0, 3.0]}, "epoch", "y").axes[0]
    lines = {line.get_label(): line for line in axis.get_lines()}
    assert lines["short"].get_marker() == "o"  # a line through one point draws nothing
    assert lines["long"].get_marker() in ("None", None, "")


def test_class_balance_shows_the_labels_the_data_has():
    """EMNIST letters are labelled 1..26: the bars once stopped at label 9 and started at an empty 0."""
    letters = np.repeat(np.arange(1, 27), 3)
    figure = plots.class_balance({"train": letters, "test": np.array([1, 26])})
    axis = figure.axes[0]
    assert [tick.get_text() for tick in axis.get_xticklabels()] == [str(label) for label in range(1, 27)]
    heights = [bar.get_height() for bar in axis.containers[0]]
    assert len(heights) == 26 and np.allclose(heights, 1 / 26)
    assert [bar.get_height() for bar in axis.containers[1]][::25] == [0.5, 0.5]
