"""Data-parallel training over a machine's devices, on the engines that already exist.

`scope(True, batch_size)` wraps a run's model building, checkpoint loading, compiling and fitting:

- on JAX it sets Keras's own distribution, `keras.distribution.DataParallel` over every device
  `keras.distribution.list_devices()` sees: variables are replicated, each batch is split across the
  devices, and XLA inserts the all-reduce;
- on TensorFlow it enters a `tf.distribute.MirroredStrategy` over the GPUs (or, without GPUs, the
  logical CPU devices): Keras's trainer then runs a replica per device and sums their gradients.
  The VAE's `compute_loss` divides each replica's loss by their number, as Keras's own does.

Nothing here is home-made: this only chooses the engine and the devices, and checks the batch size.
Multi-host use needs the engines' own set-up first (see the README: `keras.distribution.initialize`
/ `jax.distributed.initialize` on JAX, `tf.distribute.MultiWorkerMirroredStrategy` on TensorFlow).
"""

import contextlib

import keras


def device_names():
    """The devices a data-parallel run of the current backend would use."""
    backend = keras.backend.backend()
    if backend == "jax":
        return list(keras.distribution.list_devices())
    if backend == "tensorflow":
        import tensorflow as tf

        gpus = tf.config.list_logical_devices("GPU")
        return [device.name for device in gpus or tf.config.list_logical_devices("CPU")]
    return []


@contextlib.contextmanager
def scope(enabled, batch_size=None):
    """Distributes what runs inside over every local device; does nothing when ``enabled`` is false.

    Yields:
        The list of device names (empty when not enabled).

    Raises:
        ValueError: on a backend without data-parallel support here (only JAX and TensorFlow),
            or, on JAX, for a ``batch_size`` that does not split evenly across the devices.
    """
    if not enabled:
        yield []
        return
    backend = keras.backend.backend()
    if backend not in ("jax", "tensorflow"):
        raise ValueError(
            f"`distribute=True` needs the JAX or TensorFlow backend. Received: backend={backend!r}. "
            "Set KERAS_BACKEND=jax or tensorflow."
        )
    devices = device_names()
    if backend == "jax":
        if batch_size is not None and batch_size % len(devices):
            raise ValueError(
                f"`batch_size` must split evenly across the {len(devices)} devices of a distributed run. "
                f"Received: batch_size={batch_size}. Accepted: a multiple of {len(devices)}."
            )
        previous = keras.distribution.distribution()
        keras.distribution.set_distribution(keras.distribution.DataParallel(devices=devices))
        try:
            yield devices
        finally:
            keras.distribution.set_distribution(previous)
        return
    import tensorflow as tf

    on_cpus = not tf.config.list_logical_devices("GPU")
    # NCCL all-reduce is for GPUs; CPU replicas reduce through one device.
    cross_device_ops = tf.distribute.ReductionToOneDevice() if on_cpus else None
    strategy = tf.distribute.MirroredStrategy(devices=devices, cross_device_ops=cross_device_ops)
    with strategy.scope():
        yield devices
