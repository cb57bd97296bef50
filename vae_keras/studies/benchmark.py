"""The standard benchmark (notebook 09): Burda et al.'s VAE on dynamically binarised MNIST, their protocol
beside ours, and our number beside the published ones.
"""

from vae_keras import plots, train
from vae_keras.studies.variants import base_config
from vae_keras.studies.words import data_title
from vae_keras.writeup.vocabulary import counted

#: Published test negative log-likelihoods (nats) of this model on dynamically binarised MNIST.
BURDA_VAE_NLL = 86.76
BURDA_IWAE_K50_NLL = 84.78
PYTHAE_VAE_NLL = 89.78


def burda_config(dataset, batch_size, num_epochs, seed=0):
    """Burda et al.'s one-stochastic-layer VAE and their training protocol: two hidden layers of 200 tanh units,
    z of 50, a Bernoulli decoder on dynamically binarised images, Adam with epsilon 1e-4 on their 8-stage
    learning-rate schedule, and output biases at the logit of the training mean."""
    return base_config(
        dataset=dataset,
        likelihood="bernoulli",
        binarize=True,
        validation_fraction=0.0,
        hidden_units=[200, 200],
        activation="tanh",
        latent_dim=50,
        optimizer="adam",
        learning_rate=0.001,
        adam_epsilon=1e-4,
        lr_schedule="burda",
        output_bias_init="data_mean",
        batch_size=batch_size,
        num_epochs=num_epochs,
        seed=seed,
    )


def result_row(label, row, train_bound=None):
    """A table row of one trained model's test numbers (nats per image) from its ``Variant.row``."""
    result = {"model": label} | ({"train bound": train_bound} if train_bound else {})
    nll, nelbo = -row["test_log_px"], -row["test_elbo"]
    result |= {"epochs": row["epochs"], "test -log p(x)": nll, "test -ELBO": nelbo}
    if train_bound is None:
        result["gap (-ELBO minus -log p(x))"] = nelbo - nll
    return result | {"test KL": row["test_kl"], "seconds per epoch": row["seconds_per_epoch"]}


def training_curve(history, epochs):
    """The training negative ELBO by epoch on a logarithmic axis, with a line where each learning-rate stage of
    Burda et al.'s schedule (scaled to ``epochs``) ends."""
    figure = plots.curves(
        list(range(1, len(history) + 1)),
        {"train -ELBO": history},
        "epoch",
        "negative ELBO (nats)",
        title="Training curve (binarised training images)",
        log_x=True,
    )
    for end in train.burda_stage_ends(epochs)[:-1]:
        if end >= 1:
            figure.axes[0].axvline(end, color="grey", alpha=0.4, linewidth=0.8)
    return figure


def protocol_rows(variant, layers, dataset, num_train, eval_samples, eval_images, same_data):
    """Each setting that shapes the result, ours (from the run's configuration) beside Burda et al.'s.

    Returns:
        ``[{"setting", "ours", "Burda et al.", "same"}]``, ``same`` being ``"yes"`` or ``"no"``.
    """
    config, epochs = variant.config, variant.row["epochs"]
    epsilon = train.make_optimizer(config).get_config()["epsilon"]
    binarised = "dynamically binarised" if config.binarize else "grey levels"
    schedule = f"8 stages scaled to {epochs:,} epochs" if config.lr_schedule == "burda" else "constant"
    rows = [  # (setting, ours, theirs, same?)
        ("model", f"{layers}, tanh, Bernoulli decoder", "784-200-200-50, tanh, Bernoulli decoder",
         layers == "784-200-200-50"),
        ("data", f"{binarised} {data_title(dataset)}, {num_train:,} training images",
         "dynamically binarised, 60,000 training images", same_data and config.binarize and num_train == 60000),
        ("batch size", f"{config.batch_size:,}", "20", config.batch_size == 20),
        ("optimizer", f"{config.optimizer}, epsilon {epsilon:g}", "adam, epsilon 1e-4",
         config.optimizer == "adam" and abs(epsilon - 1e-4) < 1e-12),
        ("learning-rate schedule", schedule, "8 stages of 3^i epochs, 1e-3 x 10^(-i/7)", config.lr_schedule == "burda"),
        ("output bias initialisation", config.output_bias_init.replace("data_mean", "logit of the training mean"),
         "logit of the training mean", config.output_bias_init == "data_mean"),
        ("epochs", f"{epochs:,}", "3,280", epochs == 3280),
        ("evaluation", f"k={eval_samples:,} on {eval_images:,} test images", "k=5,000 on all 10,000 test images",
         eval_samples == 5000 and eval_images == 10000),
    ]  # fmt: skip
    return [
        {"setting": setting, "ours": ours, "Burda et al.": theirs, "same": "yes" if same else "no"}
        for setting, ours, theirs, same in rows
    ]


