"""Peer benchmark: our trainer against the PyTorch and keras-io VAE examples, same data, model and batch.

Two comparisons, each on the same images (real MNIST training images, dynamically binarised: a fresh
Bernoulli draw every epoch) and batch 128:

* **MLP** 784-400-20 (ReLU, Bernoulli), the model of PyTorch's ``examples/vae/main.py``:

  - ``ours_tf``: ``vae_keras`` on its default path, TensorFlow backend: ``models.build_vae((28, 28, 1), 20,
    hidden_units=(400,))``, Adam 1e-3, ``fit`` on ``data.make_dataset(..., binarize=True, repeat=True)`` with
    ``steps_per_epoch`` and ``steps_per_execution=train.whole_blocks(steps_per_epoch, 10)`` (7 for MNIST at
    batch 128: 469 steps), ``jit_compile="auto"`` (off for TensorFlow on a CPU), as ``vae_keras.train`` does;
  - ``ours_jax``: the same with ``KERAS_BACKEND=jax``: ``fit`` on ``data.ArrayDataset`` with
    ``shuffle=False``, ``steps_per_execution=10``, ``jit_compile="auto"`` (XLA);
  - ``pytorch_example``: the PyTorch example's model, loss and loop, written here from its description:
    fc1 784->400 ReLU, fc21/fc22 400->20 (mean, log-variance), reparameterisation, fc3 20->400 ReLU,
    fc4 400->784 sigmoid; loss = binary cross-entropy summed over pixels and over the batch + the KL
    ``-0.5 * sum(1 + logvar - mu^2 - exp(logvar))``; Adam, lr 1e-3; a new permutation of the images every
    epoch, cut into batches of 128 (what its shuffled ``DataLoader`` does); ``loss.item()`` every step as the
    example does; ``torch.set_num_threads(--torch-threads)`` (default: the usable cores, 2 here). CPU torch,
    run by another interpreter (``--torch-python``), since torch is not a dependency of this project;
  - ``pytorch_example_1thread``: the same with ``torch.set_num_threads(1)``, whose one thread never waits for
    another (see the busy-waiting below), so on a loaded machine it shows what PyTorch itself costs;
  - ``pytorch_example_dataloader``: ``pytorch_example_1thread`` fed as the example feeds its model: a
    ``torch.utils.data.DataLoader(batch_size=128, shuffle=True)`` (no worker processes, as the example on a CPU)
    over a dataset that does per image what ``torchvision.datasets.MNIST`` with ``transforms.ToTensor()`` does
    (a PIL image from the uint8 array, then a float tensor in [0, 1]), rewritten here because torchvision is
    not installable beside this CPU torch; the batch is then binarised like the others. Needs Pillow in the
    torch interpreter. The other two PyTorch contenders index preloaded tensors, which the example does not.

* **conv**, the keras-io "Variational AutoEncoder" example's model (latent 2): encoder Conv2D(32, 3, stride 2)
  -> Conv2D(64, 3, stride 2) -> Flatten -> Dense(16) -> z_mean, z_log_var; decoder Dense(7*7*64) -> Reshape ->
  Conv2DTranspose(64, 3, stride 2) -> Conv2DTranspose(32, 3, stride 2) -> Conv2DTranspose(1, 3) sigmoid, ReLU
  elsewhere, "same" padding:

  - ``ours_conv_tf``: ``models.build_vae((28, 28, 1), 2, architecture="conv", conv_filters=(32, 64),
    hidden_units=(16,), decoder_units=())`` on the default path as ``ours_tf``. The one difference in the
    model: our last layer is a stride-1 Conv2D giving logits where theirs is a stride-1 Conv2DTranspose with
    a sigmoid (same shapes, same FLOPs);
  - ``keras_io_example``: their model, written here from its description, trained by their ``train_step``
    (``tf.GradientTape``; loss = batch mean of the per-image sum of binary cross-entropies + the KL) and
    ``compile(optimizer=Adam())`` (so ``steps_per_execution=1``), on the same input as ``ours_conv_tf``
    (``make_dataset(..., repeat=True)`` with ``steps_per_epoch``; their example feeds fixed arrays, which cannot
    redraw the binarisation each epoch). TensorFlow only.

The conv models cost about 10 times the MLP's FLOPs per image, so by default they train on a fixed random
subset of the images (``--conv-images``), the same subset for both.

Each contender runs in its own process (``--worker NAME``; the orchestrator is the main entry). The runs are
interleaved at the process level: ``--rounds`` rounds, each running every contender once in a rotated order.
Each Keras process trains one untimed warm-up epoch (tracing, XLA compilation, first-touch allocations) then
``--epochs`` timed epochs; a PyTorch process (eager: nothing to trace) trains ``--torch-warmup-steps`` untimed
steps, then ``--epochs`` timed epochs (``pytorch_example``: ``--pytorch-example-epochs``, default 1, since its
epochs can take minutes on a loaded machine). Every timed epoch's wall and process CPU seconds are saved;
images/s is the median over all timed epochs of a contender, and a ratio is the ratio of two contenders'
median epoch times (throughput of the first over the second), with the ratio of their median CPU seconds
beside it.

The fraction of the float32 peak divides the achieved GFLOP/s (FLOPs per training image, counted layer by
layer in ``mlp_layers``/``conv_layers``: 2 per multiply-add, training = 3 forward passes, times images/s) by
an empirical peak: float32 matmuls of ``--peak-size`` squared (NumPy, all cores, best of ``--peak-repeats``),
timed in the orchestrator before and after the contenders. The machine's peak is the larger of the best wall
GFLOP/s and the best GFLOP per CPU second times the usable cores (a shared machine lowers the first); the
fraction per CPU second (achieved GFLOP per CPU second over the matmul's) says how well a contender used the
cores it got, whatever the load.

Getting a CPU PyTorch: ``python3 -m venv benchmarks/.venv-torch && benchmarks/.venv-torch/bin/pip install
torch numpy pillow --index-url https://download.pytorch.org/whl/cpu`` (the CPU wheel; numpy also comes from PyPI,
``--extra-index-url https://pypi.org/simple`` if that index lacks it), or any interpreter with torch and
numpy passed as ``--torch-python``. Without one, the PyTorch contenders are skipped and the JSON says why.

PyTorch's OpenMP threads busy-wait (spin) at the end of each parallel region for the others: when other
processes load the machine, a spinning thread burns the core its partner needs, and PyTorch with 2 threads
can then run several times slower than on an idle machine (in ``results/peers.json``, 19 times slower than
with 1 thread), with CPU seconds to match. So ``pytorch_example``'s numbers under a shared load say more about
the load than about PyTorch; compare with ``pytorch_example_1thread`` (or set ``OMP_WAIT_POLICY=PASSIVE``).

    .venv/bin/python -m benchmarks.peers --rounds 2        # ~17 min on 2 busy cores (default 3 rounds: ~25 min)
    .venv/bin/python -m benchmarks.peers --quick --out /tmp/x   # 384 random images, 1 round: 1-2 min
"""

