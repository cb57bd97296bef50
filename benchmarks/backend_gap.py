"""Why the TensorFlow backend trains our MNIST MLP VAE slower than the JAX backend on a CPU: one step taken apart.

The model is ``benchmarks/peers.py``'s MLP: ``models.build_vae((28, 28, 1), 20, hidden_units=(400,))`` (784-400-20,
Bernoulli, 652,824 parameters), Adam 1e-3, batch 128, real MNIST training images dynamically binarised, trained by
``fit`` the way ``vae_keras.train`` does (``jit_compile="auto"``: Keras turns XLA off for TensorFlow on a CPU, JAX
always uses it). Each variant below changes one thing, and each is measured on both backends where it means anything:

* ``fit``: ours, default settings. TensorFlow: ``data.make_dataset(..., binarize=True, repeat=True)``,
  ``steps_per_execution = train.whole_blocks(steps_per_epoch, 10)`` (7 for 60,000 images); JAX: ``data.ArrayDataset``
  (NumPy), ``steps_per_execution=10``; as in ``peers.py``;
* ``fit_fixed``: the same step fed one binarised batch over and over (TensorFlow:
  ``Dataset.from_tensors(batch).repeat()``, JAX: a ``PyDataset`` returning the batch): no input pipeline work;
* ``sgd``: ``fit_fixed`` with ``SGD(1e-3)`` instead of Adam. SGD's update (``w -= lr * g``, one pass over the weights)
  is the least an update can cost while the gradients are still computed, so ``fit_fixed - sgd`` is Adam's cost beyond
  a bare update, and ``sgd`` is the step with gradients and (almost) no update;
* ``xla`` (TensorFlow only): ``fit`` with ``jit_compile=True`` (XLA on the CPU); JAX's ``fit`` is its counterpart;
* ``fused_adam`` (TensorFlow only): ``fit`` with Keras's Adam whose ``update_step`` calls TensorFlow's fused kernel
  ``ResourceApplyAdam`` (the same formula, one pass per variable) instead of Keras's ops, which TensorFlow runs as 27
  kernels per variable;
* ``tiny``: the same VAE, optimizer, ``steps_per_execution`` and fixed input, but 8-4-2 instead of 784-400-20: what a
  step costs the framework when there is almost no arithmetic (op dispatch, executor, Python);
* ``gemms``: the matrix products alone, as one compiled function (``tf.function`` without XLA / ``jax.jit``) called once
  per "step": for each of the 5 dense layers at batch 128 the forward ``x @ W``, the input gradient ``dy @ W.T`` and the
  weight gradient ``x.T @ dy`` (15 GEMMs, the FLOPs that ``peers.flop_count`` counts for training);
* ``gemms_step``: the 14 of them a training step runs (both backends prune the first layer's input gradient).

Process settings (each set is a separate process, since a backend, oneDNN and thread pools are fixed at start-up):

* ``tf``, ``jax``: defaults (``XLA_FLAGS`` unset; ``TF_ENABLE_ONEDNN_OPTS=0``, TensorFlow's own default on this CPU,
  set explicitly since ``vae-keras`` and these benchmarks turn oneDNN on when it is unset); all the variants above;
* ``tf_onednn``: ``TF_ENABLE_ONEDNN_OPTS=1``. TensorFlow turns its oneDNN kernels on by default only on CPUs with
  AVX512_VNNI, AVX512_BF16 or AMX, so on an AVX2-only CPU such as this one the default is oneDNN *off* (Eigen kernels;
  each worker records ``onednn_enabled``): ``TF_ENABLE_ONEDNN_OPTS=0`` is the default here and ``=1`` the variant;
* ``tf_1thread``: ``tf.config.threading.set_intra_op_parallelism_threads(1)`` (the default, 0, means one per core);
* ``jax_1thread``: ``XLA_FLAGS="--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1"``;
  the last three run ``fit`` and ``gemms``;
* ``tf_tuned``: the TensorFlow settings that each gained something, together: ``TF_ENABLE_ONEDNN_OPTS=1`` and 1
  intra-op thread; it runs ``fit`` and ``fused_adam``.

How it is timed (see benchmarks/README.md): every process runs ``--rounds`` times, the processes' order rotated by one
each round; inside a process every variant first runs ``--warmup-epochs`` untimed units (tracing, XLA compilation,
first touch), then ``--epochs`` timed units each, interleaved (the order rotated each time). A unit is ``--steps``
training steps (a ``fit`` call of one epoch with ``steps_per_epoch``, timed from ``on_epoch_begin`` to ``on_epoch_end``,
which waits for the results), or ``--steps`` calls of the GEMM function. Wall and process CPU seconds of every unit are
saved; ms per step and images/s come from the median unit, and a ratio (JAX over TensorFlow, or a variant over its
baseline) is the ratio of two variants' median unit times, with the ratio of their median CPU seconds beside it.
FLOPs per image are ``peers.flop_count``'s (2 per multiply-add, training = 3 forward passes; the GEMM variants count
their own GEMMs), and the float32 peak is ``peers.measure_matmul_peak``'s (NumPy, before and after).

The first round of ``tf`` and ``jax`` also profiles 2 blocks of steps of ``fit_fixed`` before its warm-up
(``tf.profiler`` / ``jax.profiler``, untimed) and counts the kernels a step executes, by kind (GEMMs, the optimizer's,
the rest), with each GEMM's kernel time. The profiler slows small kernels down and adds up the time of all threads,
so its times say where the time goes, not how long a step takes.

    .venv/bin/python -m benchmarks.backend_gap                      # ~10-12 min on 2 busy cores
    .venv/bin/python -m benchmarks.backend_gap --quick --out /tmp/x   # 768 random images, 1 round: 2-2.5 min
"""

