# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
#   kernelspec:
#     display_name: vae-keras (.venv)
#     language: python
#     name: vae-keras
#   vae_keras:
#     datasets: [mnist, npz]
# ---

# %% [markdown]
# # Reproducing Kingma & Welling's MNIST results
#
# "A Musing Upon Variational Autoencoders" re-ran the MNIST experiments of Kingma & Welling's
# *Auto-Encoding Variational Bayes*: first the paper's small model (784-1000-3-500-784, trained
# with Adagrad), then the changes it tried next: Adam, ELU units, wider networks, a larger latent
# space, and a 2-D latent space whose manifold can be drawn. This page repeats each run with the
# same architecture, optimizer and number of training examples, puts our train and test negative
# ELBO beside the write-up's, and decides whether each row reproduces. It then tests the
# write-up's remark about the 2-D manifold, and finally trains the model the literature compares
# on, the one-stochastic-layer VAE of Burda et al. on dynamically binarised MNIST, and lists
# every place where our protocol departs from theirs before putting the numbers side by side.

# %% [markdown] tags=["remove-cell"]
# ## Setup

# %% tags=["remove-output"]
import numpy as np

from vae_keras import claims, plots, preprocessing, studies, train

versions = studies.setup()

# %% [markdown] tags=["remove-cell"]
# ## Parameters

# %% tags=["parameters"]
dataset: str = "mnist"  # dataset name: mnist, or npz:PATH for a Keras-layout MNIST file
profile: str = "full"  # parameter profile these values came from (set by vae-keras run)
examples_scale: float = 1.0  # fraction of each run's training budget (1.0: the write-up's)
elbo_examples: int = 0  # images per split for the train/test negative ELBO of the write-up's table (0: all)
benchmark_epochs: int = 3280  # epochs of the binarised-MNIST benchmark models (Burda et al.: 3280)
eval_samples: int = 5000  # importance samples per test image for log p(x) of the benchmark models
eval_examples: int = 0  # test images evaluated for log p(x) (0: all 10,000)
manifold_reference: int = 10000  # random training images searched for each manifold tile's nearest neighbour
seed: int = 0  # seed of weights, sampling and shuffling
out_dir: str = "runs/notebooks"  # folder for runs, figures and results

# %%
studies.seed_everything(seed)
output = studies.Output(out_dir, "06_mnist_reproduction")
benchmark_budget = f"{benchmark_epochs:,} epoch{'s' if benchmark_epochs != 1 else ''} per benchmark model"
output.banner(dataset, profile,
              f"{examples_scale:g} x the write-up's training examples per run, {benchmark_budget}, one seed")
splits = studies.load_splits(dataset, ["train", "test"])
num_train, num_test = len(splits["train"][0]), len(splits["test"][0])
# The continuous runs' log p(x) is not reported; it is evaluated only for each model's test KL.
run_eval_samples, run_eval_examples = min(eval_samples, 100), min(eval_examples or 1000, 1000, num_test)
bench_eval_examples = min(eval_examples or num_test, num_test)
elbo_train_images = min(elbo_examples or num_train, num_train)
elbo_test_images = min(elbo_examples or num_test, num_test)
output.settings(dataset=dataset, training_images=num_train, test_images=num_test,
                budget=f"{examples_scale:g} x the write-up's examples", batch_size=100,
                table_elbo=f"one draw of z on {elbo_train_images:,} training and {elbo_test_images:,} test images",
                benchmark_epochs=benchmark_epochs,
                benchmark_log_px=f"k={eval_samples:,} on {bench_eval_examples:,} test images",
                backend=versions["backend"])