import argparse
import json
import math
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks import common

common.set_environment_defaults()

TORCH_CONTENDERS = ("pytorch_example", "pytorch_example_1thread", "pytorch_example_dataloader")
MLP_CONTENDERS = ("ours_tf", "ours_jax", *TORCH_CONTENDERS)
CONV_CONTENDERS = ("ours_conv_tf", "keras_io_example")
# The order of the first round; each later round starts one further along.
CONTENDERS = (
    "ours_tf",
    "pytorch_example",
    "ours_conv_tf",
    "pytorch_example_1thread",
    "ours_jax",
    "pytorch_example_dataloader",
    "keras_io_example",
)
# (numerator, denominator): throughput of the first over the second.
RATIOS = (
    ("ours_tf", "pytorch_example"),
    ("ours_jax", "pytorch_example"),
    ("ours_tf", "pytorch_example_1thread"),
    ("ours_jax", "pytorch_example_1thread"),
    ("ours_tf", "pytorch_example_dataloader"),
    ("ours_jax", "pytorch_example_dataloader"),
    ("ours_conv_tf", "keras_io_example"),
)
KERAS_BACKENDS = {
    "ours_tf": "tensorflow",
    "ours_jax": "jax",
    "ours_conv_tf": "tensorflow",
    "keras_io_example": "tensorflow",
}
DEFAULT_NPZ = common.PROJECT_ROOT.parent / "shared" / "data" / "mnist" / "mnist.npz"
DEFAULT_TORCH_PYTHON = Path("benchmarks") / ".venv-torch" / "bin" / "python"
IMAGE_SHAPE = (28, 28, 1)
BATCH_SIZE = 128
LEARNING_RATE = 1e-3
# Training costs about 3 forward passes: the forward pass, and the backward pass's gradients with respect to
# each layer's input and to its weights (each as many multiply-adds as the forward pass).
TRAINING_FLOPS_PER_FORWARD_FLOP = 3


# --------------------------------------------------------------------------
# FLOPs and parameters, layer by layer
# --------------------------------------------------------------------------


def _dense(name, n_in, n_out):
    return {
        "layer": name,
        "kind": "dense",
        "inputs": n_in,
        "outputs": n_out,
        "macs": n_in * n_out,
        "parameters": n_in * n_out + n_out,
    }


def _conv(name, out_hw, kernel, c_in, c_out):
    """A convolution: every output position takes kernel^2 * c_in multiply-adds per output channel."""
    return {
        "layer": name,
        "kind": "conv2d",
        "macs": out_hw[0] * out_hw[1] * kernel * kernel * c_in * c_out,
        "parameters": kernel * kernel * c_in * c_out + c_out,
    }


def _conv_transpose(name, in_hw, kernel, c_in, c_out):
    """A transposed convolution: every input position scatters kernel^2 * c_out products per input channel."""
    return {
        "layer": name,
        "kind": "conv2d_transpose",
        "macs": in_hw[0] * in_hw[1] * kernel * kernel * c_in * c_out,
        "parameters": kernel * kernel * c_in * c_out + c_out,
    }


def mlp_layers(input_dim=784, hidden=400, latent=20):
    """The 784-400-20 MLP VAE's weight layers (the PyTorch example's fc1, fc21, fc22, fc3, fc4)."""
    return [
        _dense("fc1", input_dim, hidden),
        _dense("fc21_mean", hidden, latent),
        _dense("fc22_log_var", hidden, latent),
        _dense("fc3", latent, hidden),
        _dense("fc4", hidden, input_dim),
    ]


