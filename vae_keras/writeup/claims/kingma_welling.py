"""The claims of write-up 003, "A Musing Upon Variational Autoencoders" (notebook 06), on MNIST.

Each row of its table is a claim about one run; so is Kingma & Welling's own number it cites
("approximately 136"). Its remarks on overfitting, ELU and the z=2 manifold are claims too. Every
row is one seed, ours and theirs.
"""

import math

from vae_keras.writeup.claims import stats
from vae_keras.writeup.claims.core import Claim, add, register
from vae_keras.writeup.vocabulary import DIFFERS, INCONCLUSIVE, MNIST, REFUTED, REPRODUCED

NOTEBOOK = "06_mnist_reproduction"

#: The write-up's table: run -> (name, train, test negative ELBO in nats, budget in training examples, quote).
KINGMA_WELLING_ROWS = {
    "kw_adagrad": (
        "K&W 784-1000-3-500-784, Adagrad", 145.0, 147.3, 12_000_000,
        "Using a 784-1000-3-500-784 architecture with Adagrad, learning rate 0.01, minibatch size 100, we achieve "
        "summed KL and cross entropy train error of 145 and test error of 147.3 after training on 12 million examples.",
    ),
    "kw_adam": (
        "+ Adam 1e-3", 138.5, 145.3, 12_000_000, "This reduces train and test errors to 138.5 and 145.3 respectively."
    ),
    "kw_elu": (
        "+ ELU", 141.7, 144.1, 12_000_000, "This updates train/test errors to and 141.7 and 144.1, respectively."
    ),
    "kw_wider": (
        "784-2000-6-1000-784", 138.0, 142.0, 12_000_000,
        "We then tried a larger architecture: 784-2000-6-1000-784. This resulted in decreased train/test errors of "
        "138 and 142.",
    ),
    "kw_z20": ("z=20", 94.25, 96.1, 15_000_000, "We test with $z=20$ and obtain train/test errors of 94.25 and 96.1"),
    "kw_z2": (
        "z=2", 159.5, 160.5, 14_000_000,
        "After 14 million training examples, we obtain train and test errors of 159.5 and 160.5 respectively.",
    ),
    "kw_z2_more": (
        "z=2, 10M more at lr 1e-4", 154.6, 161.4, 10_000_000,
        "We train for another 10 million examples and obtain train/test errors of 154.6 and 161.4.",
    ),
}  # fmt: skip

_READINGS = {
    "kw_adagrad": "The write-up's budget is 'training on 12 million examples'; the later rows are read as trained "
    "on the same budget unless they say otherwise. The write-up does not say how many training images it used "
    "(MNIST has 60,000; Kingma & Welling's code holds 10,000 out for validation).",
    "kw_wider": "Ambiguous: the write-up splits its encoder's output in half into means and log standard "
    "deviations, so '6' may be z=3 (3 means + 3 log-sds) rather than z=6. Our run reads it as z=6; a z=3 run of "
    "this row is not made here, so a gap may come from the reading.",
    "kw_z20": "Read with the budget its sentence gives ('~15 million training examples').",
}


def _kw_row(claim, ours_test, ours_train, examples_seen):
    _run, theirs_train, theirs_test, budget, _quote = KINGMA_WELLING_ROWS[claim.id]
    evidence = {
        "ours_test": ours_test,
        "theirs_test": theirs_test,
        "ours_train": ours_train,
        "theirs_train": theirs_train,
        "examples_seen": examples_seen,
        "their_examples": budget,
        "seeds": 1,
    }
    if ours_test is None or not math.isfinite(ours_test):
        return claim.verdict(INCONCLUSIVE, "the run has no finite test number", **evidence)
    difference = ours_test - theirs_test
    evidence["difference"] = difference
    tolerance = claim.thresholds["tolerance_nats"]
    text = (
        f"test negative ELBO {ours_test:.2f} vs {theirs_test:g} nats ({difference:+.2f}) after "
        f"{examples_seen:,} of their {budget:,} training examples"
    )
    if stats.near(abs(difference), tolerance):
        return claim.verdict(INCONCLUSIVE, f"at the edge of the {tolerance:g}-nat tolerance: {text}", **evidence)
    if abs(difference) <= tolerance:
        return claim.verdict(REPRODUCED, f"within {tolerance:g} nats: {text}", **evidence)
    if examples_seen < claim.thresholds["min_budget_share"] * budget:
        return claim.verdict(
            INCONCLUSIVE, f"trained on {examples_seen / budget:.1%} of the write-up's budget: {text}", **evidence
        )
    side = "worse" if difference > 0 else "better"
    train_side = _kw_train_side(evidence)  # adds evidence["train_difference"] when there is a train number
    return claim.verdict(
        DIFFERS, f"{abs(difference):.2f} nats {side} than the write-up: {text}{train_side}", **evidence
    )


