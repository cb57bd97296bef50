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
#     datasets: [mnist, svhn, digits, npz]
#     needs: [sides_divisible_by_4]
# ---

# %% [markdown]
# # How big should z be? Latent sizes, decoders and encoders
#
# How many latent dimensions does a VAE use, and does it matter whether the decoder is a Bernoulli
# or a Gaussian, or the encoder fully connected or convolutional? The latent-size write-up crossed
# latent sizes 2, 5, 20, 50 and 100 with both decoders and both encoders on MNIST and SVHN, and
# made four claims: more latent dimensions give better reconstructions, a Gaussian decoder does
# about as well as a Bernoulli one, a convolutional VAE works well with 100 latent dimensions, and
# the 2-D latent manifold shows only some of the digits. This page trains a grid of the same kind
# (the latent sizes in the settings table) on one dataset and decides each claim from the run's numbers. Along
# the way it shows what the likelihoods hide: reconstructions, the KL term (how much each model stores in
# $z$), and the 2-D manifold.

# %% [markdown] tags=["remove-cell"]
# ## Setup

# %% tags=["remove-output"]
import json

import numpy as np

from vae_keras import plots, studies
from vae_keras.writeup import claims

versions = studies.setup()

# %% [markdown] tags=["remove-cell"]
# ## Parameters

# %% tags=["parameters"]
dataset: str = "mnist"  # dataset name: mnist, svhn, digits or npz:PATH
profile: str = "full"  # parameter profile these values came from (set by vae-keras run)
latent_sizes: list = [2, 5, 20, 50, 100]  # sizes of z to compare
num_epochs: int = 50  # training epochs of each model
max_train_examples: int = 0  # use at most this many training images (0: all)
batch_size: int = 100  # examples per step
hidden_width: int = 500  # width of the two hidden dense layers (one for the convolutional models)
num_seeds: int = 1  # seeds per model: with 2 or more, gaps are compared with the seed-to-seed spread
eval_samples: int = 1000  # importance samples per test image for log p(x)
eval_examples: int = 2000  # test images evaluated (0: all)
seed: int = 0  # seed of weights, sampling and shuffling
out_dir: str = "runs/notebooks"  # folder for runs, figures and results

# %%
budget = studies.budget_text(num_epochs, max_train_examples, num_seeds, batch_size)
output = studies.begin("07_latent_dimensions", out_dir, dataset, profile, seed, budget)
seeds = studies.seeds_for(seed, num_seeds)
if isinstance(latent_sizes, str):  # papermill's -p passes "[2, 100]" as text
    latent_sizes = json.loads(latent_sizes)
latent_sizes = sorted({int(z) for z in latent_sizes})
splits = studies.load_splits(dataset, ["train", "test"])
train_images, train_labels = splits["train"]
test_images, test_labels = splits["test"]
grey = test_images.shape[-1] == 1
base = studies.base_config(
    dataset=dataset,
    hidden_units=[hidden_width, hidden_width],
    batch_size=batch_size,
    num_epochs=num_epochs,
    max_train_examples=max_train_examples,
    seed=seed,
    activation="relu",
)

# %%
decoders = {
    # Binarised targets make the Bernoulli a true likelihood of binary images; colour images keep
    # grey levels (a cross-entropy, with no bits/dim).
    "bernoulli": {"likelihood": "bernoulli", "binarize": grey},
    "gaussian": {"likelihood": "gaussian_fitted", "dequantize": True},
}
encoders = {"mlp": {"architecture": "mlp"}, "conv": {"architecture": "conv", "hidden_units": [hidden_width]}}
sizes = {z: {"latent_dim": z} for z in latent_sizes}
grid = studies.Grid(
    {"latent_size": sizes, "decoder": decoders, "encoder": encoders}, "z={latent_size} {decoder} {encoder}"
)
variants = grid.variants()