# %% [markdown]
# ## 1. The write-up's runs
#
# Every run uses **continuous targets with a cross-entropy loss**: grey levels in [0, 1] under a
# Bernoulli decoder, as in the paper and the write-up. That is not a normalised likelihood of the
# images, so these numbers are comparable with each other and with the write-up, not with
# binarised-MNIST results. The encoder has one output layer split in half into mean and
# log-variance. The first two rows use ReLU hidden units, as the write-up did ("we blame the RELU
# activations and switch to ELUs"); from the "+ ELU" row on, the hidden units are ELUs. Each budget
# is a number of training examples, converted to whole epochs of the training set (batch 100).
#
# The table reports, per split, the negative ELBO
# $-\mathcal{L}(x) = -\mathbb{E}_{q(z \mid x)}[\log p(x \mid z)] + \mathrm{KL}(q(z \mid x) \,\Vert\, p(z))$
# in nats per image, estimated with one draw of $z$ per image. A row reproduces when our test number
# is within 3 nats of the write-up's; a run on less than 90% of the write-up's budget that misses by
# more cannot be judged (more training could close the gap).

# %%
reference = {run: {"train": train_nelbo, "test": test_nelbo, "examples": examples,
                   "protocol": "continuous targets, cross-entropy"}
             for run, train_nelbo, test_nelbo, examples in claims.KINGMA_WELLING_ROWS.values()}
small = dict(hidden_units=[1000], decoder_units=[500], latent_dim=3)
wide = dict(hidden_units=[2000], decoder_units=[1000], activation="elu", optimizer="adam", learning_rate=0.001)
runs = {
    "K&W 784-1000-3-500-784, Adagrad": {**small, "optimizer": "adagrad", "learning_rate": 0.01, "activation": "relu"},
    "+ Adam 1e-3": {**small, "optimizer": "adam", "learning_rate": 0.001, "activation": "relu"},
    "+ ELU": {**small, "optimizer": "adam", "learning_rate": 0.001, "activation": "elu"},
    "784-2000-6-1000-784": {**wide, "latent_dim": 6},
    "z=20": {**wide, "latent_dim": 20},
    "z=2": {**wide, "latent_dim": 2},
}
for name, changes in runs.items():
    changes["num_epochs"] = studies.epochs_for_examples(reference[name]["examples"], num_train, examples_scale)
base = studies.base_config(dataset=dataset, likelihood="bernoulli", binarize=False, validation_fraction=0.0,
                           batch_size=100, split_encoder_output=True, activation="relu", seed=seed)
trained, _ = studies.train_variants(base, runs, output, num_samples=run_eval_samples,
                                    eval_examples=run_eval_examples, allow_divergence=False)

# %% [markdown]
# The last row goes on from the z=2 model with ten million more examples at a learning rate of
# $10^{-4}$. It starts from the saved weights of the z=2 run with a fresh Adam, and its budget counts
# only the added examples.

# %%
more_name = "z=2, 10M more at lr 1e-4"
more = {**runs["z=2"], "learning_rate": 1e-4, "init_from": str(output.run_dir("z=2") / "model.keras"),
        "num_epochs": studies.epochs_for_examples(reference[more_name]["examples"], num_train, examples_scale)}
extra, _ = studies.train_variants(base, {more_name: more}, output, num_samples=run_eval_samples,
                                  eval_examples=run_eval_examples, allow_divergence=False)
trained |= extra
comparison = studies.reproduction_table(trained, reference, max_examples=elbo_examples)
kw_rows = [{**row, "activation": trained[row["run"]].config.activation,
            "test KL": trained[row["run"]].row.get("test_kl")} for row in comparison.rows]
kw_columns = ("run", "activation", "epochs", "our examples", "their examples", "our train", "their train", "our test",
              "their test", "test difference", "test KL", "status")
studies.Table(kw_rows, columns=[c for c in kw_columns if any(c in r for r in kw_rows)],
              title="Negative ELBO (nats per image, one draw of z): ours beside the write-up's")

