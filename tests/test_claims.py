"""The claims ledger: every rule's branches on synthetic evidence, one test per branch."""

import math

import numpy as np
import pytest

from vae_keras import claims, runner

R, F, D, INC = claims.REPRODUCED, claims.REFUTED, claims.DIFFERS, claims.INCONCLUSIVE
TRAINED = [5.0, 6.0, 5.5, 6.5]


def verdict_of(claim_id, **evidence):
    verdict = claims.judge(claim_id, **evidence)
    assert verdict.reason, "every verdict comes with a reason"
    return verdict.verdict, verdict.reason


# --------------------------------------------------------------------------
# The registry and the shared statistics
# --------------------------------------------------------------------------


def test_every_claim_names_a_known_source_and_an_existing_notebook():
    notebooks = set(runner.list_notebooks())
    for claim in claims.CLAIMS.values():
        assert claim.source in claims.SOURCES
        assert claim.notebook in notebooks, claim.id
        assert claim.statement.endswith(".") and claim.evidence


def test_the_issue_list_of_claims_is_covered():
    expected = {
        "fixed_sigma_poor", "variance_floor_needed", "whitening_hurts", "small_init_whitening",
        "convolutions_failed", "convolutions_work_at_100", "learning_rate_blowups", "big_batch_faster",
        "big_term_first", "more_latents_better_reconstructions", "gaussian_like_bernoulli",
        "manifold_shows_some_digits", "kw_z2_bottom_distorted", "numpy_blurrier",
        "kw_adagrad", "kw_adam", "kw_elu", "kw_wider", "kw_z20", "kw_z2", "kw_z2_more",
    }  # fmt: skip
    assert expected <= set(claims.CLAIMS)


def test_unknown_claim_and_unknown_verdict_are_rejected():
    with pytest.raises(ValueError, match=r"Unknown claim.*'nope'.*Accepted: fixed_sigma_poor"):
        claims.judge("nope")
    with pytest.raises(ValueError, match=r"Unknown verdict.*'maybe'"):
        claims.Verdict("fixed_sigma_poor", "maybe", "why", {})


def test_compare_decides_beyond_noise_within_noise_and_unknown_spread():
    better = claims.compare([1.0, 1.1, 0.9], [2.0, 2.1, 1.9])
    assert better["better"] == "a" and better["gap"] == pytest.approx(-1.0)
    # the noise band is two standard errors of the difference of the means
    assert better["noise"] == pytest.approx(2 * math.sqrt(0.01 / 3 + 0.01 / 3))
    assert claims.compare([1.0, 1.1, 0.9], [2.0, 2.1, 1.9], lower_is_better=False)["better"] == "b"
    assert claims.compare([1.0, 2.0, 3.0], [1.5, 2.5, 3.5])["better"] == "within noise"
    assert claims.compare([1.0], [2.0])["better"] is None
    assert claims.compare([1.0, float("nan")], [2.0, 2.1])["better"] is None


def test_half_change_epoch():
    assert claims.half_change_epoch([100, 60, 55, 52, 50]) == 2
    assert claims.half_change_epoch([0, 1, 2, 3, 10]) == 5  # a rising curve: half of +10 is reached last
    assert claims.half_change_epoch([3, 3, 3]) == 1


def test_to_dict_and_box_carry_the_claim_and_the_numbers():
    verdict = claims.judge("variance_floor_needed", status="diverged", epochs=3, examples_seen=3000, error="NaN in kl")
    entry = verdict.to_dict()
    assert entry["id"] == "variance_floor_needed" and entry["source"] == "000" and entry["verdict"] == R
    assert entry["evidence"] == {"status": "diverged", "epochs": 3, "examples_seen": 3000}
    box = claims.verdict_box([verdict])
    assert "reproduced" in box and "varlog epsilon" in box and "NaN in kl" in box
    assert claims.count([entry, claims.not_run("kw_z2", "skipped").to_dict()]) == {R: 1, F: 0, D: 0, INC: 1}
    # Given the run's notebooks, a claim whose notebook did not complete counts as "not run".
    pair = [entry, claims.not_run("kw_z2", "skipped").to_dict()]
    ran = {"02_fixed_vs_fitted_variance": {"status": "completed"}, "06_mnist_reproduction": {"status": "completed"}}
    assert claims.count(pair, ran) == {R: 1, F: 0, D: 0, INC: 1, claims.NOT_RUN: 0}
    assert claims.count(pair, {"06_mnist_reproduction": {"status": "skipped"}}) == {
        R: 0, F: 0, D: 0, INC: 0, claims.NOT_RUN: 2
    }  # fmt: skip