def conv_layers(latent=2):
    """The keras-io conv VAE's weight layers on 28x28x1 ("same" padding: 28 -> 14 -> 7 and back)."""
    return [
        _conv("enc_conv1", (14, 14), 3, 1, 32),
        _conv("enc_conv2", (7, 7), 3, 32, 64),
        _dense("enc_dense", 7 * 7 * 64, 16),
        _dense("z_mean", 16, latent),
        _dense("z_log_var", 16, latent),
        _dense("dec_dense", latent, 7 * 7 * 64),
        _conv_transpose("dec_deconv1", (7, 7), 3, 64, 64),
        _conv_transpose("dec_deconv2", (14, 14), 3, 64, 32),
        # Stride 1 and "same": a transposed convolution (theirs) and a convolution (ours) cost the same.
        _conv_transpose("dec_output", (28, 28), 3, 32, 1),
    ]


def flop_count(layers):
    macs = sum(layer["macs"] for layer in layers)
    return {
        "layers": layers,
        "parameters": sum(layer["parameters"] for layer in layers),
        "forward_macs_per_image": macs,
        "forward_flops_per_image": 2 * macs,
        "training_flops_per_image": TRAINING_FLOPS_PER_FORWARD_FLOP * 2 * macs,
        "convention": (
            "2 FLOPs per multiply-add of the dense, convolution and transposed-convolution layers; training = 3x "
            "the forward pass (forward, gradient w.r.t. inputs, gradient w.r.t. weights); biases, activations, "
            "sampling, loss and optimizer updates not counted"
        ),
    }


# --------------------------------------------------------------------------
# Workers: one contender per process
# --------------------------------------------------------------------------


def _epoch_losses(history, num_epochs):
    losses = history.history.get("loss", [])
    return [float(value) for value in losses][:num_epochs]


def _layer_table(model):
    rows = []
    for layer in model.layers:
        output = getattr(layer, "output", None)
        shape = list(output.shape) if output is not None and hasattr(output, "shape") else None
        rows.append([type(layer).__name__, layer.name, shape, int(layer.count_params())])
    return rows


def build_keras_io_example(latent_dim=2, seed=None):
    """The keras-io "Variational AutoEncoder" example's model, written from its description.

    Returns ``(model, encoder, decoder)``: a ``keras.Model`` whose ``train_step`` uses a ``tf.GradientTape``
    (TensorFlow only), as the example's does.
    """
    import keras
    import tensorflow as tf
    from keras import layers, ops

    class Sampling(layers.Layer):
        """z = mean + exp(log_var / 2) * epsilon."""

        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.seed_generator = keras.random.SeedGenerator(seed)

        def call(self, inputs):
            z_mean, z_log_var = inputs
            epsilon = keras.random.normal(ops.shape(z_mean), seed=self.seed_generator)
            return z_mean + ops.exp(0.5 * z_log_var) * epsilon

    encoder_inputs = keras.Input(shape=IMAGE_SHAPE)
    x = layers.Conv2D(32, 3, activation="relu", strides=2, padding="same")(encoder_inputs)
    x = layers.Conv2D(64, 3, activation="relu", strides=2, padding="same")(x)
    x = layers.Flatten()(x)
    x = layers.Dense(16, activation="relu")(x)
    z_mean = layers.Dense(latent_dim, name="z_mean")(x)
    z_log_var = layers.Dense(latent_dim, name="z_log_var")(x)
    z = Sampling()([z_mean, z_log_var])
    encoder = keras.Model(encoder_inputs, [z_mean, z_log_var, z], name="encoder")

    latent_inputs = keras.Input(shape=(latent_dim,))
    x = layers.Dense(7 * 7 * 64, activation="relu")(latent_inputs)
    x = layers.Reshape((7, 7, 64))(x)
    x = layers.Conv2DTranspose(64, 3, activation="relu", strides=2, padding="same")(x)
    x = layers.Conv2DTranspose(32, 3, activation="relu", strides=2, padding="same")(x)
    decoder_outputs = layers.Conv2DTranspose(1, 3, activation="sigmoid", padding="same")(x)
    decoder = keras.Model(latent_inputs, decoder_outputs, name="decoder")

    class ExampleVAE(keras.Model):
        def __init__(self, encoder, decoder, **kwargs):
            super().__init__(**kwargs)
            self.encoder = encoder
            self.decoder = decoder
            self.total_loss_tracker = keras.metrics.Mean(name="loss")
            self.reconstruction_loss_tracker = keras.metrics.Mean(name="reconstruction_loss")
            self.kl_loss_tracker = keras.metrics.Mean(name="kl_loss")

        @property
        def metrics(self):
            return [self.total_loss_tracker, self.reconstruction_loss_tracker, self.kl_loss_tracker]

        def call(self, inputs):
            return self.decoder(self.encoder(inputs)[2])

        def train_step(self, data):
            data = data[0] if isinstance(data, tuple) else data
            with tf.GradientTape() as tape:
                z_mean, z_log_var, z = self.encoder(data)
                reconstruction = self.decoder(z)
                per_pixel = keras.losses.binary_crossentropy(data, reconstruction)  # (batch, 28, 28)
                reconstruction_loss = ops.mean(ops.sum(per_pixel, axis=(1, 2)))
                kl = -0.5 * (1 + z_log_var - ops.square(z_mean) - ops.exp(z_log_var))
                kl_loss = ops.mean(ops.sum(kl, axis=1))
                total_loss = reconstruction_loss + kl_loss
            grads = tape.gradient(total_loss, self.trainable_weights)
            self.optimizer.apply_gradients(zip(grads, self.trainable_weights))
            self.total_loss_tracker.update_state(total_loss)
            self.reconstruction_loss_tracker.update_state(reconstruction_loss)
            self.kl_loss_tracker.update_state(kl_loss)
            return {metric.name: metric.result() for metric in self.metrics}

    model = ExampleVAE(encoder, decoder)
    model.build((None, *IMAGE_SHAPE))
    return model, encoder, decoder


