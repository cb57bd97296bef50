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
#     datasets: [svhn, mnist, digits, npz]
# ---

# %% [markdown]
# # The data behind the VAE: SVHN, or the dataset you choose
#
# The Street View House Numbers dataset (SVHN) holds digits cropped from photographs of house
# numbers. Before we train a VAE on it, this notebook looks at what the model will see: how many
# images there are, how the labels are balanced, what the crops look like (on SVHN, often with
# neighbouring digits at the edges), and how the preprocessing choices of the later notebooks (scaling,
# dequantisation, PCA and PCA whitening) change the input. The `dataset` parameter can point it at
# MNIST or the embedded 8x8 digits instead; every number below is computed from the data it loads.

# %% [markdown] tags=["remove-cell"]
# ## Setup

# %% tags=["remove-output"]
import numpy as np

from vae_keras import plots, preprocessing, studies

versions = studies.setup()

# %% [markdown] tags=["remove-cell"]
# ## Parameters

# %% tags=["parameters"]
dataset: str = "svhn"  # dataset name: svhn, mnist, digits or npz:PATH
profile: str = "full"  # parameter profile these values came from (set by vae-keras run)
pca_components: int = 500  # principal components kept (the write-up used 500 of 3072)
max_train_examples: int = 20000  # training images used to fit PCA (0: all)
seed: int = 0  # seed of every random choice
out_dir: str = "runs/notebooks"  # folder for figures and results

# %%
splits = studies.load_splits(dataset, ["train", "test", "extra"])
train_images, train_labels = splits["train"]
fit_images = train_images[: max_train_examples or None]
budget = f"no training; PCA fitted on {len(fit_images):,} training images"
output = studies.begin("01_svhn_data", out_dir, dataset, profile, seed, budget)
num_pixels = int(np.prod(train_images.shape[1:]))
pca_components = studies.usable_components(fit_images, pca_components)
output.settings(
    dataset=dataset,
    image_shape="x".join(map(str, train_images.shape[1:])),
    values_per_image=num_pixels,
    pca_components=pca_components,
    pca_fit_images=len(fit_images),
    seed=seed,
    backend=versions["backend"],
)

# %% [markdown]
# ## 1. Formats and splits
#
# Which images, how many, of what shape, and how bright on average? The table below describes the
# data this run loaded; for SVHN, the paragraph above it also explains the dataset's two formats.

# %%
if studies.family_of(dataset) == "svhn":
    output.say(
        "SVHN comes in two formats. **Format 1** holds the original, variable-size photographs with a "
        "bounding box per digit: a detection problem. **Format 2** holds 32x32 RGB crops centred on one "
        "digit each, MNIST-like: a classification (or, for us, density-modelling) problem. Format 2 has "
        'three splits: `train`, `test` and `extra` ("somewhat less difficult" samples). The VAE studies use '
        "format 2."
    )
    if dataset != "svhn":
        output.say(
            f"This run loaded `{studies.dataset_label(dataset)}`: real SVHN format-2 crops, fewer than the "
            "full dataset's; the table gives how many."
        )
else:
    output.say(f"This run loaded `{studies.dataset_label(dataset)}`, not SVHN: the page describes that data.")
studies.split_table(splits)

# %% [markdown]
# ## 2. Label balance
#
# A generative model reproduces the label frequencies of its training data: if one label is twice
# as common as another, random samples should show it about twice as often. House numbers are a
# case where labels need not be balanced: by Benford's law, numbers that occur in the wild start
# with small digits more often than with large ones. What to look for: how far each label's share
# is from an even split.

# %%
label_shares = studies.label_shares(splits)
unlabelled = [name for name in splits if name not in label_shares]
no_labels = studies.label_problem(train_labels, min_classes=1)
if no_labels:
    output.left_out("the label figures (the label balance, and the images grouped by label)", no_labels)
else:
    if unlabelled:
        output.say(f"Split(s) {', '.join(unlabelled)} carry no labels and are left out of the label figures.")
    output.show(
        plots.class_balance({name: splits[name][1] for name in label_shares}), "class_balance", headline=True
    )
    output.say(studies.label_balance_text(label_shares["train"]))

# %% [markdown]
# ## 3. What the images look like
#
# Ten random training images per label. For SVHN, colours, fonts, contrast and blur vary far more
# than in MNIST, and light-on-dark and dark-on-light digits both occur. A likelihood over raw
# pixels has to account for all of that, so a VAE on SVHN can spend much of its capacity on colour
# and lighting rather than on the digit's identity.

# %%
if no_labels:
    output.show(
        plots.image_grid(train_images[:50], num_columns=10, title="The first 50 training images"), "examples"
    )
else:
    chosen = studies.examples_per_class(train_labels, per_class=10, seed=seed)
    output.show(
        plots.image_grid(
            train_images[chosen],
            num_columns=10,
            title="Ten training images of each label",
            row_labels=[f"label {label}" for label in np.unique(train_labels)],
        ),
        "examples",
    )

# %% [markdown]
# ### Images with busy side borders
#
# An SVHN crop is centred on one digit, but the neighbouring digits of the house number often stay
# in view at the left and right edges. These "distractors" are part of the data the VAE must
# reconstruct. The images below are the ones whose side borders vary most relative to their
# centre, a simple heuristic for finding them. What to look for: on SVHN, neighbouring digits at
# the edges; on a dataset of centred single digits, which digits the heuristic picks instead.