# %%
bernoulli_targets = "dynamically binarised pixels" if grey else "grey levels, a cross-entropy"
output.settings(
    dataset=dataset,
    images="x".join(map(str, test_images.shape[1:])),
    latent_sizes=latent_sizes,
    decoders=f"Bernoulli ({bernoulli_targets}), fitted-variance Gaussian (dequantised pixels)",
    encoders=f"MLP {hidden_width}-{hidden_width}; convolutional (2 stride-2 convolutions + {hidden_width})",
    models=len(variants),
    epochs=num_epochs,
    batch_size=batch_size,
    seeds=seeds,
    log_px=f"k={eval_samples} on {eval_examples or 'all'} test images",
    backend=versions["backend"],
)

# %% [markdown]
# ## 1. Train every combination
#
# Every model has the same objective, the negative ELBO, and differs in three settings: the size
# of $z$, the decoder's likelihood $p(x \mid z)$ and the encoder. The two decoders model
# different data:
#
# * **Bernoulli:** each pixel is a coin with probability $\mu_d(z)$,
#   $-\log p(x \mid z) = -\sum_d \left[x_d \log \mu_d + (1 - x_d) \log (1 - \mu_d)\right]$. On grey
#   images the targets are binarised afresh at every pass ($x_d \sim \text{Bernoulli}(\text{pixel}_d)$),
#   so this is the probability of a binary image. On colour images the targets stay grey levels,
#   and the same formula is a cross-entropy, not a likelihood.
# * **Gaussian:** each pixel has a mean and a fitted variance, on dequantised pixels
#   $(x + u)/256$, $u \sim U(0, 1)$; this is a density over continuous values.
#
# A log-probability of binary images and a log-density of dequantised grey levels are numbers in
# different units about different data, so **likelihoods rank latent sizes and encoders within a
# decoder, never across decoders**. Across decoders, the comparison below uses the reconstruction
# error in pixel space. The table shows the mean over seeds (and, with several seeds, the
# standard deviation).

# %%
trained, table = studies.train_variants(
    base, variants, output, num_samples=eval_samples, eval_examples=eval_examples, seeds=seeds
)
grid.attach(trained)
completed = studies.completed(trained)
failed = [name for name in trained if name not in completed]
columns = ["variant", "status", "epochs", "test_elbo", "test_log_px", "test_log_px_sd", "bits_per_dim"]
columns += ["test_kl", "test_kl_sd", "pixel_mse", "pixel_mse_sd", "seconds_per_epoch"]
studies.Table(table.rows, columns=columns, only_present=True)

# %%
output.say(studies.unfinished_text(trained, completed, num_epochs, len(seeds)))

# %% [markdown]
# ## 2. Likelihood and KL against latent size
#
# The negative ELBO splits into a reconstruction term and a KL term,
#
# $$-\text{ELBO}(x) = \mathbb{E}_{q(z \mid x)}\left[-\log p(x \mid z)\right]
# + \mathrm{KL}\big(q(z \mid x) \,\Vert\, p(z)\big),$$
#
# and the importance-weighted bound with $k$ samples,
# $\log p(x) \geq \mathbb{E}\left[\log \frac{1}{k} \sum_{i=1}^{k} \frac{p(x, z_i)}{q(z_i \mid x)}\right]$,
# tightens towards $\log p(x)$ as $k$ grows. More latent dimensions give the encoder more room, but
# a dimension costs KL as soon as it carries information, so the model may leave extra dimensions
# unused: their posterior equals the prior and costs nothing. The KL term, in nats per image,
# measures how much the model actually stores in $z$. A KL below about 1 nat means $q(z \mid x)$ is
# practically the prior for every image: **posterior collapse**, in which the decoder models the
# data alone and ignores $z$. A decoder that sees local structure (the convolutional one) is the
# usual suspect.
#
# What to look for: within each decoder, where the log-likelihood stops improving with the
# latent size; and whether any model's KL sits near zero.

