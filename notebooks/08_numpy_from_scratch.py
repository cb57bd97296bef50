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
#     datasets: [mnist, digits, svhn, npz]
# ---

# %% [markdown]
# # A VAE from scratch in NumPy
#
# Keras differentiates a VAE's loss for us. This notebook does it by hand: a fully connected VAE with
# Bernoulli pixels whose forward pass, backward pass and Adam optimizer are plain NumPy
# (`vae_keras/numpy_vae/`, no autodiff). We write down the model and derive every gradient,
# including the one that the reparameterisation trick makes possible. We then check the hand-written
# gradients twice, against finite differences and against TensorFlow's automatic differentiation on
# the same weights and noise. Finally we train the NumPy and the Keras implementations side by side
# from the same starting weights and compare their speed, their test ELBO and their samples. By the
# end you will know exactly what `fit()` computes for a VAE, and what a framework adds on top of it.

# %% [markdown] tags=["remove-cell"]
# ## Setup

# %% tags=["remove-output"]
import numpy as np

from vae_keras import data, models, numpy_vae, plots, preprocessing, studies

versions = studies.setup()

# %% [markdown] tags=["remove-cell"]
# ## Parameters

# %% tags=["parameters"]
dataset: str = "mnist"  # dataset name: mnist, digits, svhn or npz:PATH (pixels are binarised)
profile: str = "full"  # parameter profile these values came from (set by vae-keras run)
num_epochs: int = 10  # training epochs of each implementation
max_train_examples: int = 0  # use at most this many training images (0: all)
batch_size: int = 100  # examples per step (and in the batch of the gradient checks)
hidden_width: int = 512  # width of the one hidden layer of the encoder and of the decoder
latent_dim: int = 20  # size of z
learning_rate: float = 0.001  # Adam learning rate
eval_examples: int = 0  # test images evaluated (0: all)
gradient_check_entries: int = 20  # entries of each weight array checked by finite differences
gradient_tolerance: float = 1e-05  # largest relative error vs finite differences called a correct gradient
keras_tolerance: float = 0.0001  # largest relative difference vs TensorFlow's float32 gradient that agrees
blas_threads: int = 1  # threads of NumPy's matrix products (0: NumPy's default)
seed: int = 0  # seed of weights, binarisation, noise and shuffling
out_dir: str = "runs/notebooks"  # folder for figures and results

# %%
train_budget = f"at most {max_train_examples:,}" if max_train_examples else "all"
epochs_text = studies.counted(num_epochs, "epoch")
budget = f"{epochs_text} of each implementation, batch {batch_size:,}, {train_budget} training images"
budget += ", one run each"
output = studies.begin("08_numpy_from_scratch", out_dir, dataset, profile, seed, budget)
train_images, _ = data.load(dataset, "train")
test_images, _ = data.load(dataset, "test")
# One fixed binarisation of each split: x in {0, 1}, so the Bernoulli likelihood is a proper one.
x_train = preprocessing.binarize(train_images[: max_train_examples or None], seed=seed)
x_test = preprocessing.binarize(test_images[: eval_examples or None], seed=seed + 1)
image_shape = x_train.shape[1:]
dataset_label = studies.dataset_label(dataset)  # "npz:mnist.npz" for npz:PATH: no paths on the page

# %%
output.settings(
    dataset=dataset,
    images=f"{len(x_train):,} training, {len(x_test):,} test, {'x'.join(map(str, image_shape))}, binarised "
    "once",
    model=f"MLP {hidden_width}, z={latent_dim}, Bernoulli pixels",
    epochs=num_epochs,
    batch_size=batch_size,
    optimizer=f"Adam {learning_rate:g}",
    blas_threads=blas_threads or "NumPy default",
    backend=versions["backend"],
)