# --------------------------------------------------------------------------
# 000: notebooks 02-04
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fixed", "fitted", "kl", "expected", "reason"),
    [
        ([5.0, 5.1, 4.9], [4.0, 4.1, 3.9], TRAINED, R, "fitted variance is better beyond noise"),
        ([4.0, 4.1, 3.9], [5.0, 5.1, 4.9], TRAINED, F, "fixed sigma is better beyond noise"),
        ([4.0, 5.0, 6.0], [4.5, 5.5, 6.5], TRAINED, D, "within noise"),
        ([5.0, 5.1], [4.0, 4.1], [0.2, 5.0], INC, "did not train.*KL below 1 nat"),
        ([9.0, 9.1], [8.5, 8.6], TRAINED, INC, "no better than a uniform model"),
        ([5.0], [4.0], TRAINED, INC, "1 seed per variant"),
    ],
)
def test_fixed_sigma_poor(fixed, fitted, kl, expected, reason):
    verdict, text = verdict_of("fixed_sigma_poor", fixed=fixed, fitted=fitted, kl=kl)
    assert verdict == expected
    assert __import__("re").search(reason, text), text


@pytest.mark.parametrize(
    ("status", "examples", "expected"),
    [("diverged", 10, R), ("completed", 5_000_000, F), ("completed", 5_000, INC), ("failed", 5_000_000, INC)],
)
def test_variance_floor_needed(status, examples, expected):
    assert verdict_of("variance_floor_needed", status=status, epochs=4, examples_seen=examples)[0] == expected


COLLAPSED = [1e-4, 2e-4, 1e-4]


@pytest.mark.parametrize(
    ("pca", "whitened", "pca_kl", "whitened_kl", "examples", "expected", "reason"),
    [
        ([0.01, 0.011, 0.009], [0.02, 0.021, 0.019], TRAINED, TRAINED, 2_000_000, R, "PCA is better beyond noise"),
        ([0.02, 0.021, 0.019], [0.01, 0.011, 0.009], TRAINED, TRAINED, 2_000_000, F, "whitened PCA is better"),
        ([0.01, 0.02, 0.03], [0.015, 0.025, 0.035], TRAINED, TRAINED, 2_000_000, D, "within noise"),
        ([0.01, 0.011], [0.02, 0.021], [0.1, 0.2], TRAINED, 2_000_000, INC, "the PCA baseline"),
        # A whitened model that collapses while plain PCA trains works worse, once it has had the examples.
        ([0.05, 0.051, 0.05], [0.067, 0.067, 0.067], TRAINED, COLLAPSED, 1_080_000, R, "whitened PCA VAE collapsed"),
        ([0.05, 0.051, 0.05], [0.067, 0.067, 0.067], TRAINED, COLLAPSED, 50_000, INC, "needed to call it a collapse"),
    ],
)
def test_whitening_hurts(pca, whitened, pca_kl, whitened_kl, examples, expected, reason):
    verdict, text = verdict_of(
        "whitening_hurts", pca=pca, whitened=whitened, pca_kl=pca_kl, whitened_kl=whitened_kl, examples_seen=examples
    )
    assert verdict == expected and reason in text, text


@pytest.mark.parametrize(
    ("small_kl", "default_kl", "examples", "expected", "reason"),
    [
        (COLLAPSED, COLLAPSED, 1_080_000, F, "did not make whitened PCA train: both collapsed"),
        (TRAINED, COLLAPSED, 1_080_000, R, "only the small-init head trained"),
        (COLLAPSED, TRAINED, 1_080_000, F, "only the small-init head collapsed"),
        (COLLAPSED, COLLAPSED, 50_000, INC, "needed to call a collapse"),
    ],
)
def test_small_init_whitening_decided_by_collapse(small_kl, default_kl, examples, expected, reason):
    verdict, text = verdict_of(
        "small_init_whitening",
        small_init=[0.067, 0.067],
        whitened=[0.067, 0.067],
        small_init_kl=small_kl,
        whitened_kl=default_kl,
        examples_seen=examples,
    )
    assert verdict == expected and reason in text, text


