"""The benchmark scripts run end to end with their smallest settings and write sane JSON.

Speed itself is measured by the scripts in ``benchmarks/`` (see benchmarks/README.md), never by a
timed unit test: this only checks that they still run and report finite, positive numbers.
"""

import json
import math
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _finite_positive(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value) and value > 0


@pytest.mark.slow  # about 35 s; `make test-slow` runs it, and each script is run by hand for its numbers
def test_benchmark_scripts_write_results_with_finite_positive_numbers(tmp_path, monkeypatch):
    monkeypatch.syspath_prepend(str(ROOT))
    from benchmarks import eval_speed, input_pipeline, train_throughput

    out = str(tmp_path)
    input_pipeline.main(["--quick", "--out", out])
    train_throughput.main(["--quick", "--out", out])
    eval_speed.main(["--quick", "--out", out])

    results = {
        name: json.loads((tmp_path / f"{name}.json").read_text())
        for name in ("input_pipeline", "train_throughput", "eval_speed")
    }
    for result in results.values():
        machine = result["machine"]
        assert {"date", "command", "cpu_count", "platform", "backend", "keras"} <= set(machine)
        assert machine["cpu_count"] >= 1 and machine["backend"] == "tensorflow"

    pipeline = results["input_pipeline"]
    assert set(pipeline["variants"]) == {"tf_data", "arrays", "tf_data_static", "tf_data_elementwise"}
    for summary in pipeline["variants"].values():
        assert _finite_positive(summary["images_per_second"]) and _finite_positive(summary["median_cpu_seconds"])
    for key in (
        "ratio_tf_data_over_arrays",
        "ratio_tf_data_static_over_arrays",
        "ratio_tf_data_elementwise_over_arrays",
    ):
        assert _finite_positive(pipeline[key]["ratio"]) and _finite_positive(pipeline[key]["cpu_ratio"])

    throughput = results["train_throughput"]
    assert set(throughput["models"]) == {"svhn_mlp", "mnist_mlp", "conv"}
    for model in throughput["models"].values():
        assert model["num_parameters"] > 0
        assert {summary["kind"] for summary in model["variants"].values()} == {"ours", "keras_io"}
        assert all(_finite_positive(summary["images_per_second"]) for summary in model["variants"].values())
        assert model["ratio_ours_over_keras_io"]
        assert all(_finite_positive(ratio["ratio"]) for ratio in model["ratio_ours_over_keras_io"].values())
    assert _finite_positive(throughput["peak_rss_bytes"])

    evaluation = results["eval_speed"]
    for key in ("seconds", "images_per_second", "peak_rss_during_bytes", "peak_rss_process_bytes"):
        assert _finite_positive(evaluation[key]), key
    assert math.isfinite(evaluation["mean_log_px"]) and evaluation["mean_log_px"] < 0
    assert evaluation["settings"]["num_examples"] == 20 and evaluation["settings"]["k"] == 50


@pytest.mark.slow  # runs the runner end to end again (about 20 s); the smoke run covers the notebooks
def test_demo_time_benchmark_runs_and_writes_its_numbers(tmp_path, monkeypatch):
    monkeypatch.syspath_prepend(str(ROOT))
    from benchmarks import demo_time

    path = demo_time.main(["--quick", "--out", str(tmp_path)])
    result = json.loads(Path(path).read_text())
    assert result["profile"] == "smoke" and _finite_positive(result["wall_seconds"])
    assert result["notebooks"]["01_svhn_data"]["status"] == "completed"
    assert sum(result["verdicts"].values()) > 0
    terminal = result["terminal"]
    assert terminal["printed"][0] == "[1/1] 01_svhn_data" and terminal["printed"][-1].startswith("Report: ")
    assert terminal["lines"] == len(terminal["printed"]) and terminal["repeated_lines"] == terminal["blank_lines"] == 0