import argparse
import json
import math
import os
import re
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from benchmarks import common, peers

common.set_environment_defaults()

BATCH_SIZE = peers.BATCH_SIZE
LEARNING_RATE = peers.LEARNING_RATE
LATENT_DIM, HIDDEN_UNITS = 20, 400
# The per-step floor: the same VAE at 8-4-2, almost no arithmetic.
TINY_FEATURES, TINY_HIDDEN, TINY_LATENT = 8, 4, 2
QUICK_IMAGES = 768  # --quick: random images, 6 batches
ONE_THREAD_XLA_FLAGS = "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1"

STEP_VARIANTS = {
    "fit": {"optimizer": "adam", "input": "pipeline", "jit_compile": "auto", "model": "mlp"},
    "fit_fixed": {"optimizer": "adam", "input": "fixed", "jit_compile": "auto", "model": "mlp"},
    "sgd": {"optimizer": "sgd", "input": "fixed", "jit_compile": "auto", "model": "mlp"},
    "xla": {"optimizer": "adam", "input": "pipeline", "jit_compile": "true", "model": "mlp"},
    "fused_adam": {"optimizer": "fused_adam", "input": "pipeline", "jit_compile": "auto", "model": "mlp"},
    "tiny": {"optimizer": "adam", "input": "fixed", "jit_compile": "auto", "model": "tiny"},
}
GEMM_VARIANTS = ("gemms", "gemms_step")
# Each process: its Keras backend, the environment it starts with, TensorFlow's intra-op threads, its variants.
# Variables a process does not set are unset (so ``tf`` and ``jax`` run with the defaults).
RESET_ENVIRONMENT = {"TF_ENABLE_ONEDNN_OPTS": "0", "XLA_FLAGS": None}
PROCESSES = {
    "tf": {
        "backend": "tensorflow",
        "env": {},
        "variants": ("fit", "fit_fixed", "sgd", "xla", "fused_adam", "tiny", "gemms", "gemms_step"),
    },
    "jax": {"backend": "jax", "env": {}, "variants": ("fit", "fit_fixed", "sgd", "tiny", "gemms", "gemms_step")},
    "tf_onednn": {"backend": "tensorflow", "env": {"TF_ENABLE_ONEDNN_OPTS": "1"}, "variants": ("fit", "gemms")},
    "tf_1thread": {"backend": "tensorflow", "env": {}, "intra_op_threads": 1, "variants": ("fit", "gemms")},
    "jax_1thread": {"backend": "jax", "env": {"XLA_FLAGS": ONE_THREAD_XLA_FLAGS}, "variants": ("fit", "gemms")},
    # The TensorFlow settings that each gained something, together (and, as a variant, the fused Adam).
    "tf_tuned": {
        "backend": "tensorflow",
        "env": {"TF_ENABLE_ONEDNN_OPTS": "1"},
        "intra_op_threads": 1,
        "variants": ("fit", "fused_adam"),
    },
}
# JAX over TensorFlow: (row, TensorFlow process/variant, JAX process/variant).
COMPARISONS = (
    ("fit", "tf/fit", "jax/fit"),
    ("fit_fixed", "tf/fit_fixed", "jax/fit_fixed"),
    ("sgd", "tf/sgd", "jax/sgd"),
    ("tiny", "tf/tiny", "jax/tiny"),
    ("gemms", "tf/gemms", "jax/gemms"),
    ("gemms_step", "tf/gemms_step", "jax/gemms_step"),
    ("tf_xla vs jax fit", "tf/xla", "jax/fit"),
    ("tf_fused_adam vs jax fit", "tf/fused_adam", "jax/fit"),
    ("tf_onednn vs jax fit", "tf_onednn/fit", "jax/fit"),
    ("tf_onednn gemms vs jax gemms", "tf_onednn/gemms", "jax/gemms"),
    ("1 thread: fit", "tf_1thread/fit", "jax_1thread/fit"),
    ("1 thread: gemms", "tf_1thread/gemms", "jax_1thread/gemms"),
    ("tf_tuned fit vs jax fit", "tf_tuned/fit", "jax/fit"),
    ("tf_tuned fused_adam vs jax fit", "tf_tuned/fused_adam", "jax/fit"),
)
# One backend, one change: (variant, baseline); the ratio is the variant's throughput over the baseline's.
EFFECTS = (
    ("tf/fit_fixed", "tf/fit"),
    ("jax/fit_fixed", "jax/fit"),
    ("tf/sgd", "tf/fit_fixed"),
    ("jax/sgd", "jax/fit_fixed"),
    ("tf/xla", "tf/fit"),
    ("tf/fused_adam", "tf/fit"),
    ("tf_onednn/fit", "tf/fit"),
    ("tf_onednn/gemms", "tf/gemms"),
    ("tf_1thread/fit", "tf/fit"),
    ("tf_1thread/gemms", "tf/gemms"),
    ("jax_1thread/fit", "jax/fit"),
    ("jax_1thread/gemms", "jax/gemms"),
    ("tf_tuned/fit", "tf/fit"),
    ("tf_tuned/fused_adam", "tf/fit"),
)
# Keras names a process's optimizers adam, adam_1, ...; their ops' names carry that scope.
OPTIMIZER_SCOPE = re.compile(r"/(fused_)?(adam|sgd)(_\d+)?/")
# The step, taken apart: (part, variants added, variants subtracted), in ms per step.
DECOMPOSITION = (
    ("step: fit", ("fit",), ()),
    ("input pipeline: fit - fit_fixed", ("fit",), ("fit_fixed",)),
    ("Adam beyond a bare update: fit_fixed - sgd", ("fit_fixed",), ("sgd",)),
    ("GEMMs: gemms_step", ("gemms_step",), ()),
    ("the rest (element-wise ops, bare update, overhead): sgd - gemms_step", ("sgd",), ("gemms_step",)),
    ("per-step floor, part of the rest: tiny", ("tiny",), ()),
)
GEMM_OP_TYPES = {"MatMul", "_FusedMatMul", "_MklMatMul", "_MklFusedMatMul", "_MklNativeMatMul", "_MklNativeFusedMatMul"}