def test_small_init_whitening_decided_by_error_when_both_train():
    def decide(small_init, whitened):
        return verdict_of(
            "small_init_whitening",
            small_init=small_init,
            whitened=whitened,
            small_init_kl=TRAINED,
            whitened_kl=TRAINED,
            examples_seen=2_000_000,
        )[0]

    assert decide([0.01, 0.011], [0.02, 0.021]) == R
    assert decide([0.02, 0.021], [0.01, 0.011]) == F


@pytest.mark.parametrize(
    ("conv", "mlp", "conv_kl", "mlp_kl", "expected", "reason"),
    [
        ([0.02, 0.021], [0.01, 0.011], [5, 6], [5, 6], R, "MLP is better"),
        ([0.01, 0.011], [0.02, 0.021], [5, 6], [5, 6], F, "convolutional is better"),
        ([0.01, 0.011], [0.02, 0.021], [0.1, 0.2], [5, 6], R, "collapsed"),
        ([0.01, 0.011], [0.02, 0.021], [5, 6], [0.1, 0.2], INC, "MLP baseline"),
    ],
)
def test_convolutions_failed(conv, mlp, conv_kl, mlp_kl, expected, reason):
    verdict, text = verdict_of(
        "convolutions_failed", conv=conv, mlp=mlp, conv_kl=conv_kl, mlp_kl=mlp_kl, examples_seen=2_000_000
    )
    assert verdict == expected and reason in text


def test_a_collapse_early_in_training_is_not_a_failure_yet():
    verdict, text = verdict_of(
        "convolutions_failed", conv=[0.01, 0.011], mlp=[0.02, 0.021], conv_kl=[0.1, 0.2], mlp_kl=[5, 6],
        examples_seen=60_000,
    )  # fmt: skip
    assert verdict == INC and "needed to call it a collapse" in text
    verdict, text = verdict_of(
        "convolutions_work_at_100", latent_dim=100, conv_log_px=-95.0, mlp_log_px=-90.0, conv_kl=0.1, mlp_kl=25.0,
        examples_seen=60_000,
    )  # fmt: skip
    assert verdict == INC and "still learning" in text


@pytest.mark.parametrize(
    ("high", "low", "high_spikes", "low_spikes", "steps", "expected"),
    [
        ("diverged", "completed", 0, 0, 100, R),
        ("completed", "completed", 9, 1, 5000, R),
        ("completed", "completed", 1, 9, 5000, F),
        ("diverged", "diverged", 0, 0, 5000, D),
        ("completed", "completed", 0, 0, 100, INC),
        ("completed", "completed", 1, 0, 5000, F),
    ],
)
def test_learning_rate_blowups(high, low, high_spikes, low_spikes, steps, expected):
    verdict, _ = verdict_of(
        "learning_rate_blowups",
        high_status=high,
        low_status=low,
        high_spikes=high_spikes,
        low_spikes=low_spikes,
        steps=steps,
    )
    assert verdict == expected


@pytest.mark.parametrize(
    ("small_seconds", "big_seconds", "expected"),
    [
        ([2.0, 2.1, 1.9, 2.0], [1.0, 1.1, 0.9, 1.0], R),
        ([1.0, 1.1, 0.9, 1.0], [2.0, 2.1, 1.9, 2.0], F),
        ([1.0, 2.0, 1.5, 1.2], [1.1, 1.9, 1.6, 1.3], D),
        ([1.0, 1.1], [2.0, 2.1], INC),
    ],
)
def test_big_batch_faster(small_seconds, big_seconds, expected):
    verdict, text = verdict_of(
        "big_batch_faster", small_batch=100, big_batch=1000, small_seconds=small_seconds,
        big_seconds=big_seconds, num_images=1000,
    )  # fmt: skip
    assert verdict == expected
    if expected in (R, F):
        assert "images/s" in text


def test_big_term_first_branches():
    falling_fast = [300, 200, 190, 185, 182, 180]
    rising_slowly = [2, 3, 4, 5, 8, 12]
    assert verdict_of("big_term_first", reconstruction=falling_fast, kl=rising_slowly)[0] == R
    falling_slowly = [300, 295, 290, 285, 200, 180]
    rising_fast = [2, 10, 11, 11.5, 12, 12]
    assert verdict_of("big_term_first", reconstruction=falling_slowly, kl=rising_fast)[0] == F
    assert verdict_of("big_term_first", reconstruction=falling_fast[:3], kl=rising_slowly[:3])[0] == INC
    untrained_kl = [0.5, 0.4, 0.3, 0.2, 0.1, 0.05]
    assert verdict_of("big_term_first", reconstruction=falling_fast, kl=untrained_kl)[0] == INC