@pytest.mark.slow  # six worker processes, each importing TensorFlow, JAX or torch: about 1-2 min on 2 cores
def test_peer_benchmark_quick_run_writes_ratios_and_fractions_of_peak(tmp_path, monkeypatch):
    monkeypatch.syspath_prepend(str(ROOT))
    from benchmarks import peers

    peers.main(["--quick", "--out", str(tmp_path)])
    result = json.loads((tmp_path / "peers.json").read_text())
    assert {"date", "command", "cpu_count", "load_average_at_start", "load_average_at_end"} <= set(result["machine"])
    assert _finite_positive(result["float32_peak"]["gflops"])
    assert _finite_positive(result["float32_peak"]["gflops_per_cpu_second"])
    assert result["flops"]["mlp"]["parameters"] == 652_824 and result["flops"]["conv"]["parameters"] == 134_165
    # PyTorch is not a dependency: without benchmarks/.venv-torch its contenders are skipped, with a note.
    torch_ran = {name for name in peers.TORCH_CONTENDERS if name in result["contenders"]}
    for name in set(peers.TORCH_CONTENDERS) - torch_ran:
        assert "skipped" in result["notes"][name] or "failed" in result["notes"][name]
    expected = {"ours_tf", "ours_jax", "ours_conv_tf", "keras_io_example"} | torch_ran
    assert set(result["contenders"]) == expected
    for name, summary in result["contenders"].items():
        for key in ("images_per_second", "median_cpu_seconds", "achieved_gflops", "fraction_of_peak"):
            assert _finite_positive(summary[key]), (name, key)
        assert (
            summary["num_parameters"]
            == result["flops"]["conv" if name in peers.CONV_CONTENDERS else "mlp"]["parameters"]
        ), name
        assert all(math.isfinite(loss) for losses in summary["epoch_losses_per_process"] for loss in losses)
    assert _finite_positive(result["ratios"]["ours_conv_tf_over_keras_io_example"]["ratio"])
    for name in torch_ran:
        assert _finite_positive(result["ratios"][f"ours_tf_over_{name}"]["ratio"])
    # Our conv decoder has the keras-io example's layout: Dense 3136 -> 7x7x64 -> 14x14x64 -> 28x28x32 -> 28x28x1.
    shapes = {
        name: [row[2][1:] for row in tables["decoder"] if row[0] in ("Dense", "Conv2DTranspose", "Conv2D")]
        for name, tables in result["conv_model_layers"].items()
    }
    assert shapes["ours_conv_tf"] == shapes["keras_io_example"] == [[3136], [14, 14, 64], [28, 28, 32], [28, 28, 1]]


TORCH_PYTHON = ROOT / "benchmarks" / ".venv-torch" / "bin" / "python"

LOADER_CHECK = """
import numpy as np, torch
from benchmarks.peers import _example_loader
raw = np.random.default_rng(0).integers(0, 256, (300, 28, 28), dtype=np.uint8)
batches = [x for x, _ in _example_loader(raw, 128, torch.Generator().manual_seed(0))]
assert [tuple(x.shape) for x in batches] == [(128, 1, 28, 28), (128, 1, 28, 28), (44, 1, 28, 28)]
seen = torch.cat(batches).reshape(300, 784).numpy()
expected = raw.reshape(300, 784).astype(np.float32) / 255
# Every image exactly once, scaled to [0, 1], in a shuffled order.
order = [int(np.flatnonzero((expected == row).all(axis=1))[0]) for row in seen]
assert sorted(order) == list(range(300)) and order != list(range(300)), order[:10]
print("ok")
"""