# %%
for d in decoders:
    series = {e: grid.series("test_log_px", "latent_size", decoder=d, encoder=e) for e in encoders}
    title = f"{d.capitalize()} decoder: test log p(x) by latent size"
    figure = studies.by_latent_size(latent_sizes, series, "test log p(x) (nats, higher is better)", title)
    output.show(figure, f"log_px_by_latent_size_{d}")
kl_series = {
    label: grid.series("test_kl", "latent_size", **fixed) for label, fixed in grid.lines("latent_size")
}
title = "What each model stores in z: test KL by latent size"
figure = studies.by_latent_size(latent_sizes, kl_series, "KL(q(z|x) || p(z)) (nats)", title)
output.show(figure, "kl_by_latent_size")

# %%
output.say(studies.log_px_ranking_text(grid))

# %%
collapsed = studies.collapsed_seeds(completed)
text = studies.collapsed_seeds_text(collapsed, completed, len(seeds))
if text:
    output.say(text)

# %% [markdown]
# ## 3. Do more latent dimensions give better reconstructions?
#
# Reconstruction error in pixel space,
# $\text{MSE} = \frac{1}{D} \lVert x - \hat{x} \rVert^2$ with $\hat{x}$ the decoder's mean for the
# posterior mean of $z$ and $x$ the test image in $[0, 1]$, does not depend on the likelihood, so
# it compares all four families on one scale. A 2-D code can only store a rough prototype of
# each image; a larger code can keep the writing style. The write-up claims that reconstructions
# improve with the latent size; the rule counts a family as improving when its error at the
# largest size is at least 5% below its error at the smallest, and leaves out a family whose
# smallest model did not train (KL below 1 nat).
#
# What to look for: the slope of each curve below, and, in the grid, test images (top row) against
# each MLP model's reconstruction, smallest $z$ first.

# %%
mse_series = {
    label: grid.series("pixel_mse", "latent_size", **fixed) for label, fixed in grid.lines("latent_size")
}
title = "Test reconstruction error in pixel space by latent size"
figure = studies.by_latent_size(
    latent_sizes, mse_series, "mean squared error per pixel (lower is better)", title
)
output.show(figure, "pixel_mse_by_latent_size", headline=True)

# %%
chosen = grid.select("z={latent_size} {decoder}", encoder="mlp")
if chosen:
    recons, names = studies.reconstructions_by_variant(chosen, num_images=10, seed=seed)
    output.show(
        plots.image_grid(
            recons,
            num_columns=10,
            row_labels=["test images"] + names[1:],
            title="Test images, then reconstructions (MLP encoder)",
        ),
        "reconstructions",
    )

# %%
family_evidence = studies.family_evidence(grid)
output.say(studies.family_mse_text(family_evidence))
# The write-up's MNIST sentence is about its fully connected Bernoulli VAE; its SVHN conclusion about
# every model.
mnist_evidence = {label: e for label, e in family_evidence.items() if label == "bernoulli mlp"}
output.verdicts(
    output.decide("more_latents_better_mnist", families=mnist_evidence),
    output.decide("more_latents_better_reconstructions", families=family_evidence),
)

# %% [markdown]
# ## 4. Bernoulli or Gaussian decoder?
#
# A Bernoulli decoder on binarised images cannot express grey levels in its targets, only in its
# probabilities; a Gaussian decoder models the grey levels directly, and with a fitted variance it
# can also say which pixels it is unsure of. Their likelihoods cannot be compared (section 1), but
# their reconstructions can: the write-up says the Gaussian does about as well as the Bernoulli.
# The rule averages the pixel MSE of the two MLP models over the latent sizes where both trained
# (KL of at least 1 nat), and calls them "about equal" within 20%.

# %%
decoder_evidence, text = studies.decoder_pairs(grid, encoder="conv")
output.say(text)
output.verdicts(output.decide("gaussian_like_bernoulli", **decoder_evidence))

