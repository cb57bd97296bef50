"""A checkpoint and its state.json restore everything that decides the next training step.

The end-to-end check (a real kill -9 in an epoch, then the rerun's losses against an uninterrupted run's)
is ``tests/test_resume.py``; here the pieces, in process.
"""

import keras
import numpy as np
import pytest

from vae_keras import checkpoints, models


def _trained_vae():
    keras.utils.set_random_seed(0)
    vae = models.build_vae((8, 8, 1), 2, hidden_units=(16,), dropout=0.2, seed=0)
    vae.compile(optimizer=keras.optimizers.Adam(1e-3))
    images = (np.random.default_rng(0).random((64, 8, 8, 1)) < 0.3).astype("float32")
    vae.fit(images, epochs=2, batch_size=16, shuffle=False, verbose=0)
    return vae, images


def _next_losses(vae, images):
    return [float(vae.train_on_batch(images[:16], return_dict=True)["loss"]) for _ in range(3)]


def test_a_loaded_checkpoint_with_its_seed_generators_takes_the_same_next_steps(tmp_path):
    vae, images = _trained_vae()
    states = checkpoints.seed_generator_states(vae)
    # The sampling layer's and the two dropout layers' (encoder and decoder): [seed, steps drawn].
    assert len(states) == 3 and all(len(state) == 2 and state[1] > 0 for state in states), states
    vae.save(tmp_path / "epoch.keras")
    state = {"checkpoint": "epoch.keras", "seed_generators": states}

    without = keras.saving.load_model(tmp_path / "epoch.keras")
    # What Keras leaves out of a .keras file: every stream starts again.
    assert checkpoints.seed_generator_states(without) != states
    loaded = checkpoints.load_checkpoint(tmp_path, state)
    assert checkpoints.seed_generator_states(loaded) == states

    expected = _next_losses(vae, images)
    assert _next_losses(loaded, images) == expected  # weights, Adam's moments and the noise: bit for bit
    assert _next_losses(without, images) != expected
    assert int(loaded.optimizer.iterations.numpy()) == int(vae.optimizer.iterations.numpy())


def test_a_checkpoint_of_an_older_version_loads_without_seed_generators(tmp_path):
    vae, _ = _trained_vae()
    vae.save(tmp_path / "epoch.keras")
    loaded = checkpoints.load_checkpoint(tmp_path, {"checkpoint": "epoch.keras"})
    assert [w.shape for w in loaded.get_weights()] == [w.shape for w in vae.get_weights()]


@pytest.mark.parametrize("states", [[[0, 1]], [[0, 1], [2, 3], [4, 5, 6]], [[0, 1]] * 4])
def test_seed_generator_states_that_do_not_fit_the_model_are_refused(states):
    vae, _ = _trained_vae()
    with pytest.raises(ValueError, match=r"one \[seed, counter\] pair per seed generator of the model \(3\)"):
        checkpoints.restore_seed_generators(vae, states)


def test_a_missing_or_damaged_checkpoint_is_named(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist.*nothing.keras"):
        checkpoints.load_checkpoint(tmp_path, {"checkpoint": "nothing.keras"})
    (tmp_path / "broken.keras").write_bytes(b"PK\x03\x04 not a zip")
    with pytest.raises(ValueError, match="truncated or corrupt.*broken.keras"):
        checkpoints.load_checkpoint(tmp_path, {"checkpoint": "broken.keras"})