def _keras_worker(name, args):
    import keras
    import numpy as np

    from vae_keras import data, models, train

    backend = keras.backend.backend()
    expected = KERAS_BACKENDS[name]
    if backend != expected:
        raise RuntimeError(f"Worker {name!r} needs KERAS_BACKEND={expected}; it runs under {backend!r}.")
    images = np.load(args.images_file)[..., None]  # (N, 28, 28, 1) uint8
    num_images, batch_size = len(images), args.batch_size
    steps_per_epoch = math.ceil(num_images / batch_size)
    keras.utils.set_random_seed(args.seed)
    fit_options = {"shuffle": False}
    info = {}
    if name == "keras_io_example":
        model, encoder, decoder = build_keras_io_example(latent_dim=2, seed=args.seed)
        model.compile(optimizer=keras.optimizers.Adam())  # their compile: lr 1e-3, steps_per_execution 1
        # The same input as ours (their example feeds fixed arrays: fit(x, batch_size=128)). A repeating dataset
        # with steps_per_epoch, as ours: in one multi-epoch fit on a finite dataset (a new iterator per epoch),
        # epochs after the first idled about half the time here (see benchmarks/README.md).
        dataset = data.make_dataset(images, batch_size, binarize=True, seed=args.seed, repeat=True)
        fit_options["steps_per_epoch"] = steps_per_epoch
        info["pipeline"] = "data.make_dataset(images, 128, binarize=True, repeat=True), steps_per_epoch"
    else:
        if name == "ours_conv_tf":
            model = models.build_vae(
                IMAGE_SHAPE,
                2,
                architecture="conv",
                conv_filters=(32, 64),
                hidden_units=(16,),
                decoder_units=(),
                likelihood="bernoulli",
                seed=args.seed,
            )
        else:
            model = models.build_vae(IMAGE_SHAPE, 20, hidden_units=(400,), likelihood="bernoulli", seed=args.seed)
        encoder, decoder = model.encoder, model.decoder
        if backend == "tensorflow":
            # As vae_keras.train does on TensorFlow: one repeating dataset for all epochs, whole blocks of steps.
            steps_per_execution = train.whole_blocks(steps_per_epoch, 10)
            dataset = data.make_dataset(images, batch_size, binarize=True, seed=args.seed, repeat=True)
            fit_options["steps_per_epoch"] = steps_per_epoch
            info["pipeline"] = "data.make_dataset(images, 128, binarize=True, repeat=True), steps_per_epoch"
        else:
            steps_per_execution = 10
            dataset = data.ArrayDataset(images, batch_size, binarize=True, seed=args.seed)
            info["pipeline"] = "data.ArrayDataset(images, 128, binarize=True), fit(shuffle=False)"
        model.compile(
            optimizer=keras.optimizers.Adam(LEARNING_RATE),
            steps_per_execution=steps_per_execution,
            jit_compile=train.resolve_jit_compile("auto"),
        )
    if args.show_summary:
        decoder.summary(
            print_fn=lambda text, **_: print("\n".join(f"[{name}] {line}" for line in text.splitlines()), flush=True)
        )
    timer = common.make_epoch_timer()
    history = model.fit(dataset, epochs=args.warmup_epochs + args.epochs, verbose=0, callbacks=[timer], **fit_options)
    info.update(
        backend=backend,
        keras=keras.__version__,
        steps_per_execution=int(model.steps_per_execution),
        jit_compile=bool(model.jit_compile),
        num_parameters=int(sum(math.prod(weight.shape) for weight in model.trainable_weights)),
        decoder_layers=_layer_table(decoder),
        encoder_layers=_layer_table(encoder),
    )
    if backend == "tensorflow":
        import tensorflow as tf

        info["tensorflow"] = tf.__version__
    else:
        import jax

        info["jax"] = jax.__version__
    return timer.seconds, timer.cpu_seconds, _epoch_losses(history, args.warmup_epochs + args.epochs), info


