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
# (the latent sizes in the settings table) on one dataset and decides each claim from the run's numbers. Along the way it shows what the
# likelihoods hide: reconstructions, the KL term (how much each model stores in $z$), and the
# 2-D manifold.

# %% [markdown] tags=["remove-cell"]
# ## Setup

# %% tags=["remove-output"]
import json

import numpy as np

from vae_keras.writeup import claims
from vae_keras import plots, preprocessing, studies

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
studies.seed_everything(seed)
output = studies.Output(out_dir, "07_latent_dimensions")
output.banner(dataset, profile, studies.budget_text(num_epochs, max_train_examples, num_seeds, batch_size))
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
decoders = {
    # Binarised targets make the Bernoulli a true likelihood of binary images; colour images keep
    # grey levels (a cross-entropy, with no bits/dim).
    "bernoulli": {"likelihood": "bernoulli", "binarize": grey},
    "gaussian": {"likelihood": "gaussian_fitted", "dequantize": True},
}
encoders = {"mlp": {"architecture": "mlp"}, "conv": {"architecture": "conv", "hidden_units": [hidden_width]}}
families = [f"{d} {e}" for d in decoders for e in encoders]
variants = {
    f"z={z} {d} {e}": {"latent_dim": z, **decoders[d], **encoders[e]}
    for z in latent_sizes
    for d in decoders
    for e in encoders
}
output.settings(
    dataset=dataset,
    images="x".join(map(str, test_images.shape[1:])),
    latent_sizes=latent_sizes,
    decoders="Bernoulli ("
    + ("dynamically binarised pixels" if grey else "grey levels, a cross-entropy")
    + "), fitted-variance Gaussian (dequantised pixels)",
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
completed = {name: v for name, v in trained.items() if v.vae is not None}
failed = [name for name in trained if name not in completed]
studies.Table(
    table.rows,
    columns=[
        c
        for c in (
            "variant",
            "status",
            "epochs",
            "test_elbo",
            "test_log_px",
            "test_log_px_sd",
            "bits_per_dim",
            "test_kl",
            "test_kl_sd",
            "pixel_mse",
            "pixel_mse_sd",
            "seconds_per_epoch",
        )
        if any(c in r for r in table.rows)
    ],
)

# %%
if failed:
    output.say(
        f"{len(failed)} of {len(trained)} models did not finish (every seed diverged) and are left out below: "
        + "; ".join(
            f"**{n}** ({trained[n].row['status']} after {studies.counted(int(trained[n].row['epochs']), 'epoch')})"
            for n in failed
        )
        + "."
    )
else:
    output.say(
        f"All {len(trained)} models finished their {studies.counted(num_epochs, 'epoch')} with "
        + (f"every seed ({len(seeds)})." if len(seeds) > 1 else "their one seed.")
    )

# %% [markdown]
# ## 2. Likelihood and KL against latent size
#
# The negative ELBO splits into a reconstruction term and a KL term,
#
# $$-\text{ELBO}(x) = \mathbb{E}_{q(z \mid x)}\left[-\log p(x \mid z)\right] + \mathrm{KL}\big(q(z \mid x) \,\Vert\, p(z)\big),$$
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
    series = {
        e: [
            completed[f"z={z} {d} {e}"].row["test_log_px"] if f"z={z} {d} {e}" in completed else np.nan
            for z in latent_sizes
        ]
        for e in encoders
    }
    output.show(
        plots.curves(
            latent_sizes,
            series,
            "latent size",
            "test log p(x) (nats, higher is better)",
            log_x=True,
            markers=True,
            title=f"{d.capitalize()} decoder: test log p(x) by latent size",
        ),
        f"log_px_by_latent_size_{d}",
    )
kl_series = {
    f: [completed[f"z={z} {f}"].row["test_kl"] if f"z={z} {f}" in completed else np.nan for z in latent_sizes]
    for f in families
}
output.show(
    plots.curves(
        latent_sizes,
        kl_series,
        "latent size",
        "KL(q(z|x) || p(z)) (nats)",
        log_x=True,
        markers=True,
        title="What each model stores in z: test KL by latent size",
    ),
    "kl_by_latent_size",
)

# %%
lines = []
for f in families:
    names = sorted((n for n in completed if n.endswith(f" {f}")), key=lambda n: -completed[n].row["test_log_px"])
    if not names:
        lines.append(f"* **{f}**: no model finished.")
        continue
    line = f"* **{f}**: " + "; ".join(
        f"z={completed[n].config.latent_dim} {studies.mean_sd(completed[n].values('test_log_px'), '.2f')}"
        for n in names
    )
    if len(names) > 1:
        best, second = completed[names[0]], completed[names[1]]
        line += (
            f" (best z={best.config.latent_dim} against z={second.config.latent_dim}: "
            + studies.claims_gap(
                best.values("test_log_px"),
                second.values("test_log_px"),
                f"z={best.config.latent_dim}",
                f"z={second.config.latent_dim}",
                lower_is_better=False,
            )
            + ")"
        )
    lines.append(line + ".")
output.say(
    "Test log p(x) in nats, best first, within each decoder and encoder (mean ± sd over seeds):\n\n" + "\n".join(lines)
)

# %%
collapsed = {
    name: [
        (row["seed"], row["test_kl"])
        for row in v.seed_rows
        if row.get("status") == "completed" and row["test_kl"] < claims.KL_FLOOR
    ]
    for name, v in completed.items()
}
collapsed = {name: low for name, low in collapsed.items() if low}
if collapsed:
    output.say(
        f"**Test KL below {claims.KL_FLOOR:g} nat** (z carries almost nothing: posterior collapse, or too "
        f"little training to use z) in {len(collapsed)} of {len(completed)} finished models: "
        + "; ".join(
            f"**{name}** " + ", ".join(f"{kl:.2f} nats" + (f" (seed {s})" if len(seeds) > 1 else "") for s, kl in low)
            for name, low in collapsed.items()
        )
        + ". Their reconstructions and log-likelihoods come from the decoder alone."
    )
elif completed:
    output.say(
        f"No model collapsed: every finished model has a test KL of at least {claims.KL_FLOOR:g} nat (the "
        f"lowest is {min(v.row['test_kl'] for v in completed.values()):.2f} nats, "
        f"{min(completed, key=lambda n: completed[n].row['test_kl'])})."
    )

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
    f: [completed[f"z={z} {f}"].row["pixel_mse"] if f"z={z} {f}" in completed else np.nan for z in latent_sizes]
    for f in families
}
output.show(
    plots.curves(
        latent_sizes,
        mse_series,
        "latent size",
        "mean squared error per pixel (lower is better)",
        log_x=True,
        markers=True,
        title="Test reconstruction error in pixel space by latent size",
    ),
    "pixel_mse_by_latent_size",
    headline=True,
)