# --------------------------------------------------------------------------
# FLOPs
# --------------------------------------------------------------------------


def gemm_list(layers, skip_first_input_gradient):
    """``(layer index, kind)`` of the GEMMs of dense ``layers``: forward, input gradient, weight gradient."""
    return [
        (index, kind)
        for index in range(len(layers))
        for kind in ("forward", "input_gradient", "weight_gradient")
        if not (skip_first_input_gradient and index == 0 and kind == "input_gradient")
    ]


def flops_per_image(variant):
    """FLOPs per training image of a variant (2 per multiply-add; ``peers.flop_count``'s convention)."""
    if variant == "tiny":
        return peers.flop_count(peers.mlp_layers(TINY_FEATURES, TINY_HIDDEN, TINY_LATENT))["training_flops_per_image"]
    layers = peers.mlp_layers(hidden=HIDDEN_UNITS, latent=LATENT_DIM)
    if variant in GEMM_VARIANTS:
        return sum(2 * layers[index]["macs"] for index, _ in gemm_list(layers, variant == "gemms_step"))
    return peers.flop_count(layers)["training_flops_per_image"]


# --------------------------------------------------------------------------
# Worker: one process setting, its variants interleaved
# --------------------------------------------------------------------------


def _fused_adam(learning_rate):
    """Keras's Adam whose update is TensorFlow's fused ``ResourceApplyAdam`` kernel (TensorFlow backend only).

    The kernel computes what ``keras.optimizers.Adam.update_step`` does (m += (g - m)(1 - b1), v += (g^2 - v)(1 - b2),
    w -= lr sqrt(1 - b2^t) / (1 - b1^t) m / (sqrt(v) + eps)) in one pass over each variable.
    """
    import keras
    import tensorflow as tf

    class FusedAdam(keras.optimizers.Adam):
        def update_step(self, gradient, variable, learning_rate):
            dtype = variable.dtype
            index = self._get_variable_index(variable)
            step = tf.cast(self.iterations + 1, dtype)
            beta_1, beta_2 = tf.cast(self.beta_1, dtype), tf.cast(self.beta_2, dtype)
            tf.raw_ops.ResourceApplyAdam(
                var=variable.handle,
                m=self._momentums[index].value.handle,
                v=self._velocities[index].value.handle,
                beta1_power=tf.pow(beta_1, step),
                beta2_power=tf.pow(beta_2, step),
                lr=tf.cast(learning_rate, dtype),
                beta1=beta_1,
                beta2=beta_2,
                epsilon=tf.cast(self.epsilon, dtype),
                grad=tf.cast(gradient, dtype),
                use_locking=False,
            )

    return FusedAdam(learning_rate)


def _optimizer(kind):
    import keras

    if kind == "sgd":
        return keras.optimizers.SGD(LEARNING_RATE)
    if kind == "fused_adam":
        return _fused_adam(LEARNING_RATE)
    return keras.optimizers.Adam(LEARNING_RATE)


def _fixed_input(batch, backend):
    """One batch, fed again at every step (``fit`` then needs ``steps_per_epoch``): no input pipeline work."""
    if backend == "tensorflow":
        import tensorflow as tf

        return tf.data.Dataset.from_tensors(batch).repeat()
    import keras

    class RepeatedBatch(keras.utils.PyDataset):
        def __len__(self):
            return 2**31 - 1

        def __getitem__(self, index):
            return batch

    return RepeatedBatch()