def last_tenth_gain(history):
    """How much the training negative ELBO fell over the last tenth of the epochs (at least one); 0 with one."""
    if len(history) < 2:
        return 0.0
    return float(history[max(0, len(history) - 1 - max(1, len(history) // 10))] - history[-1])


def benchmark_text(nll, nelbo, epochs, eval_samples, eval_images, protocol, history, other_data=None):
    """The benchmark's result in words: our test negative log-likelihood beside the published ones (on their data
    only), where our protocol departs from theirs, and whether training was still improving at the end.

    Args:
        nll, nelbo: our test negative log-likelihood and negative ELBO (nats per image).
        epochs: the epochs trained.
        eval_samples, eval_images: k and the test images of the estimate.
        protocol: ``protocol_rows``.
        history: the training negative ELBO by epoch.
        other_data: the run's dataset as the page names it, when it is not MNIST.
    """
    if other_data is None:
        published = (
            f"{nll - BURDA_VAE_NLL:+.2f} from Burda et al.'s VAE ({BURDA_VAE_NLL}), {nll - BURDA_IWAE_K50_NLL:+.2f} "
            f"from their k=50 IWAE ({BURDA_IWAE_K50_NLL}) and {nll - PYTHAE_VAE_NLL:+.2f} from Pythae's VAE "
            f"({PYTHAE_VAE_NLL})"
        )
    else:
        published = f"on `{other_data}`: the published numbers are about other data, so none is set beside it"
    departures = [row["setting"] for row in protocol if row["same"] == "no"]
    if departures:
        departed = (
            f"Our protocol departs from theirs in {len(departures)} of {len(protocol)} settings "
            f"({', '.join(departures)})"
        )
        departed += (
            ". " if other_data else f", so the comparison with {BURDA_VAE_NLL} is indicative, not a reproduction. "
        )
    else:
        departed = "Our protocol matches theirs in every setting listed. "
    gain = last_tenth_gain(history)
    return (
        f"After {counted(epochs, 'epoch')}, the VAE's test negative log-likelihood is **{nll:.2f} nats** "
        f"(k={eval_samples:,} on {eval_images:,} test images), {published}. "
        f"The negative ELBO is {nelbo:.2f}, {nelbo - nll:.2f} nats above it. "
        + departed
        + f"Over the last tenth of training the training negative ELBO {'fell' if gain >= 0 else 'rose'} by "
        f"{abs(gain):.2f} nats."
    )


def iwae_text(vae_row, iwae_row, iwae_samples, epochs, verdict):
    """The VAE against the IWAE trained alike, in words, with ``verdict`` (``iwae_verdict``) on Burda et al.'s
    finding."""
    return (
        f"After {counted(epochs, 'epoch')} each, the IWAE (k={iwae_samples}) has a test negative log-likelihood of "
        f"**{-iwae_row['test_log_px']:.2f}** nats against the VAE's **{-vae_row['test_log_px']:.2f}**; "
        f"its negative ELBO is {-iwae_row['test_elbo']:.2f} against {-vae_row['test_elbo']:.2f}. "
        f"Burda et al.'s finding that the IWAE is at least 1 nat better: {verdict}. One seed each: a gap of a few "
        "tenths of a nat could come from the seed alone."
    )
