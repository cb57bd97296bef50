"""Mixed precision: the layers compute in float16 or bfloat16, the loss stays float32, and training,
saving and the importance-weighted evaluation work on TensorFlow and JAX."""

import json
import math

import keras
import pytest

from vae_keras import train
from vae_keras.config import ExperimentConfig

SCRIPT = """
import json, math, os, sys
import keras, numpy as np
from vae_keras import evaluate, train
from vae_keras.config import ExperimentConfig
reports = {}
for policy in json.loads(os.environ["POLICIES"])[keras.backend.backend()]:
    config = ExperimentConfig(dataset="digits", binarize=True, latent_dim=4, hidden_units=(64,), batch_size=64,
                              num_epochs=2, dtype_policy=policy, tensorboard=False)
    vae, prepared, state = train.train(config, sys.argv[1] + "/" + policy, verbose=0, figures=False)
    x = prepared.model_inputs(prepared.test[0][:100])
    log_px = evaluate.log_likelihood(vae, x, num_samples=20, verbose=0)["log_px"]
    loaded = keras.saving.load_model(sys.argv[1] + "/" + policy + "/model.keras")
    reports[policy] = dict(
        backend=keras.backend.backend(),
        compute=vae.decoder.layers[-1].compute_dtype,
        variables=vae.decoder.layers[-1].variable_dtype,
        loaded=loaded.decoder.layers[-1].compute_dtype,
        optimizer=type(vae.optimizer).__name__,
        losses=[row["loss"] for row in state["history"]],
        log_px=float(np.mean(log_px)),
        policy_after=keras.config.dtype_policy().name,
    )
print(json.dumps(reports))
"""


BACKENDS = ("tensorflow", "jax")
POLICIES = ("mixed_float16", "mixed_bfloat16")
#: The default suite runs one pair, float16 with its loss scaling on TensorFlow (the CI backend), in one process;
#: ``-m slow`` runs every pair. Each pair costs a training, a save, a reload and an evaluation; JAX's process
#: (bfloat16, once part of the default suite) measured 16 s of CPU against TensorFlow's 8 s (issue 29).
QUICK = {"tensorflow": ["mixed_float16"]}


def _run(run_per_backend, policies):
    """One process per backend of ``policies``, run side by side, trains, saves, reloads and evaluates a run under
    each of its ``policies[backend]``: ``{backend: CompletedProcess}``."""
    return run_per_backend(SCRIPT, tuple(policies), POLICIES=json.dumps(policies))


@pytest.fixture(scope="module")
def quick_results(run_per_backend):
    return _run(run_per_backend, QUICK)


@pytest.fixture(scope="module")
def all_results(run_per_backend):
    return _run(run_per_backend, {backend: list(POLICIES) for backend in BACKENDS})


@pytest.mark.parametrize("backend, policy", [(b, p) for b, policies in QUICK.items() for p in policies])
def test_mixed_precision_trains_and_evaluates_with_float32_losses(quick_results, json_report, backend, policy):
    _check(json_report(quick_results, backend)[policy], backend, policy)


@pytest.mark.slow
@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("policy", POLICIES)
def test_every_policy_on_every_backend(all_results, json_report, backend, policy):
    _check(json_report(all_results, backend)[policy], backend, policy)


def _check(report, backend, policy):
    half = policy.split("_")[1]
    assert report["backend"] == backend
    assert report["compute"] == half and report["variables"] == "float32" and report["loaded"] == half
    assert report["optimizer"] == ("LossScaleOptimizer" if policy == "mixed_float16" else "Adam")
    assert all(math.isfinite(loss) for loss in report["losses"]) and report["losses"][1] < report["losses"][0]
    # 64 binary pixels: an untrained model is near -44 nats; two epochs must do better and stay finite.
    assert math.isfinite(report["log_px"]) and -44 < report["log_px"] < 0
    assert report["policy_after"] == "float32"  # the run's policy does not leak into the process


def test_an_unknown_dtype_policy_is_refused():
    with pytest.raises(ValueError, match=r"dtype_policy='float16'.*Accepted: float32, mixed_float16, mixed_bfloat16"):
        ExperimentConfig(dtype_policy="float16")


def test_the_float32_default_is_unchanged():
    vae = train.build_model(ExperimentConfig(binarize=True), (8, 8, 1), 1)
    assert vae.decoder.layers[-1].compute_dtype == "float32" and keras.config.dtype_policy().name == "float32"
