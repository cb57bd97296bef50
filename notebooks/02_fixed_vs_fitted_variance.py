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
# # Fixed or fitted decoder variance?
#
# A VAE with a Gaussian decoder needs a variance for $p(x \mid z)$. The simplest choice fixes one
# $\sigma$ for every pixel. The SVHN write-up instead let the decoder predict a variance for each
# pixel, and reported that it needed a floor on that variance (its "varlog epsilon") to avoid
# NaNs. A third option learns one shared $\sigma$ for all pixels. This page trains the same model
# all three ways and asks two of the write-up's questions: does a fitted variance beat a fixed
# one, and is the floor really needed? Along the way it shows why a fixed $\sigma$ is a weight on
# the KL term in disguise.

# %% [markdown] tags=["remove-cell"]
# ## Setup

# %% tags=["remove-output"]
import numpy as np

from vae_keras import checks, plots, studies

versions = studies.setup()

# %% [markdown] tags=["remove-cell"]
# ## Parameters

# %% tags=["parameters"]
dataset: str = "svhn"  # dataset name: svhn, mnist, digits or npz:PATH
profile: str = "full"  # parameter profile these values came from (set by vae-keras run)
num_epochs: int = 100  # training epochs of each variant
max_train_examples: int = 0  # use at most this many training images (0: all)
batch_size: int = 1000  # examples per step (the write-up's big batch)
hidden_width: int = 1024  # width of the two hidden layers of encoder and decoder
latent_dim: int = 50  # size of z
learning_rate: float = 0.001  # Adam learning rate
sigmas: list = [0.05, 0.1, 0.2]  # fixed decoder standard deviations to compare
variance_floors: list = [0.1, 0.01, 0.001]  # variance floors (varlog epsilon) of the fitted decoder
unstable_floor: float = 1e-09  # a floor too small to be safe, trained on undequantised pixels
unstable_epochs: int = 0  # epochs of that raw-pixel run (0: num_epochs)
num_seeds: int = 3  # seeds per variant: the verdicts compare gaps with the seed-to-seed spread
eval_samples: int = 1000  # importance samples per test image for log p(x)
eval_examples: int = 2000  # test images evaluated (0: all)
seed: int = 0  # seed of weights, sampling and shuffling
out_dir: str = "runs/notebooks"  # folder for runs, figures and results

# %%
budget = studies.budget_text(num_epochs, max_train_examples, num_seeds, batch_size)
output = studies.begin(
    "02_fixed_vs_fitted_variance", out_dir, dataset, profile, seed, budget, written_for="svhn"
)
seeds = studies.seeds_for(seed, num_seeds)
base = studies.fitted_mlp_config(
    dataset,
    hidden_width,
    latent_dim,
    input_space="pixels",
    dequantize=True,
    learning_rate=learning_rate,
    batch_size=batch_size,
    num_epochs=num_epochs,
    max_train_examples=max_train_examples,
    seed=seed,
    clipnorm=100.0,
)
variants = {f"fixed sigma={s:g}": {"likelihood": "gaussian_fixed", "sigma": s} for s in sigmas}
variants |= {f"fitted floor={f:g}": {"variance_floor": f} for f in variance_floors}
variants["shared sigma"] = {"likelihood": "gaussian_shared"}
unstable_name = f"fitted floor={unstable_floor:g}, raw pixels"
unstable_epochs = checks.integer("unstable_epochs", unstable_epochs, 0) or num_epochs
unstable_changes = {"variance_floor": unstable_floor, "dequantize": False, "num_epochs": unstable_epochs}

# %%
output.settings(
    dataset=dataset,
    model=f"MLP {hidden_width}-{hidden_width}, z={latent_dim}",
    epochs=num_epochs,
    batch_size=batch_size,
    optimizer=f"Adam {learning_rate:g}, clipnorm 100",
    seeds=seeds,
    inputs="pixels in [0, 1], uniformly dequantised",
    floor_run=f"floor {unstable_floor:g} on raw pixels, {studies.counted(unstable_epochs, 'epoch')}, 1 seed",
    log_px=f"k={eval_samples} on {eval_examples or 'all'} test images",
    backend=versions["backend"],
)

# %% [markdown]
# ## 1. Three ways to set the decoder's variance
#
# The decoder outputs a mean $\mu(z)$ for every pixel, and the Gaussian likelihood of an image with
# $D$ values is
#
# $$-\log p(x \mid z) = \sum_{d=1}^{D} \left[ \frac{(x_d - \mu_d)^2}{2\sigma_d^2} + \log \sigma_d
# + \tfrac{1}{2}\log 2\pi \right].$$
#
# * **Fixed:** $\sigma_d = \sigma$ for every pixel, a hyperparameter.
# * **Fitted:** the decoder outputs a second map, $r(z)$, and $\sigma_d^2 = e^{r_d} + \epsilon$. The floor
#   $\epsilon$ keeps $1/\sigma_d^2$ at most $1/\epsilon$.
# * **Shared:** one learned $\sigma$ for all pixels (the $\sigma$-VAE).
#
# All variants see the same dequantised pixels, $(x + u)/256$ with $u \sim U(0, 1)$, so their
# likelihoods are densities of the same data and can be ranked. Each is trained with every seed
# listed above; the table shows the mean over seeds and, with several seeds, the standard deviation
# of bits/dim.

