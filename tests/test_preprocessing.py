"""Tests for vae_keras.preprocessing: Scale01, PCA, the random transforms, save/load."""

import json
from pathlib import Path

import numpy as np
import pytest
from scipy import stats

from vae_keras import preprocessing

SHARED_SVHN_SAMPLE = Path(__file__).resolve().parents[2] / "shared" / "data" / "svhn" / "svhn_train_sample.npz"


def low_rank_images(num_examples=60, shape=(6, 6, 1), rank=5, seed=0):
    """uint8 images that mostly live in a `rank`-dimensional subspace, plus noise."""
    rng = np.random.default_rng(seed)
    basis = rng.normal(size=(rank, int(np.prod(shape))))
    codes = rng.normal(size=(num_examples, rank)) * np.linspace(3, 1, rank)
    flat = 128 + 4 * codes @ basis + rng.normal(scale=2, size=(num_examples, basis.shape[1]))
    return np.clip(np.round(flat), 0, 255).astype(np.uint8).reshape(num_examples, *shape)


# --- Scale01 and the NumPy random transforms ----------------------------------------------------


def test_scale01_round_trips_uint8_exactly(tmp_path):
    images = np.random.default_rng(0).integers(0, 256, (5, 4, 4, 3), dtype=np.uint8)
    scaler = preprocessing.Scale01().fit(images)
    scaled = scaler.transform(images)
    assert scaled.dtype == np.float32 and scaled.min() >= 0 and scaled.max() <= 1
    np.testing.assert_array_equal(scaler.inverse_transform(scaled), images)
    np.testing.assert_array_equal(scaler.transform(scaled), scaled)  # floats in [0, 1] pass through
    saved = scaler.save(tmp_path / "scale")
    assert saved == tmp_path / "scale.json" and not (tmp_path / "scale.npz").exists()
    assert isinstance(preprocessing.load_preprocessor(tmp_path / "scale"), preprocessing.Scale01)
    with pytest.raises(ValueError, match=r"values in \[-1, 2\]"):
        scaler.transform(np.array([[-1.0, 2.0]]))
    with pytest.raises(ValueError, match="1 NaN"):
        scaler.transform(np.array([[0.5, np.nan]]))


def test_binarize_draws_bernoulli_pixels_reproducibly():
    images = np.full((200, 10, 10, 1), 64, np.uint8)  # intensity 0.251
    first = preprocessing.binarize(images, seed=0)
    assert first.dtype == np.float32 and set(np.unique(first)) == {0.0, 1.0}
    assert abs(first.mean() - 64 / 255) < 0.01  # 20,000 draws: sd 0.003
    np.testing.assert_array_equal(preprocessing.binarize(images, seed=0), first)
    assert not np.array_equal(preprocessing.binarize(images, seed=1), first)
    extremes = np.array([[0.0, 1.0]])
    np.testing.assert_array_equal(preprocessing.binarize(extremes, seed=0), extremes)
    with pytest.raises(ValueError, match="NaN"):
        preprocessing.binarize(np.array([np.nan]))


def test_dequantize_stays_inside_each_pixels_bin():
    images = np.arange(256, dtype=np.uint8).reshape(1, 16, 16, 1).repeat(20, axis=0)
    values = preprocessing.dequantize(images, seed=0)
    assert values.dtype == np.float32 and values.min() >= 0.0 and values.max() < 1.0
    np.testing.assert_array_equal(np.floor(values * 256).astype(np.uint8), images)
    # The noise is uniform within the bin: mean offset 0.5 (5120 draws, sd 0.004).
    assert abs((values * 256 - images).mean() - 0.5) < 0.02
    with pytest.raises(ValueError, match="dtype float32"):
        preprocessing.dequantize(images.astype(np.float32))


def test_to_uint8_clips_and_rounds():
    np.testing.assert_array_equal(preprocessing.to_uint8([-0.5, 0.5, 1.5]), [0, 128, 255])


# --- PCA ------------------------------------------------------------------------------------------


def test_pca_shapes_whitening_and_inverse():
    images = low_rank_images()
    pca = preprocessing.PCA(5, whiten=True).fit(images)
    features = pca.transform(images)
    assert features.shape == (60, 5) and features.dtype == np.float32
    np.testing.assert_allclose(features.mean(axis=0), 0, atol=1e-4)
    np.testing.assert_allclose(features.var(axis=0, ddof=1), 1, rtol=1e-4)  # whitened
    reconstruction = pca.inverse_transform(features)
    assert reconstruction.shape == images.shape and reconstruction.dtype == np.float32
    # 5 components capture the 5-dimensional signal; what is left is the noise (sd 2 levels).
    assert np.sqrt(np.mean((reconstruction - images / 255.0) ** 2)) < 3 / 255
    plain = preprocessing.PCA(5, whiten=False).fit(images)
    np.testing.assert_allclose(plain.transform(images).var(axis=0, ddof=1), plain.explained_variance, rtol=1e-3)
    np.testing.assert_allclose(plain.inverse_transform(plain.transform(images)), reconstruction, atol=1e-5)
    # Floats in [0, 1] give the same features as uint8.
    np.testing.assert_allclose(pca.transform(images / 255.0), features, atol=1e-4)