def _kw_train_side(evidence):
    """Where a row's test gap comes from, read off the training numbers (``""``: no train number)."""
    ours_train, difference = evidence["ours_train"], evidence["difference"]
    if ours_train is None or not math.isfinite(ours_train):
        return ""
    train_difference = ours_train - evidence["theirs_train"]
    evidence["train_difference"] = train_difference
    numbers = f"train {ours_train:.2f} vs {evidence['theirs_train']:g} ({train_difference:+.2f})"
    source = gap_source(difference, train_difference)
    if source == "fit":
        return f"; {numbers}: the training images show the same gap, so the models fit differently (not overfitting)"
    if source == "generalisation":
        return f"; {numbers}: the training numbers are closer, so most of the gap is in generalisation"
    return f"; {numbers}"


def gap_source(test_difference, train_difference):
    """Where a gap between two test numbers lies, read off the gap between the training numbers.

    Returns:
        ``"fit"`` when the training gap has the same sign and at least half the size (the models fit the
        data differently), ``"generalisation"`` when it is less than half the size, else ``None`` (the
        training gap points the other way).
    """
    if abs(train_difference) < abs(test_difference) / 2:
        return "generalisation"
    if train_difference * test_difference > 0:
        return "fit"
    return None


for _claim_id, (_run, _train, _test, _budget, _quote) in KINGMA_WELLING_ROWS.items():
    register(
        _claim_id,
        "003",
        NOTEBOOK,
        _quote,
        f"{_run}: train {_train:g}, test {_test:g} nats (negative ELBO, continuous MNIST, "
        f"{_budget / 1e6:g}M training examples).",
        MNIST,
        "Our test negative ELBO on the MNIST test set, with the write-up's architecture, optimizer and budget.",
        reading=_READINGS.get(_claim_id, ""),
        tolerance_nats=3.0,
        min_budget_share=0.9,
    )(_kw_row)


@register(
    "kw_paper_z3",
    "003",
    NOTEBOOK,
    "For comparison, the original paper reports error of approximately 136 for both train and test on this task.",
    "Kingma & Welling's own z=3 model (784-500-3-500-784 in their terms) reaches about 136 nats, train and test.",
    MNIST,
    "Our Adagrad row (the paper's own setting as the write-up re-ran it): its test negative ELBO against 136.",
    reading="'approximately' is given the same 3-nat tolerance as the write-up's rows. The write-up missed this "
    "number and suspected 'a minor bug in my implementation'; a row of ours near 136 makes the re-run the "
    "outlier.",
    tolerance_nats=3.0,
    theirs=136.0,
)
def _kw_paper(claim, ours_test, ours_train, examples_seen):
    theirs = claim.thresholds["theirs"]
    evidence = {"ours_test": ours_test, "ours_train": ours_train, "theirs": theirs, "seeds": 1}
    if ours_test is None or not math.isfinite(ours_test):
        return claim.verdict(INCONCLUSIVE, "the run has no finite test number", **evidence)
    difference = ours_test - theirs
    tolerance = claim.thresholds["tolerance_nats"]
    text = (
        f"our Adagrad row: test {ours_test:.2f}, train {stats.fmt(ours_train, '.2f')} vs the paper's ~{theirs:g} "
        f"({difference:+.2f}), after {examples_seen:,} training examples; the write-up's re-run: 147.3"
    )
    if stats.near(abs(difference), tolerance):
        return claim.verdict(INCONCLUSIVE, f"at the edge of the {tolerance:g}-nat tolerance: {text}", **evidence)
    if abs(difference) <= tolerance:
        return claim.verdict(REPRODUCED, f"within {tolerance:g} nats: {text}", **evidence)
    return claim.verdict(DIFFERS, text, **evidence)


@register(
    "kw_elu_less_overfitting",
    "003",
    NOTEBOOK,
    "Interestingly, the train error increased while the test error decreased, which suggests ELUs help combat "
    "overfitting.",
    "Switching from ReLU to ELU narrows the gap between test and train error.",
    MNIST,
    "Test minus train negative ELBO of our Adam (ReLU) and ELU rows; a narrowing of at least the threshold counts.",
    min_narrowing_nats=1.0,
)
def _kw_elu(claim, relu_train, relu_test, elu_train, elu_test):
    gaps = {"relu_gap": relu_test - relu_train, "elu_gap": elu_test - elu_train}
    evidence = {**gaps, "seeds": 1}
    if not all(math.isfinite(v) for v in gaps.values()):
        return claim.verdict(INCONCLUSIVE, "a row has no finite train or test number", **evidence)
    narrowing = gaps["relu_gap"] - gaps["elu_gap"]
    threshold = claim.thresholds["min_narrowing_nats"]
    text = f"test minus train: ReLU {gaps['relu_gap']:+.2f}, ELU {gaps['elu_gap']:+.2f} nats"
    if stats.near(abs(narrowing), threshold):
        return claim.verdict(INCONCLUSIVE, f"at the edge of the {threshold:g}-nat threshold: {text}", **evidence)
    if narrowing >= threshold:
        return claim.verdict(REPRODUCED, text, **evidence)
    if narrowing <= -threshold:
        return claim.verdict(REFUTED, f"ELU widened the gap: {text}", **evidence)
    return claim.verdict(DIFFERS, f"no change of {threshold:g} nat or more: {text}", **evidence)