# %%
trained, table = studies.train_variants(
    base, variants, output, num_samples=eval_samples, eval_examples=eval_examples, seeds=seeds
)
unstable_runs, _ = studies.train_variants(
    base, {unstable_name: unstable_changes}, output, num_samples=eval_samples, eval_examples=eval_examples
)
unstable = unstable_runs[unstable_name]
columns = ["variant", "status", "epochs", "test_elbo", "test_log_px", "bits_per_dim", "bits_per_dim_sd"]
studies.Table(table.rows, columns=columns + ["test_kl", "pixel_mse"], only_present=True)

# %% [markdown]
# ## 2. Which variance gives the best likelihood?
#
# Bits per dimension turn the test log-likelihood into a per-pixel cost:
# $\text{bits/dim} = -\log p(x) / (D \ln 2) + \log_2 256$, where the last term accounts for the
# dequantisation. Lower is better, and a model that puts equal probability on all 256 grey levels
# scores exactly 8, so anything at or above 8 has learned nothing useful.
#
# A fixed $\sigma$ puts a floor under every pixel's cost: even a perfect mean pays
# $\log(\sigma\sqrt{2\pi})$ nats per pixel. A fitted variance can shrink where the decoder is sure
# and grow where it is not. What to look for: whether the best fitted variant scores clearly
# lower than the best fixed one, by more than the spread between seeds.

# %%
completed = studies.completed(trained)
comparable = {name: v for name, v in completed.items() if v.row.get("bits_per_dim") is not None}
output.show(
    plots.bars(
        {name: v.row["bits_per_dim"] for name, v in comparable.items()},
        "bits/dim (test, lower is better)",
        title="Test bits per dimension (mean over seeds)",
    ),
    "bits_per_dim",
    headline=True,
)

# %%
ranking = studies.ranked(comparable, "bits_per_dim")
if ranking:
    lead = "Ranked by test bits/dim (mean ± sd over seeds)"
    text = studies.ranking_text(comparable, ranking, "bits_per_dim", lead, ".3f")
    output.say(text + studies.uniform_note(comparable[ranking[0]].row["bits_per_dim"]))
best_fixed = studies.best_named(comparable, "fixed", "bits_per_dim")
best_fitted = studies.best_named(comparable, "fitted", "bits_per_dim")

# %%
if best_fixed and best_fitted:
    prepared = comparable[best_fitted].prepared
    factorised = studies.factorised_bits_per_dim(prepared.train[0], prepared.test[0])
    output.say(
        f"The best factorised model (one histogram of grey levels per pixel, no latent code) scores "
        f"{factorised:.3f} bits/dim on the same test images: a VAE that learned must do clearly better."
    )
    verdict_fixed = output.decide(
        "fixed_sigma_poor",
        fixed=comparable[best_fixed].values("bits_per_dim"),
        fitted=comparable[best_fitted].values("bits_per_dim"),
        kl=comparable[best_fixed].values("test_kl") + comparable[best_fitted].values("test_kl"),
        factorised_bits=factorised,
        fixed_name=best_fixed,
        fitted_name=best_fitted,
    )
else:
    reason = "no completed fixed-sigma and fitted-variance pair to compare"
    verdict_fixed = output.undecided("fixed_sigma_poor", reason)
output.verdicts(verdict_fixed)

# %% [markdown]
# ## 3. Samples and reconstructions
#
# Likelihood is not the whole story. A small fixed $\sigma$ makes reconstruction errors expensive,
# so it should reconstruct sharply but regularise $z$ less; a large one the reverse. What to look
# for: sharpness of the reconstructions against the plausibility of the samples, row by row.

# %%
output.show_samples_and_reconstructions(completed, num_images=10, seed=seed)

# %% [markdown]
# ### What the fitted variance learns
#
# A fitted decoder can say where it is unsure. If it uses that freedom well, its predicted
# standard deviation should be larger along edges, where a small shift of a stroke changes a
# pixel a lot, than on flat background. Below: reconstructions (top) and the predicted standard
# deviation per pixel (bottom, scaled to the largest value shown); the sentence under the figure
# measures the correlation between the predicted deviation and the edge strength of the
# reconstruction.

# %%
fitted_name = next((n for n in completed if n.startswith("fitted")), None)
if fitted_name is not None:
    recon, std = studies.predicted_std(completed[fitted_name], num_images=10, seed=seed)
    output.show(
        plots.image_grid(
            np.concatenate([recon, std / std.max()]),
            num_columns=10,
            row_labels=["reconstruction", "predicted std"],
            title=f"{fitted_name} (std up to {std.max():.3f})",
        ),
        "predicted_std",
    )
    output.say(studies.predicted_std_text(recon, std))