def _pytorch_worker(args):
    """The PyTorch example's model, loss and training loop (written from its description)."""
    import numpy as np
    import torch
    import torch.nn.functional as F
    from torch import nn

    torch.set_num_threads(args.torch_threads if args.worker == "pytorch_example" else 1)
    torch.manual_seed(args.seed)
    generator = torch.Generator().manual_seed(args.seed)
    raw = np.load(args.images_file).reshape(-1, 28, 28)  # uint8
    images = torch.from_numpy(raw.reshape(-1, 784).astype(np.float32) / 255.0)
    num_images, batch_size = len(images), args.batch_size
    loader = _example_loader(raw, batch_size, generator) if args.worker == "pytorch_example_dataloader" else None

    class ExampleVAE(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc1 = nn.Linear(784, 400)
            self.fc21 = nn.Linear(400, 20)
            self.fc22 = nn.Linear(400, 20)
            self.fc3 = nn.Linear(20, 400)
            self.fc4 = nn.Linear(400, 784)

        def encode(self, x):
            h1 = F.relu(self.fc1(x))
            return self.fc21(h1), self.fc22(h1)

        def reparameterize(self, mu, logvar):
            std = torch.exp(0.5 * logvar)
            return mu + torch.randn_like(std) * std

        def decode(self, z):
            return torch.sigmoid(self.fc4(F.relu(self.fc3(z))))

        def forward(self, x):
            mu, logvar = self.encode(x.view(-1, 784))
            return self.decode(self.reparameterize(mu, logvar)), mu, logvar

    def loss_function(recon_x, x, mu, logvar):
        bce = F.binary_cross_entropy(recon_x, x.view(-1, 784), reduction="sum")
        kld = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())
        return bce + kld

    model = ExampleVAE()
    optimizer = torch.optim.Adam(model.parameters(), lr=LEARNING_RATE)

    def batches():
        if loader is not None:
            return (grey for grey, _ in loader)
        order = torch.randperm(num_images, generator=generator)
        return (images[order[first : first + batch_size]] for first in range(0, num_images, batch_size))

    def train_epoch(max_steps=None):
        model.train()
        train_loss, seen = 0.0, 0
        for step, grey in enumerate(batches()):
            if max_steps is not None and step >= max_steps:
                break
            # A fresh Bernoulli draw per batch: dynamic binarisation, as the Keras pipelines do.
            x = torch.bernoulli(grey, generator=generator)
            optimizer.zero_grad()
            recon_batch, mu, logvar = model(x)
            loss = loss_function(recon_batch, x, mu, logvar)
            loss.backward()
            train_loss += loss.item()
            optimizer.step()
            seen += len(x)
        return train_loss / seen

    # Eager PyTorch traces nothing: a few warm-up steps (first-touch allocations, thread pool start-up) stand
    # in for the Keras contenders' warm-up epoch, unless --torch-warmup-steps 0 asks for whole epochs.
    warmup_runs = [args.torch_warmup_steps] if args.torch_warmup_steps else [None] * args.warmup_epochs
    seconds, cpu_seconds, losses = [], [], []
    for max_steps in warmup_runs + [None] * args.epochs:
        start = (time.perf_counter(), time.process_time())
        losses.append(train_epoch(max_steps))
        seconds.append(time.perf_counter() - start[0])
        cpu_seconds.append(time.process_time() - start[1])
    info = {
        "torch": torch.__version__,
        "num_threads": torch.get_num_threads(),
        "num_parameters": int(sum(parameter.numel() for parameter in model.parameters())),
        "pipeline": (
            "DataLoader(batch_size=128, shuffle=True) over a per-image PIL -> ToTensor dataset, "
            "torch.bernoulli per batch"
            if loader is not None
            else "a torch.randperm per epoch cut into batches of 128, torch.bernoulli per batch"
        ),
        "steps_per_execution": 1,
        "warmup": f"{args.torch_warmup_steps} steps" if args.torch_warmup_steps else f"{args.warmup_epochs} epochs",
    }
    return seconds, cpu_seconds, losses, info, len(warmup_runs)


def _example_loader(raw, batch_size, generator):
    """The PyTorch example's input: a shuffling ``DataLoader`` over MNIST with ``transforms.ToTensor()``.

    Each item goes through what torchvision's ``MNIST.__getitem__`` and ``ToTensor`` do for a uint8 image: a
    PIL image, then a (1, 28, 28) float tensor scaled to [0, 1]; the loader collates 128 of them per batch.
    """
    import numpy as np
    import torch
    from torch.utils.data import DataLoader, Dataset

    try:
        from PIL import Image
    except ImportError as error:
        raise SystemExit(
            "pytorch_example_dataloader needs Pillow in the torch interpreter: "
            "benchmarks/.venv-torch/bin/pip install pillow"
        ) from error

    class TorchvisionStyleMNIST(Dataset):
        def __len__(self):
            return len(raw)

        def __getitem__(self, index):
            picture = Image.fromarray(raw[index])  # a 2-D uint8 array: mode "L"
            pixels = torch.from_numpy(np.array(picture, np.uint8, copy=True))
            return pixels.view(28, 28, 1).permute(2, 0, 1).contiguous().float().div(255), 0

    return DataLoader(TorchvisionStyleMNIST(), batch_size=batch_size, shuffle=True, generator=generator)


def run_worker(args):
    start = time.perf_counter()
    if args.worker in TORCH_CONTENDERS:
        seconds, cpu_seconds, losses, info, warmup = _pytorch_worker(args)
    else:
        seconds, cpu_seconds, losses, info = _keras_worker(args.worker, args)
        warmup = args.warmup_epochs
    result = {
        "contender": args.worker,
        "num_images": int(args.num_images_hint),
        "warmup_seconds": seconds[:warmup],
        "warmup_cpu_seconds": cpu_seconds[:warmup],
        "seconds": seconds[warmup:],
        "cpu_seconds": cpu_seconds[warmup:],
        "epoch_losses": losses,
        "worker_seconds": time.perf_counter() - start,
        **info,
    }
    Path(args.result_file).write_text(json.dumps(result, indent=1) + "\n")


# --------------------------------------------------------------------------
# Orchestrator
# --------------------------------------------------------------------------


def usable_cores():
    count = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return count or 1