# --------------------------------------------------------------------------
# 001: notebook 07
# --------------------------------------------------------------------------


def family(mse, kl=(5.0, 8.0, 12.0)):
    return {"latent_sizes": [2, 20, 100], "pixel_mse": list(mse), "kl": list(kl)}


def test_more_latents_better_reconstructions():
    better = {"bernoulli mlp": family([0.06, 0.03, 0.02]), "gaussian mlp": family([0.05, 0.03, 0.025])}
    verdict, text = verdict_of("more_latents_better_reconstructions", families=better)
    assert verdict == R and "not all the way up" not in text
    # Better at the largest size than the smallest, but worse than a middle one: the reason says so.
    turning = {"bernoulli mlp": family([0.06, 0.02, 0.0205]), "gaussian mlp": family([0.05, 0.02, 0.025])}
    verdict, text = verdict_of("more_latents_better_reconstructions", families=turning)
    assert verdict == R and "gaussian mlp is best at z=20 (0.0200), +25.0% at z=100" in text
    assert "bernoulli mlp is best" not in text  # +2.5% past its best: within the 5% threshold, noise
    worse = {"bernoulli mlp": family([0.02, 0.03, 0.06])}
    assert verdict_of("more_latents_better_reconstructions", families=worse)[0] == F
    mixed = {"bernoulli mlp": family([0.06, 0.03, 0.02]), "bernoulli conv": family([0.05, 0.05, 0.05])}
    assert verdict_of("more_latents_better_reconstructions", families=mixed)[0] == D
    unfinished = {"bernoulli mlp": family([float("nan"), 0.03, float("nan")])}  # no finite error at an end
    verdict, text = verdict_of("more_latents_better_reconstructions", families=unfinished)
    assert verdict == INC and "no finite pixel MSE at z=2 or z=100" in text
    untrained = {"bernoulli conv": family([0.05, 0.04, 0.03], kl=(0.1, 0.1, 0.1))}
    verdict, text = verdict_of("more_latents_better_reconstructions", families=untrained)
    assert verdict == INC and "did not train" in text


def test_gaussian_like_bernoulli():
    kwargs = {"latent_sizes": [2, 20], "bernoulli_kl": [5, 9], "gaussian_kl": [5, 9]}
    assert (
        verdict_of("gaussian_like_bernoulli", bernoulli_mse=[0.05, 0.03], gaussian_mse=[0.052, 0.031], **kwargs)[0] == R
    )
    verdict, text = verdict_of(
        "gaussian_like_bernoulli", bernoulli_mse=[0.05, 0.03], gaussian_mse=[0.1, 0.08], **kwargs
    )
    assert verdict == D and "Bernoulli decoder reconstructs clearly better" in text
    kwargs["gaussian_kl"] = [0.1, 0.2]
    assert (
        verdict_of("gaussian_like_bernoulli", bernoulli_mse=[0.05, 0.03], gaussian_mse=[0.05, 0.03], **kwargs)[0] == INC
    )


@pytest.mark.parametrize(
    ("latent_dim", "conv_log_px", "conv_kl", "expected"),
    [(100, -91.0, 25.0, R), (100, -99.0, 25.0, D), (100, -95.0, 0.2, F), (20, -90.0, 25.0, INC)],
)
def test_convolutions_work_at_100(latent_dim, conv_log_px, conv_kl, expected):
    verdict, _ = verdict_of(
        "convolutions_work_at_100", latent_dim=latent_dim, conv_log_px=conv_log_px, mlp_log_px=-90.0,
        conv_kl=conv_kl, mlp_kl=25.0, examples_seen=2_000_000,
    )  # fmt: skip
    assert verdict == expected


def manifold(tile_labels, accuracy=0.9, kl=5.0, tile_distance=0.10, real_distance=0.09):
    return verdict_of(
        "manifold_shows_some_digits", tile_labels=tile_labels, num_classes=10, classifier_accuracy=accuracy, kl=kl,
        tile_distance=tile_distance, real_distance=real_distance,
    )  # fmt: skip