# %% [markdown]
# ## 1. The model and its gradients, by hand
#
# Notation: a batch `x` of `B` examples as rows, `D` pixels each, in {0, 1}; `H` hidden units;
# `L` latent dimensions. A dense layer maps `h` to `h W + b`, with the kernel `W` shaped
# (inputs, outputs) as in `keras.layers.Dense`, so a whole batch goes through in one matrix product.
#
# **Forward pass.** The encoder gives the mean and log-variance of the Gaussian q(z|x); one draw of
# z is decoded into one logit per pixel:
#
# ```
# encoder    a1      = relu(x W1 + b1)                       (B, H)
#            mean    = a1 Wm + bm,  log_var = a1 Wv + bv      (B, L)
# sampling   std     = exp(log_var / 2)
#            z       = mean + std * eps,   eps ~ N(0, I)      (B, L)
# decoder    a2      = relu(z W2 + b2)                       (B, H)
#            logits  = a2 W3 + b3,  p = sigmoid(logits)       (B, D)
# ```
#
# **The loss** is the negative ELBO in nats, summed over the pixels and latents of one example and
# averaged over the batch, with one draw of z per example:
#
# ```
# -log p(x|z)          = sum_d  relu(l_d) - l_d x_d + log(1 + exp(-|l_d|))     (l = logits)
# KL(q(z|x) || N(0,I)) = sum_j  (exp(log_var_j) + mean_j^2 - 1 - log_var_j) / 2
# loss                 = mean over the batch of  -log p(x|z) + KL   =   -ELBO
# ```
#
# The first line is the binary cross-entropy `-x log p - (1 - x) log(1 - p)` rewritten so that it
# stays finite for any logit; the second is the KL divergence between two Gaussians in closed form.
#
# **The reparameterisation.** The loss depends on the encoder's weights through the distribution z
# is drawn from, and one cannot differentiate through a random draw. Writing the draw as
# `z = mean + std * eps`, with noise `eps` that does not depend on any weight, turns z into an
# ordinary differentiable function of `mean` and `log_var`: for a fixed `eps` the chain rule
# applies, and averaging over `eps` gives an unbiased estimate of the ELBO's gradient.
#
# **The backward pass.** Write `g_v` for the derivative of the loss with respect to `v`. Going
# backwards through the lines above, each one is a product rule or a matrix transpose:
#
# ```
# g_logits  = (p - x) / B                          sigmoid and cross-entropy cancel; 1/B from the batch mean
# g_W3      = a2^T g_logits          g_b3 = sum over the batch of g_logits
# g_a2      = g_logits W3^T
# g_pre2    = g_a2 * [a2 > 0]                      relu' (for tanh: 1 - a2^2)
# g_W2      = z^T g_pre2             g_b2 = sum over the batch of g_pre2
# g_z       = g_pre2 W2^T
# g_mean    = g_z + mean / B                       through z (dz/dmean = 1), and through the KL
# g_log_var = g_z * eps * std / 2 + (exp(log_var) - 1) / (2 B)
# g_Wm      = a1^T g_mean            g_Wv = a1^T g_log_var        (biases: sums over the batch)
# g_a1      = g_mean Wm^T + g_log_var Wv^T
# g_pre1    = g_a1 * [a1 > 0]
# g_W1      = x^T g_pre1             g_b1 = sum over the batch of g_pre1
# ```
#
# The line for `g_log_var` is the reparameterisation at work: `dz/dlog_var = eps * std / 2`. The
# optimizer is Adam, written out with the same formula as `keras.optimizers.Adam`. Here are the
# model's sizes; its weights are copied from a freshly built Keras VAE, so both start equal.

# %%
vae = models.build_vae(image_shape, latent_dim, hidden_units=(hidden_width,), seed=seed)
reference = numpy_vae.from_keras(vae, dtype="float64")
keras_trainable = sum(int(np.prod(w.shape)) for w in vae.trainable_weights)
same = "the same number" if keras_trainable == reference.count_params() else "a different number"
output.say(
    f"The NumPy VAE has {reference.count_params():,} trainable parameters in {len(reference.weight_names)} "
    f"arrays; the Keras VAE it was copied from has {keras_trainable:,} in {len(vae.trainable_weights)} "
    f"({same})."
)

# %% [markdown]
# ## 2. Gradient check by finite differences
#
# A derivative is a limit of difference quotients, so each hand-written gradient can be checked
# without any framework. For a few random entries `w` of each weight array, with the batch and the
# noise `eps` held fixed, the central difference `(loss(w + h) - loss(w - h)) / (2 h)` with
# `h = 1e-6` approximates the derivative up to `O(h^2)`. The model is in float64 for this. The
# change of the loss is summed pixel by pixel and latent by latent rather than as the difference
# of two totals of several hundred nats, whose rounding would swamp a small derivative.
#
# The table shows, for each weight array, the largest relative error
# `|analytic - numeric| / max(|analytic|, |numeric|)` over the checked entries (0 for entries whose
# derivative is exactly 0 both ways, such as the kernel row of a pixel that is 0 in the whole batch).
# A correct gradient typically scores far below the tolerance; a wrong factor, sign or missing term scores
# 1e-3 to 1. The sentence under the table calls the gradient correct only when every checked array
# stays below the tolerance `gradient_tolerance`, which sits between the two.

# %%
x_batch = x_train[:batch_size]
epsilon = np.random.default_rng(seed).standard_normal((len(x_batch), latent_dim))
with numpy_vae.limit_blas_threads(blas_threads):
    gradient_errors = numpy_vae.check_gradients(
        reference, x_batch, epsilon, num_entries=gradient_check_entries, seed=seed
    )