@pytest.mark.skipif(not TORCH_PYTHON.exists(), reason="no CPU torch at benchmarks/.venv-torch (optional)")
def test_the_pytorch_example_loader_yields_every_image_once_scaled_and_shuffled():
    import subprocess

    result = subprocess.run(
        [str(TORCH_PYTHON), "-c", LOADER_CHECK], cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    if "needs Pillow" in result.stderr:
        pytest.skip("Pillow is not installed in benchmarks/.venv-torch")
    assert result.returncode == 0 and result.stdout.strip() == "ok", result.stderr[-2000:]


@pytest.mark.slow  # six worker processes (TensorFlow and JAX, with their settings): about 2-2.5 min on 2 busy cores
def test_backend_gap_quick_run_measures_every_variant_on_its_backends(tmp_path, monkeypatch):
    monkeypatch.syspath_prepend(str(ROOT))
    from benchmarks import backend_gap

    backend_gap.main(["--quick", "--out", str(tmp_path)])
    result = json.loads((tmp_path / "backend_gap.json").read_text())
    expected = {
        f"{process}/{variant}" for process, spec in backend_gap.PROCESSES.items() for variant in spec["variants"]
    }
    assert set(result["variants"]) == expected and not result["errors"]
    for name, summary in result["variants"].items():
        for key in ("images_per_second", "ms_per_step", "cpu_ms_per_step", "achieved_gflops", "fraction_of_peak"):
            assert _finite_positive(summary[key]), (name, key)
    assert set(result["jax_over_tf"]) == {row for row, _, _ in backend_gap.COMPARISONS}
    assert all(_finite_positive(row["jax_over_tf"]["ratio"]) for row in result["jax_over_tf"].values())
    assert len(result["effects"]) == len(backend_gap.EFFECTS)
    # Each process ran with its settings: oneDNN on only where asked (this CPU's default may be either), 1 thread.
    processes = result["processes"]
    assert processes["tf_onednn"]["onednn_enabled"] and processes["tf_1thread"]["intra_op_parallelism_threads"] == 1
    assert processes["jax_1thread"]["env"]["XLA_FLAGS"] == backend_gap.ONE_THREAD_XLA_FLAGS
    assert processes["tf"]["env"]["XLA_FLAGS"] is None and processes["tf"]["env"]["TF_ENABLE_ONEDNN_OPTS"] == "0"
    # The model's GEMMs: 15 per step as counted (3 per dense layer), 14 as the step runs them.
    flops = {name: result["variants"][f"tf/{name}"]["flops_per_image"] for name in ("fit", "gemms", "gemms_step")}
    assert flops["gemms"] == flops["fit"] == 6 * 652_824 - 6 * (400 + 20 + 20 + 400 + 784)
    assert flops["fit"] - flops["gemms_step"] == 2 * 784 * 400
    for backend in ("tf", "jax"):
        profile = result["profile_fit_fixed"][backend]
        assert profile["by_category"]["gemm"]["kernels_per_step"] == 14
        assert profile["by_category"]["optimizer"]["kernels_per_step"] > 0
    decomposition = result["decomposition_ms_per_step"]["cpu_ms_per_step"]
    assert all(math.isfinite(value) for row in decomposition.values() for value in row.values())


@pytest.mark.slow  # builds and trains two small models with TensorFlow (about 15 s)
def test_fused_adam_of_the_backend_gap_benchmark_trains_as_keras_adam(monkeypatch):
    monkeypatch.syspath_prepend(str(ROOT))
    import keras
    import numpy as np
    import tensorflow as tf

    from benchmarks import backend_gap
    from vae_keras import models

    x = (np.random.default_rng(0).random((32, 8)) < 0.3).astype("float32")
    weights = []
    for optimizer in (keras.optimizers.Adam(1e-3), backend_gap._fused_adam(1e-3)):
        keras.utils.set_random_seed(0)
        model = models.build_vae((8,), 2, hidden_units=(16,), seed=0)
        model.compile(optimizer=optimizer, steps_per_execution=5)
        model.fit(tf.data.Dataset.from_tensors(x).repeat(), epochs=1, steps_per_epoch=10, verbose=0)
        weights.append([weight.numpy() for weight in model.trainable_weights])
    for ours, fused in zip(*weights):
        np.testing.assert_allclose(fused, ours, rtol=1e-5, atol=1e-6)


@pytest.mark.slow  # two TensorFlow processes train two small models for a few steps (about 40 s)
def test_onednn_quick_run_measures_both_settings_in_their_own_processes(tmp_path, monkeypatch):
    monkeypatch.syspath_prepend(str(ROOT))
    from benchmarks import onednn

    onednn.main(["--quick", "--out", str(tmp_path)])
    result = json.loads((tmp_path / "onednn.json").read_text())
    assert not result["errors"]
    processes = result["processes"]
    assert processes["off"]["env"]["TF_ENABLE_ONEDNN_OPTS"] == "0" and not processes["off"]["onednn_enabled"]
    assert processes["on"]["env"]["TF_ENABLE_ONEDNN_OPTS"] == "1" and processes["on"]["onednn_enabled"]
    assert set(result["on_over_off"]) == set(onednn.MODELS)
    for model in onednn.MODELS:
        assert _finite_positive(result["on_over_off"][model]["ratio"])
        for setting in onednn.SETTINGS:
            assert _finite_positive(result["throughput"][f"{model}/{setting}"]["images_per_second"])


def test_pretrain_07_gives_its_usage_on_wrong_arguments_and_refuses_an_unknown_profile(tmp_path, capsys):
    from benchmarks import pretrain_07

    assert pretrain_07.main(["cpu"]) == 2 and "python -m benchmarks.pretrain_07" in capsys.readouterr().err
    with pytest.raises(ValueError, match="profile"):
        pretrain_07.main(["no-such-profile", "digits", str(tmp_path / "run")])
    assert not (tmp_path / "run").exists()  # refused before anything was written


def test_cli_startup_benchmark_times_the_help_which_imports_no_keras_and_prints_no_log(tmp_path, monkeypatch):
    monkeypatch.syspath_prepend(str(ROOT))
    from benchmarks import cli_startup

    result = json.loads(Path(cli_startup.main(["--quick", "--out", str(tmp_path)])).read_text())
    train_help = result["commands"]["train_help"]
    assert _finite_positive(train_help["median_seconds"]) and train_help["stdout_lines"] > 50
    assert train_help["imported"] == [] and train_help["stderr_lines"] == 0, train_help["stderr"]


def test_the_test_suite_benchmark_times_each_test_with_the_cpu_of_the_processes_it_started(tmp_path, monkeypatch):
    monkeypatch.syspath_prepend(str(ROOT))
    from benchmarks import test_suite

    (tmp_path / "pytest.ini").write_text("[pytest]\n")
    (tmp_path / "test_timed.py").write_text(
        "import subprocess, sys, time\n"
        "def test_child_burns_cpu():\n"
        "    subprocess.run([sys.executable, '-c', 'import time\\nend = time.process_time() + 0.6\\n'\n"
        "                    'while time.process_time() < end: pass'], check=True)\n"
        "def test_sleeps():\n"
        "    time.sleep(0.4)\n"
        "def test_fails():\n"
        "    assert 1 == 2\n"
    )
    args = ["-p", "no:xdist", "-c", str(tmp_path / "pytest.ini"), str(tmp_path / "test_timed.py")]
    entry = test_suite.run_suite(args, top=3)
    assert entry["returncode"] == 1 and "1 failed, 2 passed" in entry["summary"] and entry["tests_timed"] == 3, entry
    [failure] = entry["failures"]
    assert failure.startswith("FAILED ") and "test_timed.py::test_fails" in failure
    timed = {record["test"].rsplit("::", 1)[1]: record for record in entry["slowest_by_cpu"]}
    assert entry["slowest_by_cpu"][0] is timed["test_child_burns_cpu"] and len(entry["slowest_by_wall"]) == 3
    assert timed["test_child_burns_cpu"]["cpu_seconds"] >= 0.55, timed  # the child's CPU counts
    assert timed["test_sleeps"]["wall_seconds"] >= 0.4 and timed["test_sleeps"]["cpu_seconds"] < 0.3, timed  # none
    assert entry["cpu_seconds"] >= entry["tests_cpu_seconds"] and entry["wall_seconds"] >= entry["tests_wall_seconds"]
    [(name, totals)] = entry["files"].items()
    assert name.endswith("test_timed.py") and totals["tests"] == 3
    [(worker, timeline)] = entry["workers"].items()  # one process ran them, one after the other
    assert worker == "main" and timeline["tests"] == 3, entry["workers"]
    # Both rounded to 0.1 s: sequential tests end no earlier than their summed seconds, up to that rounding.
    assert timeline["last_end"] >= timeline["busy_seconds"] - 0.15, timeline


@pytest.mark.slow  # a pytest run of tests/test_environment.py and the machine's description (imports Keras)
def test_the_test_suite_benchmark_keeps_each_labelled_measurement(tmp_path, monkeypatch):
    monkeypatch.syspath_prepend(str(ROOT))
    from benchmarks import test_suite

    for label in ("before", "after"):
        path = test_suite.main(["--quick", "--label", label, "--out", str(tmp_path)])
    runs = json.loads(Path(path).read_text())["runs"]
    assert set(runs) == {"before", "after"}
    for entry in runs.values():
        assert entry["returncode"] == 0 and f"{entry['tests_timed']} passed" in entry["summary"]
        assert entry["machine"]["cpu_count"] >= 1
        assert _finite_positive(entry["wall_seconds"]) and _finite_positive(entry["load"]["samples"])
        assert list(entry["files"]) == ["tests/test_environment.py"]