def test_manifold_shows_some_digits():
    some = np.repeat([0, 1, 3, 7], 100)
    assert manifold(some)[0] == R
    every = np.arange(400) % 10
    verdict, text = manifold(every)
    assert verdict == F and "10 of 10" in text
    # a digit on fewer than 1% of the tiles does not count as shown
    rare = np.concatenate([np.repeat(np.arange(9), 44), [9, 9, 9]])  # 3 of 399 tiles
    assert "9 of 10" in manifold(rare)[1]
    assert manifold(some, accuracy=0.5)[0] == INC
    assert manifold(some, kl=0.2)[0] == INC
    verdict, text = manifold(some, tile_distance=0.3, real_distance=0.1)  # blurs, not digits
    assert verdict == INC and "not digit-like" in text


# --------------------------------------------------------------------------
# 002 and 003: notebooks 08 and 06
# --------------------------------------------------------------------------


def test_numpy_blurrier():
    rng = np.random.default_rng(0)
    sharp, blurry = 0.2 + 0.01 * rng.standard_normal(30), 0.1 + 0.01 * rng.standard_normal(30)
    kwargs = {"numpy_elbo": -100.0, "keras_elbo": -99.0, "numpy_kl": 20.0, "keras_kl": 21.0}
    assert verdict_of("numpy_blurrier", numpy_sharpness=blurry, keras_sharpness=sharp, **kwargs)[0] == R
    assert verdict_of("numpy_blurrier", numpy_sharpness=sharp, keras_sharpness=blurry, **kwargs)[0] == F
    assert verdict_of("numpy_blurrier", numpy_sharpness=sharp, keras_sharpness=sharp + 1e-4, **kwargs)[0] == D
    kwargs["numpy_kl"] = 0.4
    verdict, text = verdict_of("numpy_blurrier", numpy_sharpness=blurry, keras_sharpness=sharp, **kwargs)
    assert verdict == INC and "NumPy: 0.40" in text


@pytest.mark.parametrize(
    ("ours_test", "examples_seen", "expected", "reason"),
    [
        (148.0, 12_000_000, R, "within 3 nats"),
        (150.5, 12_000_000, D, "3.20 nats worse"),
        (140.0, 12_000_000, D, "7.30 nats better"),
        (170.0, 240_000, INC, "2.0% of the write-up's budget"),
        (float("nan"), 12_000_000, INC, "no finite test number"),
    ],
)
def test_kingma_welling_rows(ours_test, examples_seen, expected, reason):
    verdict, text = verdict_of("kw_adagrad", ours_test=ours_test, ours_train=146.0, examples_seen=examples_seen)
    assert verdict == expected and reason in text


def test_gap_source_reads_a_test_gap_off_the_training_gap():
    assert claims.gap_source(-9.0, -8.0) == "fit"  # the same gap on the training images
    assert claims.gap_source(9.0, 4.5) == "fit"
    assert claims.gap_source(9.0, 4.4) == "generalisation"  # less than half of it
    assert claims.gap_source(-9.0, 1.0) == "generalisation"
    assert claims.gap_source(9.0, -6.0) is None  # large and the other way


@pytest.mark.parametrize(
    ("ours_train", "reason"),
    [
        (137.0, "train 137.00 vs 145 (-8.00): the training images show the same gap, so the models fit differently"),
        (
            144.0,
            "train 144.00 vs 145 (-1.00): the training numbers are closer, so most of the gap is in generalisation",
        ),
        (float("nan"), None),
    ],
)
def test_a_differing_kingma_welling_row_says_whether_training_shows_the_gap(ours_train, reason):
    """Adagrad row, theirs 145 train / 147.3 test; ours 140 test: 7.30 nats better."""
    verdict = claims.judge("kw_adagrad", ours_test=140.0, ours_train=ours_train, examples_seen=12_000_000)
    assert verdict.verdict == D and verdict.reason.startswith("7.30 nats better")
    if reason is None:
        assert "train " not in verdict.reason and "train_difference" not in verdict.evidence
    else:
        assert reason in verdict.reason and verdict.evidence["train_difference"] == ours_train - 145.0