# %% [markdown]
# ## 5. Does a convolutional encoder work with a large z?
#
# The convolutional model shares weights across positions: two stride-2 convolutions and one
# dense layer encode, and transposed convolutions decode. The write-up says it works well with a
# 100-dimensional latent space. The rule compares it with the MLP at the largest latent size run
# (which must be at least 50), both with the Bernoulli decoder so that their log-likelihoods are
# comparable: "works well" means a KL of at least 1 nat (no posterior collapse) and a log p(x) no
# more than 2 nats below the MLP's.

# %%
z_max = latent_sizes[-1]
conv = grid.run(latent_size=z_max, decoder="bernoulli", encoder="conv")
mlp = grid.run(latent_size=z_max, decoder="bernoulli", encoder="mlp")
if conv and mlp:
    output.say(studies.encoder_pair_text(conv, mlp, z_max))
else:
    runs = {"conv": conv, "mlp": mlp}
    unfinished = [
        grid.name_of(latent_size=z_max, decoder="bernoulli", encoder=e) for e, r in runs.items() if not r
    ]
    output.say(f"Not decided: {' and '.join(unfinished)} did not finish, so there is no pair to compare.")

# %%
if conv and mlp:
    verdict_conv = output.decide(
        "convolutions_work_at_100",
        latent_dim=z_max,
        conv_log_px=conv.row["test_log_px"],
        mlp_log_px=mlp.row["test_log_px"],
        conv_kl=conv.row["test_kl"],
        mlp_kl=mlp.row["test_kl"],
        conv_mse=conv.row["pixel_mse"],
        mlp_mse=mlp.row["pixel_mse"],
        mean_image_mse=mlp.row["mean_image_mse"],
    )
    output.verdicts(verdict_conv)

# %% [markdown]
# ## 6. The 2-D manifold and the latent scatter
#
# With $z \in \mathbb{R}^2$, decoding a grid of latent points draws the whole learned manifold.
# The grid below places 20 points along each axis at equal steps of the prior's CDF,
# $z_i = \Phi^{-1}\left(\frac{i}{21}\right)$, $i = 1, \dots, 20$, so each tile covers the same
# prior probability; rows run from high `z[1]` (the second coordinate, top) to low. The write-up says this
# manifold shows only some of the digits. To count them without judging by eye, a logistic-regression
# classifier trained on the training images labels every tile; a digit counts as shown when it
# labels at least 1% of the tiles. The count means something only if the classifier is accurate
# on real test images (at least 80%) and the model trained (KL of at least 1 nat). A classifier
# labels anything, even a grey blur, so the page also measures whether the tiles look like digits
# at all: the median root-mean-square distance from a tile to its nearest training image, beside
# the same distance for real test images.
#
# The scatter shows where the test images' posterior means fall, coloured by their label. The VAE
# never saw the labels; what to look for is whether images of one digit gather in one region, and
# which digits share a region (those are the ones the manifold can blend or drop).

# %%
z2 = grid.run(latent_size=2, decoder="bernoulli", encoder="mlp")
if z2 is not None:
    points = studies.latent_grid(plots.manifold_tiles(test_images.shape[2]), spacing="inverse_cdf")
    tiles = np.clip(z2.prepared.to_images(studies.decode_manifold(z2.vae, points)), 0.0, 1.0)
    title = "z=2 model (Bernoulli decoder, MLP encoder): manifold"
    output.show(plots.latent_manifold(tiles, points, title=title), "manifold")
    z_mean, _ = z2.vae.encode(z2.prepared.model_inputs(test_images[:5000]))
    scatter_labels = None if test_labels is None else test_labels[:5000]  # no labels: one colour
    title = "Posterior means of test images, z=2 model"
    output.show(plots.latent_scatter(z_mean, scatter_labels, title=title), "latent_scatter")
elif 2 in latent_sizes:
    output.say("The z=2 Bernoulli MLP model did not finish, so there is no manifold to draw.")
else:
    output.say(
        f"This run's latent sizes ({', '.join(map(str, latent_sizes))}) do not include 2, so there is no 2-D "
        "manifold to draw."
    )