def measure_matmul_peak(size, repeats):
    """Best float32 GFLOP/s (wall) and GFLOP per CPU second of ``size``-squared NumPy matmuls, all cores."""
    import numpy as np

    rng = np.random.default_rng(0)
    a = rng.random((size, size), dtype=np.float32)
    b = rng.random((size, size), dtype=np.float32)
    a @ b  # first touch, thread pool start-up
    flops = 2 * size**3
    runs = []
    for _ in range(repeats):
        wall, cpu = time.perf_counter(), time.process_time()
        a @ b
        runs.append((time.perf_counter() - wall, time.process_time() - cpu))
    return {
        "size": size,
        "repeats": repeats,
        "seconds": [run[0] for run in runs],
        "cpu_seconds": [run[1] for run in runs],
        "gflops": max(flops / run[0] for run in runs) / 1e9,
        "gflops_per_cpu_second": max(flops / run[1] for run in runs) / 1e9,
    }


def summarize_peak(before, after):
    """The machine's float32 peak from two ``measure_matmul_peak`` results, one before and one after the contenders.

    ``gflops`` is the larger of the best measured wall GFLOP/s and the best GFLOP per CPU second times the usable
    cores (on a shared machine the wall figure is low when other processes hold a core).
    """
    per_cpu_second = max(before["gflops_per_cpu_second"], after["gflops_per_cpu_second"])
    measured_wall = max(before["gflops"], after["gflops"])
    return {
        "method": f"float32 {before['size']}x{before['size']} matmul with NumPy ({_numpy_blas()}), all cores, best "
        f"of {before['repeats']}, before and after the contenders. gflops = the machine's peak: the larger of the "
        "best measured wall GFLOP/s and GFLOP per CPU second x usable cores (the wall figure is low when other "
        "processes hold a core)",
        "gflops": max(measured_wall, per_cpu_second * usable_cores()),
        "gflops_per_cpu_second": per_cpu_second,
        "measured_wall_gflops": measured_wall,
        "usable_cores": usable_cores(),
        "before": before,
        "after": after,
    }


def peak_fractions(flops_per_image, summary, peak):
    """Achieved GFLOP/s and fractions of the float32 ``peak`` (``summarize_peak``) of a ``summarize_times`` summary."""
    gflops = flops_per_image * summary["images_per_second"] / 1e9
    gflops_per_cpu_second = flops_per_image * summary["images_per_cpu_second"] / 1e9
    return {
        "achieved_gflops": gflops,
        "fraction_of_peak": gflops / peak["gflops"],
        "achieved_gflops_per_cpu_second": gflops_per_cpu_second,
        "fraction_of_peak_per_cpu_second": gflops_per_cpu_second / peak["gflops_per_cpu_second"],
    }


def _numpy_blas():
    try:
        import numpy as np

        config = np.show_config(mode="dicts")
        blas = config.get("Build Dependencies", {}).get("blas", {})
        return f"{blas.get('name')} {blas.get('version')}"
    except Exception:  # noqa: BLE001 - informative only
        return None


def lscpu_info():
    """``lscpu``'s model name, family, model and the SIMD flags that set the float32 peak."""
    try:
        text = subprocess.run(["lscpu"], capture_output=True, text=True, timeout=20, check=False).stdout
    except (OSError, subprocess.SubprocessError):
        return {}
    fields = {}
    for line in text.splitlines():
        key, _, value = line.partition(":")
        fields[key.strip()] = value.strip()
    flags = set(fields.get("Flags", "").split())
    return {
        "model_name": fields.get("Model name"),
        "cpu_family": fields.get("CPU family"),
        "model": fields.get("Model"),
        "stepping": fields.get("Stepping"),
        "cpus": fields.get("CPU(s)"),
        "simd_flags": sorted(flag for flag in flags if flag.startswith(("avx", "fma", "sse4"))),
    }


def load_images(args):
    import numpy as np

    if args.quick:
        rng = np.random.default_rng(args.seed)
        images = rng.integers(0, 256, size=(args.images or 384, 28, 28), dtype=np.uint8)
        return images, images, "random uint8 images (--quick)"
    path = Path(args.npz)
    if not path.is_file():
        raise SystemExit(f"MNIST file not found: {path}. Pass --npz PATH (Keras layout, x_train (60000, 28, 28)).")
    with np.load(path, allow_pickle=False) as archive:
        images = archive["x_train"]
    if images.dtype != np.uint8 or images.shape[1:] != (28, 28):
        raise SystemExit(f"{path}: x_train must be uint8 (N, 28, 28); it is {images.dtype} {images.shape}.")
    if args.images:
        images = images[: args.images]
    conv_images = images
    if args.conv_images and args.conv_images < len(images):
        subset = np.sort(np.random.default_rng(args.seed).choice(len(images), args.conv_images, replace=False))
        conv_images = images[subset]
    return images, conv_images, f"{path} x_train"


def _python_for(name, args):
    if name in TORCH_CONTENDERS:
        path = Path(args.torch_python)
        return path if path.is_absolute() else common.PROJECT_ROOT / path  # not resolved: a venv's python is a link
    return Path(sys.executable)