# %%
row_of = {row["run"]: row for row in comparison.rows}
kw_verdicts = [
    output.decide(claim_id, ours_test=row_of[run].get("our test"), ours_train=row_of[run].get("our train"),
                  examples_seen=int(trained[run].row.get("examples_seen", 0)))
    for claim_id, (run, *_) in claims.KINGMA_WELLING_ROWS.items()
]
done = [row for row in comparison.rows if "our test" in row]
shares = [row["our examples"] / row["their examples"] for row in done]
epoch_counts = sorted({row["epochs"] for row in done})
epoch_range = f"{epoch_counts[0]:,}" + (f" to {epoch_counts[-1]:,}" if len(epoch_counts) > 1 else "") if done else "no"
if done:
    output.say(
        f"Our numbers are the negative ELBO with one draw of $z$ per image on the first {elbo_train_images:,} "
        f"training and {elbo_test_images:,} test images; the test KL column is measured on {run_eval_examples:,} "
        f"test images. Each run saw between "
        f"{min(shares):.2%} and {max(shares):.2%} of the write-up's training examples "
        f"({epoch_range} epoch{'s' if epoch_range != '1' else ''}). "
        f"{sum(abs(r['test difference']) <= 3 for r in done)} of {len(done)} test numbers are within 3 nats of the "
        f"write-up's; the largest gap is {max(done, key=lambda r: abs(r['test difference']))['test difference']:+.2f} "
        f"nats ({max(done, key=lambda r: abs(r['test difference']))['run']}).")
output.verdicts(*kw_verdicts)

# %% [markdown]
# Differences can come from three places: the budget (with `examples_scale` below 1 each run sees a
# fraction of the write-up's examples, and its numbers are then expected to be worse), details the
# write-up does not state (initialisation, Adagrad's learning rate), and run-to-run noise, which
# one seed per run cannot measure.

# %% [markdown]
# ## 2. The 2-D latent space
#
# With z=2 the whole latent space can be drawn. Kingma & Welling's figure decodes a grid of points
# placed at equal *probability* steps of the prior: quantiles of N(0, 1) through the inverse CDF,
# $z_i = \Phi^{-1}\big(i / (n + 1)\big)$ for $i = 1, \dots, n$. A linear grid in $[-5, 5]$ instead
# spends most of its points in the tails, where the prior (and so the trained decoder) has little
# mass. Both grids below come from the final z=2 model (the one trained on the extra examples).
#
# The write-up remarks that the **bottom half of its manifold is distorted**. To test that without
# eyeballing, each of the 400 tiles of the 20x20 inverse-CDF manifold is compared with real digits:
# its distance to the nearest training image, the root-mean-square pixel difference
# $\min_{x \in \text{train}} \sqrt{\tfrac{1}{D}\lVert \text{tile} - x \rVert^2}$, is small for a
# tile that looks like some real digit and large for a distorted one. The top half is the first 10
# rows ($z_2 > 0$), the bottom half the last 10 rows; the claim holds when the bottom half's mean
# distance is larger by more than the noise band over tiles.

# %%
z2 = trained[more_name]
for spacing in ("inverse_cdf", "linear"):
    grid = studies.latent_grid(20, spacing=spacing, limit=5.0)
    figure = plots.latent_manifold(studies.decode_manifold(z2.vae, grid), grid,
                                   title=f"z=2 manifold, {spacing.replace('_', ' ')} spacing")
    output.show(figure, f"manifold_{spacing}", headline=spacing == "inverse_cdf")

# %%
grid = studies.latent_grid(20, spacing="inverse_cdf")
tiles = z2.prepared.to_images(studies.decode_manifold(z2.vae, grid)).reshape(400, -1)
train_images = z2.prepared.train[0]
chosen = np.random.default_rng(seed).permutation(len(train_images))[:manifold_reference]
reference_images = preprocessing.to_unit_interval(train_images[chosen]).reshape(len(chosen), -1)
nearest = studies.nearest_distances(tiles, reference_images)
test_pixels = preprocessing.to_unit_interval(z2.prepared.test[0][:400]).reshape(-1, reference_images.shape[1])
real_distance = float(studies.nearest_distances(test_pixels, reference_images).mean())
verdict_manifold = output.decide("kw_z2_bottom_distorted", top_distances=nearest[:200], bottom_distances=nearest[200:],
                                 kl=z2.row["test_kl"], real_distance=real_distance)
output.say(f"Distances were measured against {len(chosen):,} random training images. The z=2 model's test KL is "
           f"{z2.row['test_kl']:.2f} nats (on {run_eval_examples:,} test images). Mean distance to the nearest "
           f"training image: top half {nearest[:200].mean():.4f}, bottom half {nearest[200:].mean():.4f}, real test "
           f"images {real_distance:.4f}; the most "
           f"distant tile is in row {int(np.argmax(nearest)) // 20 + 1} of 20.")