def _step_variant(name, backend, images, args):
    """A compiled VAE and a function that trains it for ``args.steps`` steps and returns (wall, CPU) seconds."""
    import keras
    import numpy as np

    from vae_keras import data, models, train

    spec = STEP_VARIANTS[name]
    keras.utils.set_random_seed(args.seed)
    rng = np.random.default_rng(args.seed)
    if spec["model"] == "tiny":
        model = models.build_vae((TINY_FEATURES,), TINY_LATENT, hidden_units=(TINY_HIDDEN,), seed=args.seed)
        batch = (rng.random((BATCH_SIZE, TINY_FEATURES)) < 0.5).astype("float32")
    else:
        model = models.build_vae(peers.IMAGE_SHAPE, LATENT_DIM, hidden_units=(HIDDEN_UNITS,), seed=args.seed)
        intensities = images[:BATCH_SIZE].astype("float32") / 255.0
        batch = (rng.random(intensities.shape) < intensities).astype("float32")
    model.compile(
        optimizer=_optimizer(spec["optimizer"]),
        steps_per_execution=args.steps_per_execution,
        jit_compile=train.resolve_jit_compile(spec["jit_compile"]),
    )
    if spec["input"] == "fixed":
        dataset = _fixed_input(batch, backend)
    elif backend == "tensorflow":
        dataset = data.make_dataset(images, BATCH_SIZE, binarize=True, seed=args.seed, repeat=True)
    else:
        dataset = data.ArrayDataset(images, BATCH_SIZE, binarize=True, seed=args.seed)

    def run(steps=args.steps):
        seconds, cpu_seconds = common.timed_fit(model, dataset, epochs=1, steps_per_epoch=steps, shuffle=False)
        return seconds[0], cpu_seconds[0]

    info = {
        "kind": "fit",
        **spec,
        "num_parameters": int(sum(math.prod(weight.shape) for weight in model.trainable_weights)),
    }
    run.model, run.batch = model, batch
    return run, info


def _gemm_variant(name, backend, args):
    """The dense layers' GEMMs at batch 128 as one compiled function; ``run`` calls it ``args.steps`` times."""
    import numpy as np

    layers = peers.mlp_layers(hidden=HIDDEN_UNITS, latent=LATENT_DIM)
    gemms = gemm_list(layers, skip_first_input_gradient=name == "gemms_step")
    rng = np.random.default_rng(args.seed)
    xs = [rng.standard_normal((BATCH_SIZE, layer["inputs"]), dtype=np.float32) for layer in layers]
    ws = [0.05 * rng.standard_normal((layer["inputs"], layer["outputs"]), dtype=np.float32) for layer in layers]
    dys = [rng.standard_normal((BATCH_SIZE, layer["outputs"]), dtype=np.float32) for layer in layers]

    def products(xs, ws, dys, matmul):
        outputs = []
        for index, kind in gemms:
            x, w, dy = xs[index], ws[index], dys[index]
            if kind == "forward":
                outputs.append(matmul(x, w, False, False))
            elif kind == "input_gradient":
                outputs.append(matmul(dy, w, False, True))
            else:
                outputs.append(matmul(x, dy, True, False))
        return outputs

    if backend == "tensorflow":
        import tensorflow as tf

        def tf_matmul(a, b, transpose_a, transpose_b):
            return tf.matmul(a, b, transpose_a=transpose_a, transpose_b=transpose_b)

        function = tf.function(lambda xs, ws, dys: products(xs, ws, dys, tf_matmul))
        inputs = [[tf.constant(value) for value in values] for values in (xs, ws, dys)]

        def wait(outputs):
            outputs[-1].numpy()

        compiler = "tf.function (no XLA)"
    else:
        import jax

        def jax_matmul(a, b, transpose_a, transpose_b):
            return (a.T if transpose_a else a) @ (b.T if transpose_b else b)

        function = jax.jit(lambda xs, ws, dys: products(xs, ws, dys, jax_matmul))
        inputs = [[jax.numpy.asarray(value) for value in values] for values in (xs, ws, dys)]
        wait = jax.block_until_ready
        compiler = "jax.jit"

    def run():
        wall, cpu = time.perf_counter(), time.process_time()
        for _ in range(args.steps):
            outputs = function(*inputs)
        wait(outputs)
        return time.perf_counter() - wall, time.process_time() - cpu

    info = {"kind": "gemms", "compiler": compiler, "gemms": [f"{layers[i]['layer']} {kind}" for i, kind in gemms]}
    return run, info


def _configure(process):
    """Sets TensorFlow's threads before its runtime starts; returns what this process runs with."""
    info = {"env": {key: os.environ.get(key) for key in ("KERAS_BACKEND", *RESET_ENVIRONMENT)}}
    if process["backend"] == "tensorflow":
        import tensorflow as tf
        from tensorflow.python.util import _pywrap_util_port

        if process.get("intra_op_threads"):
            tf.config.threading.set_intra_op_parallelism_threads(process["intra_op_threads"])
        info.update(
            tensorflow=tf.__version__,
            intra_op_parallelism_threads=tf.config.threading.get_intra_op_parallelism_threads(),
            inter_op_parallelism_threads=tf.config.threading.get_inter_op_parallelism_threads(),
            onednn_enabled=bool(_pywrap_util_port.IsMklEnabled()),
        )
    else:
        import jax

        info.update(jax=jax.__version__, devices=[str(device) for device in jax.devices()])
    return info


# --------------------------------------------------------------------------
# Profiles: the kernels of one step, by kind
# --------------------------------------------------------------------------


