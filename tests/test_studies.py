"""Study helpers that notebooks call: tables, grids, budgets, spikes."""

import numpy as np
import pytest
from scipy.stats import norm

from vae_keras import studies


def test_table_renders_html_and_text_with_missing_values():
    table = studies.Table(
        [{"variant": "a", "test_elbo": -90.123456, "epochs": 12000}, {"variant": "<b>", "bits": None}]
    )
    html = table._repr_html_()
    assert "<th>variant</th><th>test_elbo</th><th>epochs</th><th>bits</th>" in html
    assert "-90.12" in html and "12,000" in html and "n/a" in html and "&lt;b&gt;" in html
    assert "-90.12" in repr(table)


def test_fmt_marks_undefined_metrics():
    assert studies.fmt(None, ".3f") == "n/a" and studies.fmt(1.23456, ".2f") == "1.23"


def test_latent_grid_spacings():
    grid = studies.latent_grid(9, spacing="inverse_cdf")
    np.testing.assert_allclose(norm.cdf(grid), np.arange(1, 10) / 10)  # equal probability steps
    np.testing.assert_allclose(studies.latent_grid(5, spacing="linear", limit=5.0), [-5, -2.5, 0, 2.5, 5])
    with pytest.raises(ValueError, match="spacing='log'.*inverse_cdf, linear"):
        studies.latent_grid(5, spacing="log")


def test_epochs_for_examples():
    assert studies.epochs_for_examples(12_000_000, 60_000) == 200
    assert studies.epochs_for_examples(12_000_000, 60_000, scale=0.02) == 4
    assert studies.epochs_for_examples(10, 60_000) == 1  # at least one epoch


def test_count_spikes_finds_jumps_but_not_noise():
    rng = np.random.default_rng(0)
    losses = 100 - np.arange(500) * 0.05 + rng.normal(scale=0.1, size=500)
    assert studies.count_spikes(losses) == 0
    losses[[100, 300]] += 50.0
    assert studies.count_spikes(losses) == 2


def test_usable_components_is_capped_by_the_rank():
    rng = np.random.default_rng(0)
    images = np.zeros((200, 4, 4, 1), np.uint8)
    images[:, :2, :2, 0] = rng.integers(0, 256, size=(200, 2, 2))  # only 4 pixels vary
    assert studies.usable_components(images, 10) == 4
    assert studies.usable_components(images, 3) == 3


def test_prepend_column_interleaves_inputs_and_rows():
    first = np.stack([np.full((2, 2, 1), i) for i in (10, 20)])
    rows = np.stack([np.full((2, 2, 1), i) for i in range(6)])
    grid = studies.prepend_column(first, rows)
    assert [int(img[0, 0, 0]) for img in grid] == [10, 0, 1, 2, 20, 3, 4, 5]


def test_effective_beta_of_a_fixed_sigma():
    assert studies.effective_beta(0.1) == pytest.approx(0.02)