# %%
manifold_evidence = {}
distance_ratio = claims.CLAIMS["manifold_shows_some_digits"].thresholds["max_distance_ratio"]
no_classes = studies.label_problem(train_labels)  # the tiles are counted by a classifier of the labels
if z2 is not None and not no_classes:
    kl, noun = z2.values("test_kl")[0], studies.image_noun(dataset)
    manifold_evidence, text = studies.manifold_classes(
        tiles, splits["train"], splits["test"], kl, distance_ratio, noun
    )
    output.say(text)
    output.verdicts(output.decide("manifold_shows_some_digits", **manifold_evidence))
elif z2 is not None:
    output.left_out("the count of the classes the manifold shows", no_classes)
else:
    output.say(
        "Not decided: the claim is about the manifold of a 2-D latent space, and this run has no finished "
        "z=2 Bernoulli MLP model."
    )

# %% [markdown]
# Which digits does each latent size generate? The same classifier labels 400 samples from the prior of
# each Bernoulli MLP model, and the same distance says whether they look like digits at all.

# %%
mlp_models = {z: run for z, run in grid.along("latent_size", decoder="bernoulli", encoder="mlp") if run}
if mlp_models and not no_classes:
    evidence = studies.generated_classes(mlp_models, splits["train"], splits["test"], seed=seed)
    output.verdicts(
        output.decide("digits_at_z5", **evidence), output.decide("all_digits_at_larger_z", **evidence)
    )
elif no_classes:
    output.left_out("the classes each latent size generates", no_classes)
else:
    output.say("Not decided: no Bernoulli MLP model finished.")

# %% [markdown]
# ## Conclusion

# %%
best = studies.best_by_line(grid, "test_log_px")
results = output.record(
    **{f"best_{f.replace(' ', '_')}_model": name for f, name in best.items()},
    **{f"best_{f.replace(' ', '_')}_log_px": completed[name].row["test_log_px"] for f, name in best.items()},
    collapsed_models={name: [kl for _, kl in low] for name, low in collapsed.items()},
    failed_models=failed,
    pixel_mse_by_family=family_evidence,
    manifold_tile_distance=manifold_evidence.get("tile_distance"),
    test_image_distance=manifold_evidence.get("real_distance"),
    dataset=dataset,
    latent_sizes=latent_sizes,
    num_epochs=num_epochs,
    seeds=seeds,
    eval_samples=eval_samples,
    table=table.rows,
)

# %%
lines = [
    f"On `{studies.dataset_label(dataset)}`, latent sizes {', '.join(map(str, latent_sizes))}, with "
    f"{studies.counted(num_epochs, 'epoch')} and {studies.counted(len(seeds), 'seed')} per model:"
]
for f, name in best.items():
    lines.append(
        f"* the best **{f}** model by test log p(x) is z={completed[name].config.latent_dim}, "
        f"{studies.mean_sd(completed[name].values('test_log_px'), '.2f')} nats "
        f"(KL {completed[name].row['test_kl']:.2f} nats);"
    )
if collapsed:
    stores = "stores" if len(collapsed) == 1 else "store"
    lines.append(
        f"* {studies.counted(len(collapsed), 'model')} {stores} almost nothing in z (test KL below "
        f"{claims.KL_FLOOR:g} nat): {', '.join(collapsed)};"
    )
elif completed:
    lines.append(f"* every finished model stores at least {claims.KL_FLOOR:g} nat in z (no collapse);")
if failed:
    lines.append(f"* {studies.counted(len(failed), 'model')} did not finish: {', '.join(failed)};")

# %%
lines += output.claim_lines(with_reasons=["manifold_shows_some_digits"])
undecided = output.undecided_statements()
if undecided:
    lines.append(
        "* not decided in this run (see the sections above for why): "
        + "; ".join(studies.claim_statement(s) for s in undecided)
        + "."
    )
output.say("\n".join(lines))