def test_pca_clip_option():
    images = low_rank_images()
    pca = preprocessing.PCA(3, clip=False).fit(images)
    far = np.full((1, 3), 50.0, np.float32)
    assert pca.inverse_transform(far).max() > 1.0
    clipped = pca.inverse_transform(far, clip=True)
    assert clipped.min() >= 0.0 and clipped.max() <= 1.0


def test_pca_log_det_jacobian_converts_feature_density_to_subspace_density():
    images = low_rank_images(num_examples=80, rank=4)
    pca = preprocessing.PCA(4, whiten=True).fit(images)
    flat = images.reshape(80, -1) / 255.0
    projected = (flat - pca.mean) @ pca.components.T  # orthonormal coordinates, pixel units
    # Gaussian with the fitted variances, evaluated directly in pixel-unit coordinates...
    direct = stats.multivariate_normal(np.zeros(4), np.diag(pca.explained_variance)).logpdf(projected)
    # ...equals the standard normal over the whitened features plus the log-det term.
    features = pca.transform(images)
    through_features = stats.multivariate_normal(np.zeros(4), np.eye(4)).logpdf(features)
    np.testing.assert_allclose(through_features + pca.log_det_jacobian(), direct, rtol=1e-4)
    assert pca.log_det_jacobian() == pytest.approx(-0.5 * np.sum(np.log(pca.explained_variance)))
    assert preprocessing.PCA(4, whiten=False).fit(images).log_det_jacobian() == 0.0
    # Per 0..255 intensity level instead of per unit: each component adds -log(255).
    assert pca.log_det_jacobian(pixel_scale=255) == pytest.approx(pca.log_det_jacobian() - 4 * np.log(255))


def test_pca_fit_subset_is_seeded():
    images = low_rank_images(num_examples=100)
    first = preprocessing.PCA(3, fit_subset=40, seed=1).fit(images)
    again = preprocessing.PCA(3, fit_subset=40, seed=1).fit(images)
    other = preprocessing.PCA(3, fit_subset=40, seed=2).fit(images)
    np.testing.assert_array_equal(first.mean, again.mean)
    assert not np.allclose(first.mean, other.mean)
    # With 40 examples at most 40 components are possible.
    with pytest.raises(ValueError, match=r"min\(40, 36\) = 36.*num_components=50"):
        preprocessing.PCA(50, fit_subset=40).fit(images)


def test_pca_save_load_round_trip(tmp_path):
    images = low_rank_images()
    pca = preprocessing.PCA(4, whiten=True, seed=3).fit(images)
    json_path = pca.save(tmp_path / "run" / "pca")
    assert sorted(path.name for path in (tmp_path / "run").iterdir()) == [
        "pca.json",
        "pca.npz",
    ]  # no temp files
    document = json.loads(json_path.read_text())
    assert document["class_name"] == "PCA" and document["config"] == pca.get_config()
    loaded = preprocessing.load_preprocessor(json_path)
    assert isinstance(loaded, preprocessing.PCA) and loaded.get_config() == pca.get_config()
    np.testing.assert_array_equal(loaded.transform(images), pca.transform(images))
    np.testing.assert_array_equal(
        loaded.inverse_transform(pca.transform(images)), pca.inverse_transform(pca.transform(images))
    )
    assert loaded.log_det_jacobian() == pca.log_det_jacobian()
    assert preprocessing.PCA.load(tmp_path / "run" / "pca.npz").image_shape == (6, 6, 1)
    assert preprocessing.PCA.from_config(pca.get_config()).is_fitted is False


