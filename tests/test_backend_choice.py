"""`vae-keras train --keras-backend auto|tensorflow|jax`: the backend is chosen before Keras is imported."""

import json
import os
import subprocess
import sys

import pytest

from vae_keras import backends

CHOOSE = "import sys; from vae_keras import backends; print(*backends.choose(sys.argv[1], sys.argv[2]), sep='|')"


def _fresh_process(code, *arguments, keras_backend=None):
    """Runs ``code`` in a new interpreter, with ``KERAS_BACKEND`` unset unless given."""
    environment = {key: value for key, value in os.environ.items() if key != "KERAS_BACKEND"}
    if keras_backend:
        environment["KERAS_BACKEND"] = keras_backend
    result = subprocess.run(
        [sys.executable, "-c", code, *arguments], capture_output=True, text=True, env=environment, timeout=600
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout


@pytest.mark.parametrize(
    ("requested", "architecture", "keras_backend", "expected"),
    [
        ("auto", "mlp", None, "jax|auto: the faster backend on a CPU for a dense model"),
        ("auto", "conv", None, "tensorflow|auto: the faster backend on a CPU for a convolutional model"),
        ("auto", "mlp", "tensorflow", "tensorflow|KERAS_BACKEND is set"),
        ("tensorflow", "mlp", "jax", "tensorflow|asked for"),
        ("jax", "conv", None, "jax|asked for"),
    ],
)
def test_auto_prefers_jax_for_dense_models_and_respects_an_explicit_choice(
    requested, architecture, keras_backend, expected
):
    pytest.importorskip("jax")
    assert _fresh_process(CHOOSE, requested, architecture, keras_backend=keras_backend).strip() == expected


def test_a_backend_other_than_the_imported_kerass_is_refused():
    import keras

    running = keras.backend.backend()
    other = "jax" if running == "tensorflow" else "tensorflow"
    with pytest.raises(ValueError, match=f"Received: --keras-backend {other}. Accepted: {running} or auto"):
        backends.choose(other, "mlp")
    assert backends.choose("auto", "conv") == (running, "Keras was already imported")


def test_an_unknown_backend_is_refused():
    with pytest.raises(ValueError, match="Received: --keras-backend torch. Accepted: auto, tensorflow, jax"):
        backends.choose("torch", "mlp")


def test_the_cli_trains_a_dense_model_on_jax_by_default_and_resumes_a_tensorflow_run(tmp_path):
    """A run started on TensorFlow resumes on the auto choice (JAX): checkpoints cross backends."""
    pytest.importorskip("jax")
    run_dir = tmp_path / "run"
    flags = ["--dataset", "digits", "--binarize", "true", "--latent-dim", "2", "--hidden-units", "32"]
    flags += ["--batch-size", "100", "--tensorboard", "false", "--out", str(run_dir)]
    code = "import sys; from vae_keras import cli; sys.exit(cli.main(sys.argv[1:]))"
    first = _fresh_process(code, "train", "--keras-backend", "tensorflow", "--num-epochs", "1", *flags)
    assert "Keras backend: tensorflow (asked for)" in first
    state = json.loads((run_dir / "state.json").read_text())
    assert state["keras_backend"] == "tensorflow" and state["jit_compile"] is False  # no XLA for TF on a CPU
    second = _fresh_process(code, "train", "--num-epochs", "2", *flags)
    assert "Keras backend: jax (auto: the faster backend on a CPU for a dense model)" in second
    assert "epochs 1..1 trained on tensorflow; the rest trains on jax" in second
    state = json.loads((run_dir / "state.json").read_text())
    assert state["keras_backend"] == "jax" and state["status"] == "completed" and state["epoch"] == 2
    # The checkpoint saved jit_compile=False (TensorFlow's "auto" on a CPU); on JAX the run is compiled
    # again, not run op by op.
    assert state["jit_compile"] is True
    losses = [row["loss"] for row in state["history"]]
    assert len(losses) == 2 and losses[1] < losses[0]
    # `evaluate` follows the run onto JAX, where KERAS_BACKEND unset would have meant TensorFlow.
    evaluated = _fresh_process(code, "evaluate", str(run_dir), "--k", "2", "--max-examples", "20")
    assert "Keras backend: jax (the run trained on it)" in evaluated and "bits/dim" in evaluated


def _onednn_in_fresh_process(preset, start="from vae_keras import cli; cli.main(['--version'])"):
    code = (
        f"import os; {start}; import tensorflow as tf; "
        "from tensorflow.python.util import _pywrap_util_port; "
        "print(os.environ.get('TF_ENABLE_ONEDNN_OPTS'), _pywrap_util_port.IsMklEnabled())"
    )
    environment = {key: value for key, value in os.environ.items() if key != "TF_ENABLE_ONEDNN_OPTS"}
    if preset is not None:
        environment["TF_ENABLE_ONEDNN_OPTS"] = preset
    environment["KERAS_BACKEND"] = "tensorflow"
    result = subprocess.run([sys.executable, "-c", code], env=environment, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    return result.stdout.split()[-2:]


def test_the_command_line_turns_tensorflows_onednn_kernels_on_unless_the_user_chose():
    # On an AVX2-only CPU TensorFlow's own default is off, and its conv VAEs train about half as fast.
    assert _onednn_in_fresh_process(None) == ["1", "True"]
    assert _onednn_in_fresh_process("0") == ["0", "False"]
    # Importing the package alone leaves the choice to TensorFlow (tests/test_environment.py: no variable is set).
    assert _onednn_in_fresh_process(None, start="import vae_keras")[0] == "None"


def _state(run_dir, backend):
    run_dir.mkdir()
    (run_dir / "state.json").write_text(json.dumps({"status": "completed", "keras_backend": backend}))
    (run_dir / "config.json").write_text(json.dumps({"architecture": "conv"}))
    return run_dir


FOR_RUN = "import sys; from vae_keras import backends; print(*backends.for_run(sys.argv[1], sys.argv[2]), sep='|')"


def test_evaluate_runs_on_the_backend_the_run_trained_on_unless_told(tmp_path):
    pytest.importorskip("jax")
    jax_run = _state(tmp_path / "jax_run", "jax")
    assert _fresh_process(FOR_RUN, "auto", str(jax_run)).strip() == "jax|the run trained on it"
    assert _fresh_process(FOR_RUN, "auto", str(jax_run), keras_backend="tensorflow").strip() == (
        "jax|the run trained on it; KERAS_BACKEND=tensorflow is left aside: pass --keras-backend"
    )
    assert _fresh_process(FOR_RUN, "tensorflow", str(jax_run)).strip() == "tensorflow|asked for"
    # A run that records no backend: train's auto choice for its architecture.
    (jax_run / "state.json").write_text("{}")
    assert _fresh_process(FOR_RUN, "auto", str(jax_run)).strip().startswith("tensorflow|auto: the faster backend")