# %%
distractors = studies.find_distractor_crops(train_images, count=24)
output.show(
    plots.image_grid(train_images[distractors], num_columns=12, title="Busiest side borders"),
    "distractor_crops",
)

# %% [markdown]
# ## 4. Preprocessing choices
#
# **Scaling.** Pixels are divided by 255 so that they lie in $[0, 1]$.
#
# **Dequantisation.** Pixels are integers, but a Gaussian decoder is a density over real numbers:
# on integer data it can put unbounded density on exact values. Adding uniform noise,
# $\tilde{x} = (x + u)/256$ with $u \sim U(0, 1)$ redrawn every epoch, makes the continuous
# likelihood a lower bound on the probability of the 8-bit image, so the bits/dim reported later
# are honest upper bounds.
#
# **PCA.** The SVHN write-up trains its MLP on the first 500 principal components of the 3072
# pixel values. How much of the images' variance do the leading components hold?

# %%
pca = preprocessing.PCA(pca_components, whiten=False, seed=seed).fit(fit_images)
variance_kept = np.cumsum(pca.explained_variance) / studies.total_variance(fit_images)
counts = np.arange(1, pca_components + 1)
output.show(
    plots.curves(
        counts,
        {"cumulative share of variance": variance_kept},
        "components kept",
        "share of pixel variance",
        title="PCA on training images",
        log_x=True,
    ),
    "pca_variance",
)
shown_counts = sorted({1, 10, 50, 100, pca_components} & set(counts))
output.say(
    "Share of the pixel variance kept: "
    + ", ".join(f"{studies.counted(k, 'component')}: {variance_kept[k - 1]:.1%}" for k in shown_counts)
    + "."
)

# %% [markdown]
# The rows below are the originals, then reconstructions from more and more components. What to
# look for: at how many components the reconstructions become hard to tell from the originals.

# %%
ks = [k for k in (5, 20, 50, 100, pca_components) if k <= pca_components]
grid, pca_mse = studies.pca_reconstructions(train_images[:10], ks, seed=seed, fit_images=fit_images)
output.show(
    plots.image_grid(
        grid,
        num_columns=10,
        row_labels=["original"] + [f"k = {k}" for k in ks],
        title="Originals, then PCA reconstructions",
    ),
    "pca_reconstructions",
)
output.say(
    "Mean squared reconstruction error per pixel: "
    + ", ".join(f"k = {k}: {v:.2e}" for k, v in pca_mse.items())
    + "."
)

# %% [markdown]
# **Whitening** divides each component by its standard deviation, so all of them have unit
# variance. A Gaussian decoder in whitened space then weighs an error on the last component (fine
# texture and noise) as much as an error on the first (overall brightness). Below, the same amount
# of noise, $\mathcal{N}(0, 0.3^2)$, is added to every whitened component and mapped back to
# pixels. What to look for: how visible that noise is. If equal errors on every component barely
# change the image, a model that spends equal effort on every component wastes most of it, the
# intuition behind the write-up's report that whitening did not help (notebook 03 tests it).

# %%
pca_whitened = preprocessing.PCA(pca_components, whiten=True, seed=seed).fit(fit_images)
clean, noisy = studies.whitening_noise(pca_whitened, train_images[:10], noise_std=0.3, seed=seed)
output.show(
    plots.image_grid(
        np.concatenate([clean, noisy]),
        num_columns=10,
        row_labels=["clean", "noisy"],
        title="Whitened PCA: N(0, 0.3^2) added to every component",
    ),
    "whitening_noise",
)
whitening_pixel_rms = float(np.sqrt(np.mean((noisy - clean) ** 2)))
pixel_std = float(preprocessing.to_unit_interval(train_images[:1000]).std())
output.say(
    f"The noise moves pixels by {whitening_pixel_rms:.3f} RMS, against a pixel standard deviation of "
    f"{pixel_std:.3f} in the images themselves ({whitening_pixel_rms / pixel_std:.0%} of it)."
)

# %% [markdown]
# ## Conclusion

# %%
train_shares = label_shares.get("train", {})
results = output.record(
    dataset=dataset,
    split_sizes={name: len(images) for name, (images, _) in splits.items()},
    label_shares_train=train_shares,
    most_common_label=max(train_shares, key=train_shares.get) if train_shares else None,
    pca_components=pca_components,
    pca_variance_kept=float(variance_kept[-1]),
    pca_mse=pca_mse[max(pca_mse)],
    whitening_noise_pixel_rms=whitening_pixel_rms,
)
sizes = ", ".join(f"{name} {size:,} images" for name, size in results["split_sizes"].items())
labels = studies.label_balance_text(train_shares) if train_shares else f"No label figures: {no_labels}."
lines = [
    f"* `{studies.dataset_label(dataset)}`: {sizes}.",
    f"* {labels}",
    f"* {studies.counted(pca_components, 'principal component')} keep {results['pca_variance_kept']:.2%} of "
    f"the pixel variance (reconstruction error {results['pca_mse']:.2e} per pixel).",
    "* Noise of standard deviation 0.3 on every whitened component moves pixels by "
    f"{whitening_pixel_rms:.3f} RMS.",
]
output.say("\n".join(lines))