# %%
chosen = {
    f"z={z} {d}": completed[f"z={z} {d} mlp"] for z in latent_sizes for d in decoders if f"z={z} {d} mlp" in completed
}
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
family_evidence = {}
for f in families:
    members = [completed[f"z={z} {f}"] for z in latent_sizes if f"z={z} {f}" in completed]
    if members:
        family_evidence[f] = {
            "latent_sizes": [v.config.latent_dim for v in members],
            "pixel_mse": [v.row["pixel_mse"] for v in members],
            "kl": [v.row["test_kl"] for v in members],
            "mean_image_mse": members[0].row["mean_image_mse"],
        }
if family_evidence:
    output.say(
        "Pixel MSE by latent size (mean over seeds): "
        + "; ".join(
            f"**{f}** " + ", ".join(f"z={z} {m:.4f}" for z, m in zip(e["latent_sizes"], e["pixel_mse"]))
            for f, e in family_evidence.items()
        )
        + "."
    )
else:
    output.say("No model finished, so there is no reconstruction error to compare.")
# The write-up's MNIST sentence is about its fully connected Bernoulli VAE; its SVHN conclusion about every model.
output.verdicts(
    output.decide(
        "more_latents_better_mnist", families={f: e for f, e in family_evidence.items() if f == "bernoulli mlp"}
    ),
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
sizes_both = [z for z in latent_sizes if {f"z={z} bernoulli conv", f"z={z} gaussian conv"} <= set(completed)]
pairs = [(completed[f"z={z} bernoulli conv"], completed[f"z={z} gaussian conv"]) for z in sizes_both]
if pairs:
    output.say(
        "Pixel MSE, Bernoulli against Gaussian (convolutional encoder): "
        + "; ".join(
            f"z={z} {b.row['pixel_mse']:.4f} vs {g.row['pixel_mse']:.4f} (KL {b.row['test_kl']:.1f} vs "
            f"{g.row['test_kl']:.1f} nats)"
            for z, (b, g) in zip(sizes_both, pairs)
        )
        + "."
    )
else:
    output.say("No latent size has both a finished Bernoulli and a finished Gaussian convolutional model.")
verdict_decoders = output.decide(
    "gaussian_like_bernoulli",
    latent_sizes=sizes_both,
    bernoulli_mse=[b.row["pixel_mse"] for b, _ in pairs],
    gaussian_mse=[g.row["pixel_mse"] for _, g in pairs],
    bernoulli_kl=[b.row["test_kl"] for b, _ in pairs],
    gaussian_kl=[g.row["test_kl"] for _, g in pairs],
    mean_image_mse=pairs[0][0].row["mean_image_mse"] if pairs else None,
)
output.verdicts(verdict_decoders)

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
conv_name, mlp_name = f"z={z_max} bernoulli conv", f"z={z_max} bernoulli mlp"
if {conv_name, mlp_name} <= set(completed):
    conv, mlp = completed[conv_name], completed[mlp_name]
    output.say(
        f"At z={z_max} with the Bernoulli decoder: test log p(x) "
        f"{studies.mean_sd(conv.values('test_log_px'), '.2f')} (convolutional) against "
        f"{studies.mean_sd(mlp.values('test_log_px'), '.2f')} nats (MLP); KL "
        f"{studies.mean_sd(conv.values('test_kl'), '.2f')} against "
        f"{studies.mean_sd(mlp.values('test_kl'), '.2f')} nats."
    )
    output.verdicts(
        output.decide(
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
    )
else:
    output.say(
        f"Not decided: {' and '.join(n for n in (conv_name, mlp_name) if n not in completed)} did not finish, "
        "so there is no pair to compare."
    )

# %% [markdown]
# ## 6. The 2-D manifold and the latent scatter
#
# With $z \in \mathbb{R}^2$, decoding a grid of latent points draws the whole learned manifold.
# The grid below places 20 points along each axis at equal steps of the prior's CDF,
# $z_i = \Phi^{-1}\left(\frac{i}{21}\right)$, $i = 1, \dots, 20$, so each tile covers the same
# prior probability; rows run from high `z[1]` (the second coordinate, top) to low. The write-up says this manifold shows
# only some of the digits. To count them without judging by eye, a logistic-regression
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
z2 = completed.get("z=2 bernoulli mlp")
if z2 is not None:
    grid = studies.latent_grid(20, spacing="inverse_cdf")
    tiles = np.clip(z2.prepared.to_images(studies.decode_manifold(z2.vae, grid)), 0.0, 1.0)
    output.show(
        plots.latent_manifold(tiles, grid, title="z=2 model (Bernoulli decoder, MLP encoder): manifold"), "manifold"
    )
    z_mean, _ = z2.vae.encode(z2.prepared.model_inputs(test_images[:5000]))
    scatter_labels = None if test_labels is None else test_labels[:5000]  # no labels: one colour
    output.show(
        plots.latent_scatter(z_mean, scatter_labels, title="Posterior means of test images, z=2 model"),
        "latent_scatter",
    )
elif 2 in latent_sizes:
    output.say("The z=2 Bernoulli MLP model did not finish, so there is no manifold to draw.")
else:
    output.say(
        f"This run's latent sizes ({', '.join(map(str, latent_sizes))}) do not include 2, so there is no 2-D "
        "manifold to draw."
    )

# %%
tile_distance = test_distance = None
distance_ratio = claims.CLAIMS["manifold_shows_some_digits"].thresholds["max_distance_ratio"]
no_classes = studies.label_problem(train_labels)  # the tiles are counted by a classifier of the labels
if z2 is not None and not no_classes:
    manifold_evidence, text = studies.manifold_classes(
        tiles, splits["train"], splits["test"], z2.values("test_kl")[0], distance_ratio, studies.image_noun(dataset)
    )
    tile_distance, test_distance = manifold_evidence["tile_distance"], manifold_evidence["real_distance"]
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
mlp_models = {z: completed[f"z={z} bernoulli mlp"] for z in latent_sizes if f"z={z} bernoulli mlp" in completed}
if mlp_models and not no_classes:
    classify, classifier_accuracy = studies.digit_classifier(train_images, train_labels, test_images, test_labels)
    reference = preprocessing.to_unit_interval(train_images[:5000])
    real_distance = float(
        np.median(studies.nearest_distances(preprocessing.to_unit_interval(test_images[:400]), reference))
    )
    found = {z: studies.prior_sample_digits(v, classify, reference, seed=seed) for z, v in mlp_models.items()}
    evidence = dict(
        latent_sizes=list(found),
        sample_labels=[labels for labels, _ in found.values()],
        num_classes=len(np.unique(train_labels)),
        classifier_accuracy=classifier_accuracy,
        kls=[mlp_models[z].row["test_kl"] for z in found],
        sample_distances=[d for _, d in found.values()],
        real_distance=real_distance,
    )
    output.verdicts(output.decide("digits_at_z5", **evidence), output.decide("all_digits_at_larger_z", **evidence))
elif no_classes:
    output.left_out("the classes each latent size generates", no_classes)
else:
    output.say("Not decided: no Bernoulli MLP model finished.")

# %% [markdown]
# ## Conclusion

# %%
best = {}
for f in families:
    members = [n for n in completed if n.endswith(f" {f}")]
    if members:
        best[f] = max(members, key=lambda n: completed[n].row["test_log_px"])
results = output.record(
    **{f"best_{f.replace(' ', '_')}_model": name for f, name in best.items()},
    **{f"best_{f.replace(' ', '_')}_log_px": completed[name].row["test_log_px"] for f, name in best.items()},
    collapsed_models={name: [kl for _, kl in low] for name, low in collapsed.items()},
    failed_models=failed,
    pixel_mse_by_family=family_evidence,
    manifold_tile_distance=tile_distance,
    test_image_distance=test_distance,
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
    lines.append(
        f"* {studies.counted(len(collapsed), 'model')} store{'s' if len(collapsed) == 1 else ''} almost nothing in z (test KL below {claims.KL_FLOOR:g} nat): "
        f"{', '.join(collapsed)};"
    )
elif completed:
    lines.append(f"* every finished model stores at least {claims.KL_FLOOR:g} nat in z (no collapse);")
if failed:
    lines.append(f"* {studies.counted(len(failed), 'model')} did not finish: {', '.join(failed)};")

# %%
if tile_distance is not None and tile_distance > distance_ratio * test_distance:
    lines.append(
        f"* the z=2 manifold's tiles are more than {distance_ratio:g} times as far from the training images "
        f"as real test images are (median RMS distance {tile_distance:.3f} vs {test_distance:.3f}), so the "
        "count of classes it shows rests on labels of tiles unlike any training image;"
    )
lines += output.claim_lines()
undecided = [c.statement for c in claims.for_notebook("07_latent_dimensions") if c.id not in output.claims]
if undecided:
    lines.append(
        "* not decided in this run (see the sections above for why): " + "; ".join(studies.claim_statement(s) for s in undecided) + "."
    )
output.say("\n".join(lines))