def run_contender(name, args, images_file, num_images, round_index, log_dir):
    """Runs one contender's worker process; returns its result dict (or one with an ``error``)."""
    result_file = log_dir / f"{name}_round{round_index}.json"
    command = [
        str(_python_for(name, args)),
        "-m",
        "benchmarks.peers",
        "--worker",
        name,
        "--images-file",
        str(images_file),
        "--num-images-hint",
        str(num_images),
        "--batch-size",
        str(args.batch_size),
        "--epochs",
        str(args.pytorch_example_epochs if name == "pytorch_example" else args.epochs),
        "--warmup-epochs",
        str(args.warmup_epochs),
        "--seed",
        str(args.seed + round_index),
        "--torch-threads",
        str(args.torch_threads),
        "--torch-warmup-steps",
        str(args.torch_warmup_steps),
        "--result-file",
        str(result_file),
    ]
    if round_index == 0 and name in CONV_CONTENDERS:
        command.append("--show-summary")
    env = {"KERAS_BACKEND": KERAS_BACKENDS[name]} if name in KERAS_BACKENDS else {}
    return common.run_worker_process(
        command, result_file, env=env, timeout=args.worker_timeout, echo_prefix=f"[{name}]"
    )


def add_peak_arguments(parser):
    """``--peak-size`` and ``--peak-repeats`` of ``measure_matmul_peak``."""
    parser.add_argument("--peak-size", type=common.positive_int, default=4096, help="float32 peak: matmul size")
    parser.add_argument("--peak-repeats", type=common.positive_int, default=3, help="float32 peak: best of N")


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--npz", default=str(DEFAULT_NPZ), help="MNIST in Keras's layout (x_train uint8)")
    parser.add_argument("--images", type=int, default=0, help="use the first N training images (default: all)")
    parser.add_argument(
        "--conv-images",
        type=int,
        default=6400,
        help="fixed random subset of the images for the conv comparison (default 6,400 = 50 batches; 0: all)",
    )
    parser.add_argument("--contenders", default=",".join(CONTENDERS), help=f"comma-separated subset of {CONTENDERS}")
    parser.add_argument("--rounds", type=common.positive_int, default=3)
    parser.add_argument("--epochs", type=common.positive_int, default=2, help="timed epochs per process")
    parser.add_argument("--warmup-epochs", type=int, default=1, help="untimed epochs per process")
    parser.add_argument("--batch-size", type=common.positive_int, default=BATCH_SIZE)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--torch-python",
        default=str(DEFAULT_TORCH_PYTHON),
        help="interpreter with torch and numpy for pytorch_example (default benchmarks/.venv-torch/bin/python)",
    )
    parser.add_argument(
        "--torch-threads",
        type=common.positive_int,
        default=usable_cores(),
        help="torch.set_num_threads of pytorch_example (default: the usable cores; the other PyTorch contenders: 1)",
    )
    parser.add_argument(
        "--pytorch-example-epochs",
        type=common.positive_int,
        default=1,
        help="timed epochs per process of pytorch_example, whose spinning threads can make an epoch take minutes "
        "on a loaded machine (default 1)",
    )
    parser.add_argument(
        "--torch-warmup-steps",
        type=int,
        default=20,
        help="untimed steps before the PyTorch contenders' timed epochs (0: --warmup-epochs whole epochs)",
    )
    add_peak_arguments(parser)
    parser.add_argument("--quick", action="store_true", help="smoke check: 384 random images, 1 round of 1 epoch")
    parser.add_argument("--name", default="peers", help="result file name (without .json)")
    common.add_output_argument(parser)
    common.add_worker_arguments(parser, CONTENDERS)
    parser.add_argument("--num-images-hint", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--show-summary", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    args.contenders = common.name_list(parser, "--contenders", args.contenders, CONTENDERS)
    if args.quick:
        args.rounds, args.epochs, args.warmup_epochs, args.pytorch_example_epochs = 1, 1, 1, 1
        args.torch_warmup_steps = min(args.torch_warmup_steps, 2)
        args.peak_size, args.peak_repeats = min(args.peak_size, 1024), min(args.peak_repeats, 2)
    return args


def _summarize(name, runs, num_images, flops, peak):
    seconds = [value for run in runs for value in run["seconds"]]
    cpu_seconds = [value for run in runs for value in run["cpu_seconds"]]
    summary = common.summarize_times(seconds, num_images, cpu_seconds)
    first = runs[0]
    keep = ("backend", "keras", "tensorflow", "jax", "torch", "num_threads", "steps_per_execution", "jit_compile")
    return {
        **{key: first[key] for key in keep if key in first},
        "pipeline": first.get("pipeline"),
        "num_parameters": first.get("num_parameters"),
        "images_per_epoch": num_images,
        **summary,
        **peak_fractions(flops["training_flops_per_image"], summary, peak),
        "epoch_seconds": seconds,
        "epoch_cpu_seconds": cpu_seconds,
        "warmup_seconds": [value for run in runs for value in run["warmup_seconds"]],
        "process_seconds": [run["process_seconds"] for run in runs],
        "epoch_losses_per_process": [run["epoch_losses"] for run in runs],
    }


def main(argv=None):
    args = parse_args(argv)
    if args.worker:
        run_worker(args)
        return None
    import numpy as np

    started = time.perf_counter()
    contenders = [name for name in CONTENDERS if name in args.contenders]
    notes = {}
    torch_python = _python_for("pytorch_example", args)
    if not torch_python.exists():
        for name in TORCH_CONTENDERS:
            if name in contenders:
                notes[name] = (
                    f"skipped: no interpreter at --torch-python {torch_python}. Create one with `python3 -m venv "
                    "benchmarks/.venv-torch && benchmarks/.venv-torch/bin/pip install torch numpy pillow --index-url "
                    "https://download.pytorch.org/whl/cpu` (see this script's docstring)."
                )
                print(f"{name} {notes[name]}", flush=True)
                contenders.remove(name)

    images, conv_images, source = load_images(args)
    peak_before = measure_matmul_peak(args.peak_size, args.peak_repeats)
    print(
        f"float32 matmul peak ({args.peak_size}^2, NumPy): {peak_before['gflops']:.1f} GFLOP/s, "
        f"{peak_before['gflops_per_cpu_second']:.1f} GFLOP per CPU second",
        flush=True,
    )
    flops = {"mlp": flop_count(mlp_layers()), "conv": flop_count(conv_layers())}
    with tempfile.TemporaryDirectory(prefix="peers_") as tmp:
        tmp = Path(tmp)
        files = {"mlp": tmp / "images_mlp.npy", "conv": tmp / "images_conv.npy"}
        np.save(files["mlp"], images)
        np.save(files["conv"], conv_images)
        counts = {"mlp": len(images), "conv": len(conv_images)}

        def kind_of(name):
            return "conv" if name in CONV_CONTENDERS else "mlp"

        def run_one(name, round_index):
            return run_contender(name, args, files[kind_of(name)], counts[kind_of(name)], round_index, tmp)

        def describe(name, result):
            rates = ", ".join(f"{counts[kind_of(name)] / s:,.0f}" for s in result["seconds"])
            return (
                f"{name:>26}: {rates} img/s "
                f"(process {result['process_seconds']:.0f} s, warm-up {sum(result['warmup_seconds']):.1f} s)"
            )

        runs, errors = common.run_rounds(contenders, args.rounds, run_one, describe)
    peak = summarize_peak(peak_before, measure_matmul_peak(args.peak_size, args.peak_repeats))
    summaries = {}
    for name in contenders:
        if runs[name]:
            kind = "conv" if name in CONV_CONTENDERS else "mlp"
            summaries[name] = _summarize(name, runs[name], counts[kind], flops[kind], peak)
            expected = flops[kind]["parameters"]
            if summaries[name]["num_parameters"] != expected:
                notes[name] = f"{summaries[name]['num_parameters']} parameters, counted layers give {expected}"
    conv_layer_tables = {
        name: {"encoder": runs[name][0]["encoder_layers"], "decoder": runs[name][0]["decoder_layers"]}
        for name in CONV_CONTENDERS
        if runs.get(name)
    }
    ratios = {}
    for numerator, denominator in RATIOS:
        if numerator in summaries and denominator in summaries:
            a, b = summaries[numerator], summaries[denominator]
            ratios[f"{numerator}_over_{denominator}"] = {
                **common.ratio_summary(a["epoch_seconds"], b["epoch_seconds"]),
                "cpu_ratio": statistics.median(b["epoch_cpu_seconds"]) / statistics.median(a["epoch_cpu_seconds"]),
            }
    for name, messages in errors.items():
        notes.setdefault(name, "")
        notes[name] = (notes[name] + " " if notes[name] else "") + "failed: " + " | ".join(messages)
    results = {
        "settings": {
            "contenders": list(args.contenders),
            "rounds": args.rounds,
            "timed_epochs_per_process": args.epochs,
            "timed_epochs_per_process_pytorch_example": args.pytorch_example_epochs,
            "warmup_epochs_per_process": args.warmup_epochs,
            "warmup_steps_per_process_torch": args.torch_warmup_steps,
            "batch_size": args.batch_size,
            "seed": args.seed,
            "data": source,
            "mlp_images_per_epoch": counts["mlp"],
            "conv_images_per_epoch": counts["conv"],
            "binarisation": "dynamic: a fresh Bernoulli draw per image and epoch",
            "torch_python": str(torch_python),
            "torch_threads": args.torch_threads,
            "quick": args.quick,
            "interleaving": "process level: each round runs every contender once, order rotated by one each round",
        },
        "lscpu": lscpu_info(),
        "float32_peak": peak,
        "flops": flops,
        "contenders": summaries,
        "ratios": ratios,
        "notes": notes,
        "conv_model_layers": conv_layer_tables,
        "total_seconds": time.perf_counter() - started,
    }
    # A missing or failing PyTorch is noted, not fatal.
    failed = [name for name in errors if name not in TORCH_CONTENDERS]
    return common.finish(args.name, results, args.out, print_table, failed)


def print_table(results):
    print(f"\n{'contender':>26} {'img/s':>9} {'CPU s/epoch':>11} {'GFLOP/s':>8} {'% peak':>7} {'% peak/CPU s':>12}")
    for name, summary in results["contenders"].items():
        print(
            f"{name:>26} {summary['images_per_second']:9,.0f} {summary['median_cpu_seconds']:11.2f} "
            f"{summary['achieved_gflops']:8.1f} {100 * summary['fraction_of_peak']:6.1f}% "
            f"{100 * summary['fraction_of_peak_per_cpu_second']:11.1f}%"
        )
    for key, ratio in results["ratios"].items():
        print(
            f"{key}: {ratio['ratio']:.3f} (per epoch {ratio['pairwise_min']:.2f}-{ratio['pairwise_max']:.2f}; "
            f"CPU-time ratio {ratio['cpu_ratio']:.3f})"
        )
    for name, note in results["notes"].items():
        print(f"note {name}: {note}")


if __name__ == "__main__":
    main()