def _xplane_module():
    """TensorFlow's ``xplane_pb2`` (the trace format of both profilers), loaded from its file: importing it as
    ``tensorflow.tsl...`` would import all of TensorFlow, seconds a JAX process does not need to spend."""
    import importlib.util

    package = Path(importlib.util.find_spec("tensorflow").submodule_search_locations[0])
    spec = importlib.util.spec_from_file_location(
        "xplane_pb2", package / "tsl" / "profiler" / "protobuf" / "xplane_pb2.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _xplane_events(logdir):
    """``(line name, event name, display name, duration in ps, stats)`` of the host plane of a profiler trace."""
    space = _xplane_module().XSpace()
    space.ParseFromString(next(Path(logdir).rglob("*.xplane.pb")).read_bytes())
    for plane in space.planes:
        if plane.name != "/host:CPU":
            continue
        stat_names = {key: value.name for key, value in plane.stat_metadata.items()}

        def value(stat, plane=plane):
            if stat.ref_value:
                return plane.stat_metadata[stat.ref_value].name
            return stat.str_value or stat.int64_value or stat.uint64_value

        for line in plane.lines:
            for event in line.events:
                meta = plane.event_metadata[event.metadata_id]
                stats = {stat_names.get(stat.metadata_id): value(stat) for stat in event.stats}
                yield line.name, meta.name, meta.display_name, event.duration_ps, stats


def _category(is_gemm, name, backward_scope):
    """A kernel's kind from its op's name (TF node name or XLA op_name); backward ops have ``backward_scope``."""
    if is_gemm:
        return "gemm"
    if OPTIMIZER_SCOPE.search(name):
        return "optimizer"
    return "backward (other)" if backward_scope in name else "forward, loss, metrics"


def _tf_kernels(logdir):
    """``(category, op type, node, duration ps)`` of every TensorFlow kernel the executors ran (on any thread)."""
    for line, name, op_type, duration, _ in _xplane_events(logdir):
        # A kernel's event is "node:OpType"; tf.data's own events are left out.
        if not op_type or not name.endswith(f":{op_type}") or line.startswith("tf_data"):
            continue
        category = _category(op_type in GEMM_OP_TYPES, name, backward_scope="gradient_tape/")
        yield category, op_type, name.rsplit("StatefulPartitionedCall/", 1)[-1], duration


def _hlo_instructions(hlo_text):
    """``{instruction: (opcode, called computation has a dot, op_name)}`` of a compiled module's HLO text."""
    computations, current = {}, None
    for line in hlo_text.splitlines():
        if line and not line.startswith(" ") and line.rstrip().endswith("{"):
            current = line.split()[1 if line.startswith("ENTRY") else 0].lstrip("%")
            computations[current] = []
        elif current and line.startswith(" "):
            computations[current].append(line)
    has_dot = {name: any(" dot(" in line for line in lines) for name, lines in computations.items()}
    pattern = re.compile(r"^\s*(?:ROOT )?%?([\w.\-]+) = \S+ ([\w\-]+)\(")
    instructions = {}
    for lines in computations.values():
        for line in lines:
            match = pattern.match(line)
            if match:
                calls = re.search(r"calls=%?([\w.\-]+)", line)
                op_name = re.search(r'op_name="([^"]*)"', line)
                instructions[match.group(1)] = (
                    match.group(2),
                    bool(calls and has_dot.get(calls.group(1))),
                    op_name.group(1) if op_name else "",
                )
    return instructions


def _jax_kernels(logdir, instructions):
    """``(category, HLO instruction, duration ps)`` of every XLA kernel of the train step the trace ran."""
    for _, name, _, duration, stats in _xplane_events(logdir):
        if "hlo_op" not in stats or "train_step" not in str(stats.get("hlo_module", "")) or name != stats["hlo_op"]:
            continue
        opcode, calls_dot, op_name = instructions.get(name, (None, False, ""))
        if opcode is None:
            category = "unmatched"
        else:
            category = _category(opcode == "dot" or calls_dot, op_name, backward_scope="transpose(")
        yield category, re.sub(r"\.\d+$", "", name), f"{name} {op_name.removeprefix('jit(train_step)/')}", duration


def _kernel_table(kernels, steps):
    """Kernels per step and kernel milliseconds per step (all threads together), by category, op type and GEMM."""
    count, time_ps = Counter(), Counter()
    by_type_count, by_type_ps, gemm_ps = Counter(), Counter(), Counter()
    for category, op_type, label, duration in kernels:
        count[category] += 1
        time_ps[category] += duration
        by_type_count[op_type] += 1
        by_type_ps[op_type] += duration
        if category == "gemm":
            gemm_ps[label] += duration
    total = sum(time_ps.values()) or 1
    return {
        "kernels_per_step": sum(count.values()) / steps,
        "kernel_ms_per_step": total / 1e9 / steps,
        "by_category": {
            category: {
                "kernels_per_step": count[category] / steps,
                "kernel_ms_per_step": time_ps[category] / 1e9 / steps,
                "share_of_kernel_time": time_ps[category] / total,
            }
            for category in sorted(count)
        },
        "by_op_type": {
            op_type: {
                "kernels_per_step": by_type_count[op_type] / steps,
                "kernel_ms_per_step": by_type_ps[op_type] / 1e9 / steps,
            }
            for op_type, _ in by_type_ps.most_common(20)
        },
        "gemm_kernel_ms_per_step": {label: value / 1e9 / steps for label, value in gemm_ps.most_common()},
    }


def _profile_step(run, backend, steps):
    """Profiles ``steps`` steps of a step variant (untimed) and counts their kernels per step, by category.

    Keep ``steps`` small (2 blocks of ``steps_per_execution``): the trace keeps every event in memory.
    """
    with tempfile.TemporaryDirectory(prefix="backend_gap_profile_") as logdir:
        if backend == "tensorflow":
            import tensorflow as tf

            # Level 3 records every kernel: at the default level the executor leaves out those it deems cheap.
            tf.profiler.experimental.start(
                logdir, options=tf.profiler.experimental.ProfilerOptions(host_tracer_level=3)
            )
            run(steps)
            tf.profiler.experimental.stop()
            table = _kernel_table(_tf_kernels(logdir), steps)
            table["source"] = "tf.profiler (host_tracer_level=3): the executor's kernels, by op type"
        else:
            import jax

            # The executable fit runs: Keras's jitted train_step, in the train function's closure.
            cells = run.model.train_function.__closure__
            jitted = next(cell.cell_contents for cell in cells if hasattr(cell.cell_contents, "lower"))
            state = run.model._get_jax_state(
                trainable_variables=True, non_trainable_variables=True, optimizer_variables=True, metrics_variables=True
            )
            hlo_text = jitted.lower(state, (run.batch,)).compile().as_text()
            jax.profiler.start_trace(logdir)
            run(steps)
            jax.profiler.stop_trace()
            table = _kernel_table(_jax_kernels(logdir, _hlo_instructions(hlo_text)), steps)
            entry = hlo_text[hlo_text.index("ENTRY") :]
            table["hlo_entry_opcodes"] = dict(Counter(re.findall(r"= \S+ ([\w\-]+)\(", entry)).most_common())
            table["hlo_fusion_kinds"] = dict(Counter(re.findall(r"kind=(k\w+)", entry)))
            table["source"] = "jax.profiler: the XLA:CPU thunks of the jitted train_step, categorised from its HLO"
    table["profiled_steps"] = steps
    return table


def run_worker(args):
    import numpy as np

    process = PROCESSES[args.worker]
    start = time.perf_counter()
    info = _configure(process)
    import keras

    backend = keras.backend.backend()
    if backend != process["backend"]:
        raise RuntimeError(f"Process {args.worker!r} needs KERAS_BACKEND={process['backend']}; it runs {backend!r}.")
    images = np.load(args.images_file)[..., None]  # (N, 28, 28, 1) uint8
    args.steps_per_execution = args.tf_steps_per_execution if backend == "tensorflow" else 10
    runners, variant_info = {}, {}
    for name in process["variants"]:
        if name in GEMM_VARIANTS:
            runners[name], variant_info[name] = _gemm_variant(name, backend, args)
        else:
            runners[name], variant_info[name] = _step_variant(name, backend, images, args)
            variant_info[name]["steps_per_execution"] = args.steps_per_execution
    timings = {name: {"seconds": [], "cpu_seconds": [], "warmup_seconds": []} for name in runners}
    profile = None
    if args.profile_step:
        # Before anything else has run long: after a few hundred steps TensorFlow's executor runs the kernels it has
        # found cheap inline, where the profiler no longer sees them (the count then drops from ~409 to ~100 per step).
        runners["fit_fixed"](args.steps_per_execution)  # tracing / compilation
        profile = _profile_step(runners["fit_fixed"], backend, 2 * args.steps_per_execution)
    for name, run in runners.items():
        for _ in range(args.warmup_epochs):
            timings[name]["warmup_seconds"].append(run()[0])
    names = list(runners)
    for epoch in range(args.epochs):
        shift = (args.round + epoch) % len(names)
        for name in names[shift:] + names[:shift]:
            seconds, cpu_seconds = runners[name]()
            timings[name]["seconds"].append(seconds)
            timings[name]["cpu_seconds"].append(cpu_seconds)
            print(f"[{args.worker}] {name}: {1e3 * seconds / args.steps:.2f} ms/step", flush=True)
    result = {
        "process": args.worker,
        "backend": backend,
        "keras": keras.__version__,
        **info,
        "steps_per_unit": args.steps,
        "variants": {name: {**variant_info[name], **timings[name]} for name in names},
        "profile_fit_fixed": profile,
        "worker_seconds": time.perf_counter() - start,
    }
    Path(args.result_file).write_text(json.dumps(result, indent=1) + "\n")


# --------------------------------------------------------------------------
# Orchestrator
# --------------------------------------------------------------------------


def run_process(name, args, images_file, round_index, log_dir):
    process = PROCESSES[name]
    result_file = log_dir / f"{name}_round{round_index}.json"
    command = [
        sys.executable,
        "-m",
        "benchmarks.backend_gap",
        "--worker",
        name,
        "--images-file",
        images_file,
        "--steps",
        args.steps,
        "--tf-steps-per-execution",
        args.tf_steps_per_execution,
        "--epochs",
        args.epochs,
        "--warmup-epochs",
        args.warmup_epochs,
        "--seed",
        args.seed,
        "--round",
        round_index,
        "--result-file",
        result_file,
    ]
    if round_index == 0 and args.profile and "fit_fixed" in process["variants"]:
        command.append("--profile-step")
    env = {**RESET_ENVIRONMENT, "KERAS_BACKEND": process["backend"], **process["env"]}
    return common.run_worker_process(command, result_file, env=env, timeout=args.worker_timeout)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--npz", default=str(peers.DEFAULT_NPZ), help="MNIST in Keras's layout (x_train uint8)")
    parser.add_argument("--images", type=int, default=0, help="use the first N training images (default: all)")
    parser.add_argument(
        "--processes", default=",".join(PROCESSES), help=f"comma-separated subset of {tuple(PROCESSES)}"
    )
    parser.add_argument("--rounds", type=common.positive_int, default=3, help="runs of every process (default 3)")
    parser.add_argument(
        "--epochs", type=common.positive_int, default=3, help="timed units per variant per process (default 3)"
    )
    parser.add_argument("--warmup-epochs", type=int, default=1, help="untimed units per variant per process")
    parser.add_argument(
        "--steps",
        type=common.positive_int,
        default=35,
        help="training steps (or GEMM calls) per unit, rounded up to whole blocks of steps_per_execution (default 35)",
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-profile", dest="profile", action="store_false", help="skip the profiled kernel counts")
    peers.add_peak_arguments(parser)
    parser.add_argument(
        "--quick", action="store_true", help=f"smoke check: {QUICK_IMAGES} random images, 1 round, 1 unit of 6 steps"
    )
    parser.add_argument("--name", default="backend_gap", help="result file name (without .json)")
    common.add_output_argument(parser)
    common.add_worker_arguments(parser, PROCESSES)
    parser.add_argument("--tf-steps-per-execution", type=int, default=7, help=argparse.SUPPRESS)
    parser.add_argument("--round", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--profile-step", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    args.processes = common.name_list(parser, "--processes", args.processes, PROCESSES)
    if args.quick:
        args.rounds, args.epochs, args.warmup_epochs, args.steps = 1, 1, 1, min(args.steps, 6)
        args.images = args.images or QUICK_IMAGES
        args.peak_size, args.peak_repeats = min(args.peak_size, 1024), min(args.peak_repeats, 2)
    return args


def _summarize(runs, variant, steps, peak):
    seconds = [value for run in runs for value in run["seconds"]]
    cpu_seconds = [value for run in runs for value in run["cpu_seconds"]]
    summary = common.summarize_times(seconds, steps * BATCH_SIZE, cpu_seconds)
    keep = {key: value for key, value in runs[0].items() if key not in ("seconds", "cpu_seconds", "warmup_seconds")}
    return {
        **keep,
        "ms_per_step": 1e3 * summary["median_seconds"] / steps,
        "cpu_ms_per_step": 1e3 * summary["median_cpu_seconds"] / steps,
        **summary,
        "flops_per_image": flops_per_image(variant),
        **peers.peak_fractions(flops_per_image(variant), summary, peak),
        "epoch_seconds": seconds,
        "epoch_cpu_seconds": cpu_seconds,
        "warmup_seconds": [value for run in runs for value in run["warmup_seconds"]],
    }


def _ratio(numerator, denominator):
    """Throughput of ``numerator`` over ``denominator`` (summaries), wall and CPU time."""
    return {
        **common.ratio_summary(numerator["epoch_seconds"], denominator["epoch_seconds"]),
        "cpu_ratio": denominator["median_cpu_seconds"] / numerator["median_cpu_seconds"],
    }


def decomposition(summaries):
    """Each backend's step in ms (median wall and CPU), split into differences of the variants' medians."""
    table = {}
    for field in ("ms_per_step", "cpu_ms_per_step"):
        rows = {}
        for label, plus, minus in DECOMPOSITION:
            row = {}
            for process in ("tf", "jax"):
                if all(f"{process}/{variant}" in summaries for variant in plus + minus):
                    row[process] = sum(summaries[f"{process}/{variant}"][field] for variant in plus) - sum(
                        summaries[f"{process}/{variant}"][field] for variant in minus
                    )
            if len(row) == 2:
                row["tf_minus_jax"] = row["tf"] - row["jax"]
            rows[label] = row
        table[field] = rows
    return table


def main(argv=None):
    """Runs the benchmark (or, with ``--worker``, one of its processes) and returns the results written."""
    args = parse_args(argv)
    return run_worker(args) if args.worker else run_benchmark(args)


def run_benchmark(args):
    import numpy as np

    from vae_keras import train

    started = time.perf_counter()
    images, _, source = peers.load_images(argparse.Namespace(**vars(args), conv_images=0))
    # Both backends run the same steps per unit: whole blocks of TensorFlow's steps_per_execution, within one epoch
    # (a JAX ArrayDataset ends with the epoch).
    steps_per_epoch = math.ceil(len(images) / BATCH_SIZE)
    args.tf_steps_per_execution = train.whole_blocks(steps_per_epoch, 10)
    args.steps = math.ceil(args.steps / args.tf_steps_per_execution) * args.tf_steps_per_execution
    if args.steps > steps_per_epoch:
        raise SystemExit(f"--steps {args.steps} exceeds the {steps_per_epoch} batches of {len(images)} images.")
    peak_before = peers.measure_matmul_peak(args.peak_size, args.peak_repeats)
    print(f"float32 matmul peak ({args.peak_size}^2, NumPy): {peak_before['gflops']:.1f} GFLOP/s", flush=True)
    names = [name for name in PROCESSES if name in args.processes]

    def describe(name, result):
        rates = "; ".join(
            f"{variant} " + ", ".join(f"{1e3 * s / args.steps:.1f}" for s in timing["seconds"])
            for variant, timing in result["variants"].items()
        )
        return f"{name} ({result['process_seconds']:.0f} s), ms/step: {rates}"

    with tempfile.TemporaryDirectory(prefix="backend_gap_") as tmp:
        images_file = Path(tmp) / "images.npy"
        np.save(images_file, images)
        runs, errors = common.run_rounds(
            names,
            args.rounds,
            lambda name, round_index: run_process(name, args, images_file, round_index, Path(tmp)),
            describe,
        )
    peak = peers.summarize_peak(peak_before, peers.measure_matmul_peak(args.peak_size, args.peak_repeats))

    summaries = {}
    for name in names:
        if runs[name]:
            for variant in PROCESSES[name]["variants"]:
                variant_runs = [run["variants"][variant] for run in runs[name]]
                summaries[f"{name}/{variant}"] = _summarize(variant_runs, variant, args.steps, peak)
    comparisons = {
        row: {"tf": tf_key, "jax": jax_key, "jax_over_tf": _ratio(summaries[jax_key], summaries[tf_key])}
        for row, tf_key, jax_key in COMPARISONS
        if tf_key in summaries and jax_key in summaries
    }
    effects = {
        f"{variant} over {baseline}": _ratio(summaries[variant], summaries[baseline])
        for variant, baseline in EFFECTS
        if variant in summaries and baseline in summaries
    }
    processes = {
        name: {
            key: runs[name][0].get(key)
            for key in (
                "backend",
                "env",
                "onednn_enabled",
                "intra_op_parallelism_threads",
                "inter_op_parallelism_threads",
                "tensorflow",
                "jax",
                "devices",
            )
            if key in runs[name][0]
        }
        | {"process_seconds": [run["process_seconds"] for run in runs[name]]}
        for name in names
        if runs[name]
    }
    results = {
        "settings": {
            "processes": names,
            "rounds": args.rounds,
            "timed_units_per_variant_per_process": args.epochs,
            "warmup_units_per_variant_per_process": args.warmup_epochs,
            "steps_per_unit": args.steps,
            "steps_per_execution": {"tensorflow": args.tf_steps_per_execution, "jax": 10},
            "batch_size": BATCH_SIZE,
            "learning_rate": LEARNING_RATE,
            "model": f"build_vae((28, 28, 1), {LATENT_DIM}, hidden_units=({HIDDEN_UNITS},)), Bernoulli",
            "tiny_model": f"build_vae(({TINY_FEATURES},), {TINY_LATENT}, hidden_units=({TINY_HIDDEN},))",
            "data": source,
            "images": len(images),
            "binarisation": "dynamic (fit, xla, fused_adam); fixed: one binarised batch repeated",
            "seed": args.seed,
            "quick": args.quick,
            "interleaving": "processes rotated by one each round; inside a process the variants' units interleaved, "
            "order rotated each time",
        },
        "lscpu": peers.lscpu_info(),
        "float32_peak": peak,
        "processes": processes,
        "variants": summaries,
        "jax_over_tf": comparisons,
        "effects": effects,
        "decomposition_ms_per_step": decomposition(summaries),
        "profile_fit_fixed": {name: runs[name][0].get("profile_fit_fixed") for name in ("tf", "jax") if runs.get(name)},
        "errors": errors,
        "total_seconds": time.perf_counter() - started,
    }
    return common.finish(args.name, results, args.out, print_tables, failed=errors)


def print_tables(results):
    print(f"\n{'process/variant':>22} {'img/s':>8} {'ms/step':>8} {'CPU ms':>7} {'GFLOP/s':>8} {'% peak':>7}")
    for name, summary in results["variants"].items():
        percent = 100 * summary["fraction_of_peak"]
        print(
            f"{name:>22} {summary['images_per_second']:8,.0f} {summary['ms_per_step']:8.2f} "
            f"{summary['cpu_ms_per_step']:7.2f} {summary['achieved_gflops']:8.1f} {percent:6.1f}%"
        )
    print("\nJAX over TensorFlow (throughput; CPU-time ratio in brackets)")
    for row, comparison in results["jax_over_tf"].items():
        ratio = comparison["jax_over_tf"]
        print(f"{row:>30}: {ratio['ratio']:.3f} ({ratio['cpu_ratio']:.3f})")
    print("\nOne change, one backend (throughput ratio; CPU-time ratio in brackets)")
    for row, ratio in results["effects"].items():
        print(f"{row:>30}: {ratio['ratio']:.3f} ({ratio['cpu_ratio']:.3f})")
    print("\nThe step taken apart, ms per step (wall | CPU): TF, JAX, TF - JAX")
    wall, cpu = (results["decomposition_ms_per_step"][field] for field in ("ms_per_step", "cpu_ms_per_step"))
    for label in wall:
        cells = [
            " ".join("     -" if row.get(key) is None else f"{row[key]:6.2f}" for key in ("tf", "jax", "tf_minus_jax"))
            for row in (wall[label], cpu[label])
        ]
        print(f"  {cells[0]} | {cells[1]}  {label}")


if __name__ == "__main__":
    main()