@register(
    "kw_z2_overfit",
    "003",
    NOTEBOOK,
    "We are beginning to overfit, thus we stop.",
    "The 10M extra examples at z=2 lowered the train error and raised the test error.",
    MNIST,
    "Train and test negative ELBO of our z=2 row and of the same model after the extra examples.",
    reading="Read from the numbers the write-up gives just before it: train 159.5 -> 154.6, test 160.5 -> 161.4.",
)
def _kw_z2_overfit(claim, before_train, before_test, after_train, after_test):
    evidence = {
        "train_change": after_train - before_train,
        "test_change": after_test - before_test,
        "seeds": 1,
    }
    if not all(math.isfinite(v) for v in evidence.values()):
        return claim.verdict(INCONCLUSIVE, "a row has no finite train or test number", **evidence)
    text = f"train {evidence['train_change']:+.2f}, test {evidence['test_change']:+.2f} nats after the extra examples"
    if evidence["train_change"] < 0 < evidence["test_change"]:
        return claim.verdict(REPRODUCED, text, **evidence)
    if evidence["test_change"] < 0:
        return claim.verdict(REFUTED, f"the test error fell too: {text}", **evidence)
    return claim.verdict(DIFFERS, text, **evidence)


add(
    Claim(
        "kw_z2_unstable",
        "003",
        "However, the error seemed highly unstable, so we reduced the learning rate to 0.0001 and continued training.",
        "At z=2 and a learning rate of 1e-3, the error is highly unstable.",
        MNIST,
        NOTEBOOK,
        "Not measured: it would need the per-batch losses of the z=2 run.",
        {},
        None,
        not_decidable="notebook 06 keeps per-epoch losses only, and 'highly unstable' names no measure or threshold "
        "to hold them to",
    )
)


@register(
    "kw_z2_bottom_distorted",
    "003",
    NOTEBOOK,
    "The bottom half of our manifold is severely distorted—it appears the algorithm failed to utilize this "
    "portion of the space.",
    "On the linearly spaced z=2 manifold (from -5 to 5), one half is severely distorted while the other shows digits.",
    MNIST,
    "Distance from each tile of the decoded 20x20 linear-spacing manifold to its nearest training image (RMS over "
    "pixels). Of the four halves (top, bottom, left, right) the farthest is compared with its opposite: distorted "
    "means farther than the ratio times real test images, while the opposite half is within it.",
    reading="The remark follows the linear-spacing figure, which the write-up prefers. Which half is 'bottom' is an "
    "arbitrary orientation of one model's latent space, so every half is looked at, and the farthest counts.",
    max_distance_ratio=1.25,
)
def _kw_bottom(claim, distances, kl, real_distance):
    """``distances``: the 400 tiles' distances, row-major, rows from the top; ``real_distance``: real test images'."""
    import numpy as np

    grid = stats.values(distances).reshape(20, 20)
    halves = {"top": grid[:10], "bottom": grid[10:], "left": grid[:, :10], "right": grid[:, 10:]}
    opposite = {"top": "bottom", "bottom": "top", "left": "right", "right": "left"}
    medians = {name: float(np.median(part)) for name, part in halves.items()}
    worst = max(medians, key=medians.get)
    ratio = claim.thresholds["max_distance_ratio"]
    evidence = {"medians": medians, "worst_half": worst, "real_distance": real_distance, "kl": kl, "seeds": 1}
    if not np.isfinite(kl) or kl < stats.KL_FLOOR:
        return claim.verdict(INCONCLUSIVE, f"the z=2 model stores almost nothing in z (KL {stats.fmt(kl)})", **evidence)
    if not (np.all(np.isfinite(grid)) and np.isfinite(real_distance)):
        return claim.verdict(INCONCLUSIVE, "a tile's distance or the real images' is missing or not finite", **evidence)
    text = (
        f"median distance to the nearest training image: {worst} half {medians[worst]:.4f}, {opposite[worst]} half "
        f"{medians[opposite[worst]]:.4f}, real test images {real_distance:.4f} (limit {ratio:g}x)"
    )
    distorted = medians[worst] > ratio * real_distance
    sound = medians[opposite[worst]] <= ratio * real_distance
    if stats.near(medians[worst], ratio * real_distance) or stats.near(medians[opposite[worst]], ratio * real_distance):
        return claim.verdict(INCONCLUSIVE, f"a half sits at the limit's edge: {text}", **evidence)
    if distorted and sound:
        return claim.verdict(REPRODUCED, text, **evidence)
    if not distorted:
        return claim.verdict(REFUTED, f"no half is distorted: {text}", **evidence)
    return claim.verdict(DIFFERS, f"both halves are far from real digits: {text}", **evidence)