output.say(studies.gradient_check_text(gradient_errors, gradient_tolerance))
title = f"Hand-written gradient vs central differences ({gradient_check_entries} entries per array)"
studies.Table(studies.gradient_rows(reference, gradient_errors), title=title)

# %% [markdown]
# ## 3. The same numbers as Keras
#
# Finite differences check the calculus; the second check is against the framework. The Keras VAE
# and the NumPy VAE hold the same weights. On the same batch and the same noise `eps`, the Keras
# loss is computed from the Keras model's own encoder, decoder, likelihood and KL, and differentiated
# by `tf.GradientTape`. Both sides compute in float32, so they should agree up to float32 rounding,
# far below the tolerance. The gradient differences are relative to the largest entry of each Keras gradient
# (entries near zero come from cancellation and have no meaningful relative error of their own);
# the sentence under the table calls them in agreement only below the tolerance `keras_tolerance`.

# %%
comparison = None
if versions["backend"] == "tensorflow":
    comparison = numpy_vae.compare_gradients_with_keras(vae, x_batch, epsilon)
    output.say(studies.keras_check_text(comparison, keras_tolerance))
else:
    output.say(
        "Skipped: the reference gradients use tf.GradientTape, and this kernel runs Keras on "
        f"{versions['backend']}."
    )
title = "Hand-written gradient vs tf.GradientTape, same weights and noise (float32)"
studies.Table(studies.keras_gradient_rows(comparison), title=title) if comparison else None

# %% [markdown]
# ## 4. Training both implementations
#
# Both models start from the same weights (the Keras initialisation, copied into the NumPy model)
# and train with Adam at the same learning rate and batch size on the same binarised images. They do
# not see the same batches: each shuffles and draws its noise with its own generator. Epochs are
# interleaved, one of each at a time, and the model that goes first alternates, so both run under
# the same load on the machine. NumPy's matrix products use `blas_threads` threads; TensorFlow uses
# its own thread pool, as `fit()` normally does. After every epoch both are scored on the test images
# by the same estimator with the same noise: the ELBO with one draw of z per image (higher is better).
# The first Keras epoch includes tracing the training step, so the time per epoch is the median over
# the later epochs.

# %%
table, numpy_model, keras_vae = numpy_vae.compare_with_keras(
    x_train,
    x_test,
    num_epochs=num_epochs,
    batch_size=batch_size,
    hidden_units=(hidden_width,),
    latent_dim=latent_dim,
    seed=seed,
    learning_rate=learning_rate,
    blas_threads=blas_threads,
    verbose=0,
    return_models=True,
)
epochs = numpy_vae.side_by_side(table)
summary = numpy_vae.summarize_comparison(table)
studies.Table(epochs, title="Time per epoch (s) and test ELBO (nats) after each epoch")

# %%
columns = {key: [row[key] for row in epochs] for key in epochs[0]}
output.show(
    plots.curves(
        columns["epoch"],
        {"NumPy": columns["numpy_test_elbo"], "Keras": columns["keras_test_elbo"]},
        "epoch",
        "test ELBO (nats, higher is better)",
        title=f"Test ELBO on {dataset_label}",
        markers=True,
    ),
    "test_elbo",
)

# %%
output.show(
    plots.curves(
        columns["epoch"],
        {"NumPy": columns["numpy_seconds"], "Keras": columns["keras_seconds"]},
        "epoch",
        "seconds",
        title="Wall time of each training epoch",
        markers=True,
    ),
    "seconds_per_epoch",
)

# %% [markdown]
# ## 5. Samples from both models
#
# Both models decode the same draws z ~ N(0, I) (the means of p(x|z), shown as grey levels). The
# two were trained on different batch orders and noise, so they are two different fits of the same
# model: a given z need not decode to the same digit in both, although, having started from the same
# weights, they may stay close. What to look for is whether both produce digit-like images of similar
# quality.
#
# The source write-up found its NumPy VAE's outputs on the same test digits blurrier than the
# framework's, and blamed the framework version's minibatching and deeper network. Here both are
# trained alike (same network, minibatches and optimizer), which tests that explanation. Blur can be
# measured: the **sharpness** of an image is the mean absolute difference between horizontally and
# vertically neighbouring pixels,
# $\tfrac{1}{2}\big(\operatorname{mean}_{i,j}|x_{i,j+1} - x_{i,j}| + \operatorname{mean}_{i,j}|x_{i+1,j} -
# x_{i,j}|\big)$, small for a blurry image and large for crisp strokes. Each test image gives one pair (its
# NumPy and its Keras reconstruction), so the rule compares them pair by pair with a sign test. What to look
# for: whether one implementation's reconstructions are consistently the sharper.