output.verdicts(verdict_manifold)

# %%
test_images, test_labels = z2.prepared.test
num_scatter = min(5000, len(test_images))
z_mean, _ = z2.vae.encode(z2.prepared.model_inputs(test_images[:num_scatter]))
output.show(plots.latent_scatter(z_mean, test_labels[:num_scatter],
                                 title=f"Posterior means of {num_scatter:,} test digits (z=2)"), "latent_scatter")

# %% [markdown]
# ## 3. The standard benchmark: binarised MNIST, log p(x)
#
# Published MNIST log-likelihoods use **dynamically binarised** images (each pixel redrawn as a
# coin flip with its grey level every epoch), a Bernoulli decoder, and the importance-weighted
# estimate
#
# $$\log p(x) \approx \log \frac{1}{k} \sum_{i=1}^{k} \frac{p(x \mid z_i)\, p(z_i)}{q(z_i \mid x)},
# \qquad z_i \sim q(z \mid x),$$
#
# which tightens towards $\log p(x)$ as $k$ grows. Burda et al. report it with $k = 5000$ on the
# 10,000 test images: their one-stochastic-layer VAE, 784-200-200-50 with tanh units, scores 86.76
# nats of negative log-likelihood, their IWAE of the same architecture 84.78. We train that VAE,
# and a wider one with ELU units and a linear KL warm-up over its first 10 epochs.
#
# A number beside theirs means little unless the protocols match, so the table after the results
# lists, from this run's own configuration, every place where ours departs from Burda et al.'s.
# Their training schedule runs for $\sum_{i=0}^{7} 3^i = 3280$ epochs: stage $i$ lasts $3^i$ epochs
# at a learning rate of $10^{-3} \cdot 10^{-i/7}$.

# %%
benchmark = studies.base_config(
    dataset=dataset, likelihood="bernoulli", binarize=True, validation_fraction=0.0, batch_size=100,
    optimizer="adam", learning_rate=0.001, num_epochs=benchmark_epochs, seed=seed, latent_dim=50,
)
burda_name = "VAE 784-200-200-50 tanh (Burda et al.)"
benchmark_runs = {
    burda_name: {"hidden_units": [200, 200], "activation": "tanh"},
    "VAE 784-500-500-50 elu, KL warm-up": {"hidden_units": [500, 500], "activation": "elu", "kl_warmup_epochs": 10},
}
bench, bench_table = studies.train_variants(benchmark, benchmark_runs, output, num_samples=eval_samples,
                                            eval_examples=eval_examples, allow_divergence=False)
nll = {name: -v.row["test_log_px"] for name, v in bench.items()}
studies.Table([{"model": name, "epochs": v.row["epochs"], "test -log p(x)": nll[name],
                "test -ELBO": -v.row["test_elbo"], "test KL": v.row["test_kl"],
                "seconds per epoch": v.row["seconds_per_epoch"]}
               for name, v in bench.items()],
              title=f"Binarised MNIST, k={eval_samples:,} on {bench_eval_examples:,} test images (nats)")

# %%
burda = bench[burda_name]
optimizer_config = train.make_optimizer(burda.config).get_config()
learning_rate = optimizer_config["learning_rate"]
schedule = f"constant {learning_rate:g}" if isinstance(learning_rate, (int, float)) else str(learning_rate)
bias_init = burda.vae.decoder.get_layer("params").get_config()["bias_initializer"]
bias_init = bias_init.get("class_name", str(bias_init)) if isinstance(bias_init, dict) else str(bias_init)
epsilon = optimizer_config.get("epsilon")
protocol = [  # (setting, ours, theirs, same as theirs?)
    ("batch size", f"{burda.config.batch_size:,}", "20", burda.config.batch_size == 20),
    ("learning-rate schedule", schedule, "8 stages, 3^i epochs at 1e-3 x 10^(-i/7), i = 0..7", False),
    ("Adam epsilon", studies.fmt(epsilon, "g"), "1e-4", epsilon is not None and np.isclose(epsilon, 1e-4)),
    ("output bias initialisation", bias_init, "logit of the training mean", False),
    ("epochs", f"{burda.row['epochs']:,}", "3,280", burda.row["epochs"] == 3280),
    ("evaluation", f"k={eval_samples:,} on {bench_eval_examples:,} test images", "k=5,000 on all 10,000 test images",
     eval_samples == 5000 and bench_eval_examples == 10000),
]
protocol = [{"setting": setting, "ours": ours, "Burda et al.": theirs, "same": "yes" if same else "no"}
            for setting, ours, theirs, same in protocol]