def test_every_kingma_welling_row_is_its_own_claim():
    tests = [claims.KINGMA_WELLING_ROWS[c][2] for c in claims.KINGMA_WELLING_ROWS]
    assert tests == [147.3, 145.3, 144.1, 142.0, 96.1, 160.5, 161.4]
    verdict = claims.judge("kw_z20", ours_test=97.0, ours_train=95.0, examples_seen=15_000_000)
    assert verdict.verdict == R and "96.1" in verdict.reason


def test_kw_z2_bottom_distorted():
    rng = np.random.default_rng(0)
    near, far = 0.10 + 0.01 * rng.standard_normal(200), 0.20 + 0.01 * rng.standard_normal(200)

    def bottom(top, low, kl=4.0, real=0.09):
        return verdict_of("kw_z2_bottom_distorted", top_distances=top, bottom_distances=low, kl=kl, real_distance=real)

    assert bottom(near, far)[0] == R
    assert bottom(far, near)[0] == F
    assert bottom(near, near + 1e-5)[0] == D
    assert bottom(near, far, kl=0.3)[0] == INC
    verdict, text = bottom(near, far, real=0.05)  # even the better half is twice as far from digits as real ones
    assert verdict == INC and "neither half looks like digits" in text


def test_counted_puts_the_noun_in_the_right_number():
    assert claims.counted(1, "epoch") == "1 epoch"
    assert claims.counted(0, "epoch") == "0 epochs"
    assert claims.counted(3000, "training image") == "3,000 training images"
    assert claims.counted(2, "analysis", "analyses") == "2 analyses"
    assert claims.counted(1.5, "nat") == "1.5 nats"


def test_a_floor_run_still_moving_at_its_end_is_not_called_stable():
    """Finite after 1M examples is evidence only if the objective had settled; still plunging, it may diverge later."""
    plunging = [-140.0, -400, -600, -700, -800, -900, -1000, -1130]  # the last 2 epochs: 230 of 990 nats
    settled = [-140.0, -400, -600, -700, -720, -728, -730, -731]
    verdict, text = verdict_of("variance_floor_needed", status="completed", epochs=8, examples_seen=2_000_000,
                               train_curve=plunging)  # fmt: skip
    assert verdict == INC and "still moving: it fell by 230.0 nats over the last 2 epochs, 23%" in text
    verdict, text = verdict_of("variance_floor_needed", status="completed", epochs=8, examples_seen=2_000_000,
                               train_curve=settled, clipnorm=100.0)  # fmt: skip
    assert verdict == F and "with its gradients clipped at norm 100" in text
    assert "objective fell by 3.0 nats over the last 2 epochs (1.5 per epoch, 1% of its whole change)" in text


def test_collapse_verdicts_look_at_every_seed_and_at_what_the_error_says():
    mixed = [1e-4, 1e-4, 3.5]  # mean 1.17: above the floor, yet two of three seeds collapsed
    verdict, text = verdict_of(
        "small_init_whitening", small_init=[0.05, 0.05, 0.04], whitened=[0.067] * 3,
        small_init_kl=mixed, whitened_kl=COLLAPSED, examples_seen=1_080_000,
    )  # fmt: skip
    assert verdict == INC and "some seeds collapsed" in text, text
    verdict, text = verdict_of(
        "whitening_hurts", pca=[0.05] * 3, whitened=[0.067] * 3, pca_kl=TRAINED[:3], whitened_kl=[1e-4, 1e-4, 2.9],
        examples_seen=1_080_000,
    )  # fmt: skip
    assert verdict == INC and "some seeds of the whitened PCA VAE collapsed" in text, text
    # An overflowing KL is not a trained model.
    verdict, text = verdict_of(
        "small_init_whitening", small_init=[0.01, 0.011], whitened=[0.02, 0.021],
        small_init_kl=[float("inf"), 5.0], whitened_kl=[5.0, 6.0], examples_seen=2_000_000,
    )  # fmt: skip
    assert verdict == INC and "not finite" in text, text
    # Collapsed, yet reconstructing better beyond noise: the measures disagree.
    verdict, text = verdict_of(
        "whitening_hurts", pca=[0.06, 0.061, 0.06], whitened=[0.05, 0.051, 0.05], pca_kl=TRAINED[:3],
        whitened_kl=COLLAPSED, examples_seen=1_000_000,
    )  # fmt: skip
    assert verdict == D and "the collapsed model reconstructs better" in text, text