def test_load_preprocessor_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="nothing.json does not exist"):
        preprocessing.load_preprocessor(tmp_path / "nothing")
    pca = preprocessing.PCA(2).fit(low_rank_images())
    pca.save(tmp_path / "pca")
    with open(tmp_path / "pca.npz", "ab") as file:
        file.write(b"tampered")
    with pytest.raises(ValueError, match="does not match the sha256"):
        preprocessing.load_preprocessor(tmp_path / "pca")
    (tmp_path / "pca.npz").unlink()
    with pytest.raises(FileNotFoundError, match="arrays .* are missing"):
        preprocessing.load_preprocessor(tmp_path / "pca")
    (tmp_path / "odd.json").write_text(json.dumps({"class_name": "Tsne", "config": {}}))
    with pytest.raises(ValueError, match=r"class_name='Tsne'.*\['PCA', 'Scale01'\]"):
        preprocessing.load_preprocessor(tmp_path / "odd.json")
    (tmp_path / "broken.json").write_text("{not json")
    with pytest.raises(ValueError, match="cannot be read"):
        preprocessing.load_preprocessor(tmp_path / "broken.json")
    preprocessing.Scale01().save(tmp_path / "scale")
    with pytest.raises(ValueError, match="holding a Scale01"):
        preprocessing.PCA.load(tmp_path / "scale")
    with pytest.raises(ValueError, match="must be fitted before `save"):
        preprocessing.PCA(2).save(tmp_path / "unfitted")


@pytest.mark.parametrize(
    ("images", "message"),
    [
        (np.zeros((10, 6, 6), np.uint8), r"\(N, H, W, C\) images.*rank 3"),
        (np.zeros((10, 6, 6, 1), np.int32), "dtype int32"),
        (np.full((10, 6, 6, 1), np.nan), "360 NaN"),
        (np.full((10, 6, 6, 1), 2.0), r"\[0, 1\].*values in \[2, 2\]"),
    ],
)
def test_pca_rejects_bad_images(images, message):
    with pytest.raises(ValueError, match=message):
        preprocessing.PCA(2).fit(images)


def test_pca_rejects_bad_arguments_and_mismatched_inputs():
    with pytest.raises(ValueError, match="num_components=0"):
        preprocessing.PCA(0)
    with pytest.raises(ValueError, match="fit_subset=-5"):
        preprocessing.PCA(2, fit_subset=-5)
    with pytest.raises(ValueError, match=r"min\(10, 36\) = 10.*num_components=11"):
        preprocessing.PCA(11).fit(low_rank_images(num_examples=10))
    with pytest.raises(ValueError, match="must be fitted"):
        preprocessing.PCA(2).transform(low_rank_images())
    pca = preprocessing.PCA(2).fit(low_rank_images())
    with pytest.raises(ValueError, match=r"image shape \(6, 6, 1\).*\(3, 5, 5, 1\)"):
        pca.transform(np.zeros((3, 5, 5, 1), np.uint8))
    with pytest.raises(ValueError, match=r"\(N, 2\).*\(3, 4\)"):
        pca.inverse_transform(np.zeros((3, 4)))
    with pytest.raises(ValueError, match="pixel_scale=0"):
        pca.log_det_jacobian(pixel_scale=0)


@pytest.mark.skipif(not SHARED_SVHN_SAMPLE.is_file(), reason=f"real SVHN sample not found at {SHARED_SVHN_SAMPLE}")
def test_real_svhn_crops_round_trip_through_whitened_pca(tmp_path):
    with np.load(SHARED_SVHN_SAMPLE) as sample:
        images = sample["x"]
    assert images.shape == (1083, 32, 32, 3)
    pca = preprocessing.PCA(500, whiten=True).fit(images)
    features = pca.transform(images)
    assert features.shape == (1083, 500)
    np.testing.assert_allclose(features.var(axis=0, ddof=1), 1.0, rtol=1e-3)
    reconstruction = pca.inverse_transform(features)
    mean_squared_error = float(np.mean((reconstruction - images / 255.0) ** 2))
    # Measured: 1.30e-5 (RMSE 0.0036, about one grey level of 255) when the
    # 500 components are fitted on these same 1,083 crops, which keep 99.97% of
    # the variance. The bound leaves 4x room for other BLAS/SVD round-off but
    # fails if components or whitening are lost (10 components give 7e-3).
    assert mean_squared_error < 5e-5
    loaded = preprocessing.load_preprocessor(pca.save(tmp_path / "svhn_pca"))
    # Saving must not change a single parameter...
    np.testing.assert_array_equal(loaded.mean, pca.mean)
    np.testing.assert_array_equal(loaded.components, pca.components)
    np.testing.assert_array_equal(loaded.explained_variance, pca.explained_variance)
    # ...so the same rows give the same features. (The same rows inside a batch of
    # 1,083 can differ by float32 round-off, about 1e-5 after whitening, because
    # BLAS blocks the product differently; CI saw exactly that.)
    np.testing.assert_allclose(loaded.transform(images[:20]), pca.transform(images[:20]), atol=1e-6)
    np.testing.assert_allclose(loaded.transform(images[:20]), features[:20], atol=1e-4)