# %%
num_samples = 30  # three rows of ten from each model
numpy_samples = numpy_model.generate(num_samples, seed=seed).reshape((-1,) + image_shape)
keras_samples = keras_vae.sample(num_samples, seed=seed).reshape((-1,) + image_shape)
output.show(
    plots.image_grid(
        np.concatenate([numpy_samples, keras_samples]),
        num_columns=10,
        row_labels=["NumPy"] * 3 + ["Keras"] * 3,
        title="Means of p(x|z) for the same 30 draws of z",
    ),
    "samples",
    headline=True,
)

# %%
numpy_recons, keras_recons = studies.reconstruction_pair(numpy_model, keras_vae, x_test, num_pairs=100)
num_pairs = len(numpy_recons)
output.show(
    plots.image_grid(
        np.concatenate([x_test[:10], numpy_recons[:10], keras_recons[:10]]),
        num_columns=10,
        row_labels=["test image", "NumPy", "Keras"],
        title="The same test images reconstructed by both models",
    ),
    "reconstructions",
)

# %%
blur = studies.blur_evidence(numpy_model, keras_vae, numpy_recons, keras_recons, x_train, x_test, seed=seed)
verdict_blur = output.decide("numpy_blurrier", **blur)
output.say(
    f"Reconstruction error on those {num_pairs} test images: NumPy {blur['numpy_mse']:.4f}, Keras "
    f"{blur['keras_mse']:.4f}, the average training image {blur['mean_image_mse']:.4f}. Test ELBO after "
    f"{epochs_text}: NumPy {summary['numpy_test_elbo']:.2f}, Keras {summary['keras_test_elbo']:.2f} nats; "
    f"test KL: NumPy {blur['numpy_kl']:.2f}, Keras {blur['keras_kl']:.2f} nats."
)
verdict_speed = output.decide(
    "numpy_faster", numpy_seconds=columns["numpy_seconds"][1:], keras_seconds=columns["keras_seconds"][1:]
)
output.verdicts(verdict_blur, verdict_speed)

# %% [markdown]
# ## Conclusion
#
# The numbers below answer the three questions of this notebook: whether the hand-written backward
# pass is the gradient of the loss (the errors against finite differences and against TensorFlow,
# each judged against its stated tolerance), whether the two implementations learn the same model
# (their test ELBOs after the same number of epochs, and the sharpness of their samples), and what
# the framework costs or saves in time per epoch for a model this small on this machine. Time per
# epoch is only part of the comparison: the backward pass of section 1 must be rederived by hand for
# every change of architecture or likelihood, while Keras derives it, runs it on GPUs and under any
# backend, and saves the model.

# %%
keras_differences = studies.keras_differences(comparison) if comparison else None
results = output.record(
    numpy_seconds_per_epoch=summary["numpy_seconds_per_epoch"],
    keras_seconds_per_epoch=summary["keras_seconds_per_epoch"],
    numpy_test_elbo=summary["numpy_test_elbo"],
    keras_test_elbo=summary["keras_test_elbo"],
    max_gradient_relative_error=max(gradient_errors.values()),
    gradient_tolerance=gradient_tolerance,
    max_keras_gradient_difference=max(keras_differences.values()) if comparison else None,
    keras_tolerance=keras_tolerance,
    keras_loss_difference=comparison["loss_difference"] if comparison else None,
    keras_first_epoch_seconds=summary["keras_first_epoch_seconds"],
    numpy_sharpness=float(np.mean(blur["numpy_sharpness"])),
    keras_sharpness=float(np.mean(blur["keras_sharpness"])),
    numpy_test_kl=blur["numpy_kl"],
    keras_test_kl=blur["keras_kl"],
    dataset=dataset,
    num_epochs=num_epochs,
    train_examples=len(x_train),
    test_examples=len(x_test),
    hidden_width=hidden_width,
    latent_dim=latent_dim,
    batch_size=batch_size,
)

# %%
results = output.record(
    blas_threads=blas_threads,
    gradient_errors=gradient_errors,
    keras_gradient_differences=comparison["gradients"] if comparison else None,
    epochs=epochs,
)
lines = [
    f"On {len(x_train):,} binarised `{dataset_label}` training images, {epochs_text} of each implementation "
    f"(batch {batch_size}, {hidden_width} hidden units, z of size {latent_dim}; ELBO on {len(x_test):,} test "
    "images):",
    studies.gradient_line(gradient_errors, gradient_tolerance),
    studies.keras_line(comparison, keras_tolerance, versions["backend"]),
    *studies.training_lines(summary, num_epochs),
]
lines += output.claim_lines()
output.say("\n".join(lines))