protocol_table = studies.Table(protocol, columns=["setting", "ours", "Burda et al.", "same"],
                               title="Our protocol vs Burda et al.'s (the 784-200-200-50 tanh VAE)")
protocol_table

# %%
departures = [row["setting"] for row in protocol if row["same"] == "no"]
epochs_text = {name: f"{v.row['epochs']:,} epoch{'s' if v.row['epochs'] != 1 else ''}" for name, v in bench.items()}
output.say(
    f"After {epochs_text[burda_name]}, evaluated with k={eval_samples:,} importance samples on "
    f"{bench_eval_examples:,} test images, the 784-200-200-50 tanh VAE scores a test negative log-likelihood of "
    f"{nll[burda_name]:.2f} nats, beside Burda et al.'s 86.76 (VAE) and 84.78 (IWAE) after 3,280 epochs with k=5,000 "
    f"on all 10,000 test images ({nll[burda_name] - 86.76:+.2f} nats from their VAE). "
    + (f"The protocols differ in {len(departures)} of {len(protocol)} settings ({', '.join(departures)}), so the gap "
       "mixes the model with its training and evaluation and does not reproduce or refute their number. "
       if departures else "The protocols agree on every setting listed. ")
    + " ".join(f"The {name} scores {nll[name]:.2f} nats after {epochs_text[name]} with the same "
               "evaluation." for name in bench if name != burda_name))

# %% [markdown]
# ## Conclusion
#
# The first section decides, row by row, whether the write-up's continuous-MNIST numbers reproduce
# at this budget; the second whether its z=2 manifold's bottom half is the distorted one; the
# third sets our binarised-MNIST likelihoods beside the published ones, with the list of protocol
# differences that any gap has to be read against.

# %%
results = output.record(
    burda_vae_nll=nll[burda_name], nll=nll, eval_samples=eval_samples, eval_examples=bench_eval_examples,
    rows_within_3_nats=sum(abs(r["test difference"]) <= 3 for r in done), rows=len(done),
    examples_scale=examples_scale, elbo_examples=elbo_examples,
    benchmark_epochs={n: v.row["epochs"] for n, v in bench.items()},
    benchmark_seconds_per_epoch={n: v.row["seconds_per_epoch"] for n, v in bench.items()},
    manifold_top_distance=float(nearest[:200].mean()), manifold_bottom_distance=float(nearest[200:].mean()),
    z2_test_kl=z2.row["test_kl"], protocol=protocol, reproduction=comparison.rows, benchmark=bench_table.rows,
    dataset=dataset,
)
lines = [f"On `{dataset.split('/')[-1]}` with {examples_scale:g} x the write-up's training examples per run:"]
if done:
    lines.append(f"* {sum(abs(r['test difference']) <= 3 for r in done)} of {len(done)} test numbers of the write-up's "
                 f"table are within 3 nats of ours, after {min(shares):.2%} to {max(shares):.2%} of its training "
                 f"examples (the rows are in the verdicts below);")
lines.append(f"* binarised MNIST, k={eval_samples:,} on {bench_eval_examples:,} test images: "
             + "; ".join(f"{name} {nll[name]:.2f} nats after {epochs_text[name]}" for name in bench)
             + " (Burda et al., 3,280 epochs, k=5,000 on 10,000: VAE 86.76, IWAE 84.78);")
lines += output.claim_lines()
output.say("\n".join(lines))