# %% [markdown]
# ## 4. Is the floor needed?
#
# Without dequantisation, some pixels take exactly the same value in many images (saturated
# backgrounds). A fitted variance can then shrink towards zero on those pixels and collect an
# unbounded likelihood, and the gradient through $e^{-r_d}$ grows without limit. The last variant
# runs that risk on purpose: a floor far below any safe one (`unstable_floor` in the parameters;
# $10^{-9}$ by default) on raw, undequantised pixels, for `unstable_epochs` epochs (by default as many as
# the others; a profile may give it longer to settle or diverge). If a loss term
# becomes NaN or infinite, the divergence guard stops the run and names the epoch, batch and term.
# What to look for: whether it diverges, and after how many training examples. A run that simply
# has not seen enough data to diverge is not evidence that the floor is unneeded; and since the
# claim is that training *can* go NaN, stable runs refute it only when there are enough of them to
# bound how often a run diverges (the rule is in the verdict box below).
# Every variant here clips the gradient's norm at 100, itself a guard against the runaway
# steps a vanishing variance causes; a run that stays finite says the floor is not needed *with*
# that clipping.

# %%
compared = ({fitted_name: trained[fitted_name]} if fitted_name else {}) | {unstable_name: unstable}
curves = studies.training_curves(compared)
if curves:
    floor_title = f"A floor of {unstable_floor:g} on raw pixels"
    if fitted_name:
        floor_title = f"{fitted_name} against a floor of {unstable_floor:g} on raw pixels"
    output.show(studies.epoch_curves(curves, "negative ELBO (nats)", floor_title), "unsafe_floor")

# %%
num_train = len(next(iter(completed.values())).prepared.train[0]) if completed else 0
examples_seen = int(unstable.row["epochs"]) * num_train
output.say(studies.floor_run_text(unstable, unstable_floor, num_train))
verdict_floor = output.decide(
    "variance_floor_needed",
    statuses=[r["status"] for r in unstable.seed_rows],
    examples_seen=examples_seen,
    errors=[r.get("error") for r in unstable.seed_rows],
    clipnorm=base.clipnorm,
)
output.verdicts(verdict_floor)

# %% [markdown]
# ## 5. Why a fixed $\sigma$ is a weight on the KL term
#
# With a fixed $\sigma$ the reconstruction term is
# $\frac{1}{2\sigma^2}\lVert x - \mu \rVert^2 + D \log(\sigma\sqrt{2\pi})$, and the last part is a
# constant. Multiplying the whole negative ELBO by $2\sigma^2$ does not move its optimum, and gives
#
# $$\lVert x - \mu \rVert^2 + 2\sigma^2 \, \mathrm{KL}\big(q(z \mid x) \,\Vert\, p(z)\big) + \text{const}:$$
#
# a squared-error autoencoder with a KL weight $\beta = 2\sigma^2$. Choosing $\sigma$ is choosing
# $\beta$: a small $\sigma$ means sharp reconstructions and a weakly regularised latent space. A
# learned $\sigma$ lets the data set that trade-off.

# %%
beta_rows = [{"sigma": s, "beta = 2 sigma^2": studies.effective_beta(s)} for s in sigmas]
shared = completed.get("shared sigma")
learned_sigma = shared.vae.likelihood.sigma() if shared else None
if shared:
    beta_rows.append({"sigma": learned_sigma, "beta = 2 sigma^2": studies.effective_beta(learned_sigma)})
    output.say(
        f"The shared variance settled at $\\sigma = {learned_sigma:.4f}$ (first seed), which corresponds to "
        f"$\\beta = {studies.effective_beta(learned_sigma):.4g}$."
    )
studies.Table(
    beta_rows,
    title="Fixed sigma and the KL weight it implies"
    + (" (last row: the learned shared sigma)" if shared else ""),
)

# %% [markdown]
# ## Conclusion

# %%
results = output.record(
    best_variant=ranking[0] if ranking else None,
    best_bits_per_dim=comparable[ranking[0]].row["bits_per_dim"] if ranking else None,
    best_fixed=best_fixed,
    best_fitted=best_fitted,
    learned_shared_sigma=learned_sigma,
    unstable_status=unstable.row["status"],
    unstable_epochs=unstable.row["epochs"],
    dataset=dataset,
    num_epochs=num_epochs,
    seeds=seeds,
    eval_samples=eval_samples,
    table=table.rows,
)

# %%
lines = [
    f"On `{studies.dataset_label(dataset)}` with {studies.counted(num_epochs, 'epoch')} per model and "
    f"{studies.counted(len(seeds), 'seed')} per compared variant (the raw-pixel floor run: 1 seed, "
    f"{studies.counted(unstable_epochs, 'epoch')}):"
]
bits = {name: studies.mean_sd(v.values("bits_per_dim"), ".3f") for name, v in comparable.items()}
if ranking:
    fixed = (
        f"the best fixed sigma scores {bits[best_fixed]}" if best_fixed else "no fixed-sigma model completed"
    )
    lines.append(f"* the lowest test bits/dim is **{ranking[0]}**, {bits[ranking[0]]}; {fixed};")
lines.append(
    f"* the fitted variance with a {unstable_floor:g} floor on raw pixels ended **{unstable.row['status']}** "
    f"after {studies.counted(int(unstable.row['epochs']), 'epoch')};"
)
lines += output.claim_lines()
output.say("\n".join(lines))
