"""The study notebooks: committed clean, parameterised, and executed end to end by the runner."""

import contextlib
import io
import json
import math
import os
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import numpy as np
import pytest

from vae_keras.writeup import claims, console, report, runner
from vae_keras.writeup import results as results_lib

NOTEBOOKS = runner.list_notebooks()


def test_the_study_notebooks_exist():
    assert NOTEBOOKS[:5] == [
        "01_svhn_data",
        "02_fixed_vs_fitted_variance",
        "03_components_or_convolutions",
        "04_implementation_notes",
        "05_svhn_results",
    ]


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_committed_notebook_is_clean_and_follows_the_skeleton(name):
    notebook = nbformat.read(str(runner.NOTEBOOKS_DIR / f"{name}.ipynb"), as_version=4)
    nbformat.validate(notebook)
    code = [c for c in notebook.cells if c.cell_type == "code"]
    assert all(not c.outputs and c.execution_count is None for c in code), "committed notebooks carry no outputs"
    assert notebook.metadata.kernelspec.name == runner.KERNEL_NAME
    first = notebook.cells[0]
    assert first.cell_type == "markdown" and first.source.startswith("# ")
    tagged = [c for c in code if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1, "exactly one cell tagged `parameters`"
    for line in tagged[0].source.splitlines():
        # literals only, each with a type hint and a trailing comment
        assert ": " in line and " = " in line and "  # " in line, line
    assert "## Conclusion" in "".join(c.source for c in notebook.cells if c.cell_type == "markdown")
    # No model, loss or plotting code defined in a notebook.
    assert not any(line.lstrip().startswith(("def ", "class ")) for c in code for line in c.source.splitlines())


def test_papermill_help_lists_parameters_with_help_text():
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "papermill",
            "--help-notebook",
            str(runner.NOTEBOOKS_DIR / "02_fixed_vs_fitted_variance.ipynb"),
        ],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    assert "variance_floors: list" in result.stdout and "variance floors (varlog epsilon)" in result.stdout


def test_every_profile_uses_only_declared_parameters():
    for profile in runner.list_profiles():
        parameters = runner.load_profile(profile)
        overrides = runner.split_overrides(parameters)
        runner.split_backends(parameters, overrides, NOTEBOOKS)
        for name, values in overrides.items():
            runner.validate_parameters(values, [name])
        runner.validate_parameters(parameters, NOTEBOOKS)


def test_profile_overrides_name_real_notebooks_and_parameters(tmp_path):
    parameters = {"num_epochs": 3, "notebooks": {"06_mnist_reproduction": {"eval_samples": 5000}}}
    assert runner.split_overrides(parameters) == {"06_mnist_reproduction": {"eval_samples": 5000}}
    assert parameters == {"num_epochs": 3}
    with pytest.raises(ValueError, match=r"Unknown notebook.*'06_mnist'.*Did you mean '06_mnist_reproduction'"):
        runner.split_overrides({"notebooks": {"06_mnist": {}}})
    (tmp_path / "bad.yaml").write_text("notebooks:\n  06_mnist_reproduction:\n    num_epoch: 3\n")
    with pytest.raises(ValueError, match=r"'num_epoch'"):
        runner.run(str(tmp_path / "bad.yaml"), out=tmp_path / "out", report=False)


@pytest.mark.parametrize(
    ("kwargs", "pattern"),
    [
        (
            {"profile": "fastest"},
            r"Unknown profile.*'fastest'.*Accepted: cpu, cpu-svhn-sample, demo, full, quick, smoke",
        ),
        ({"profile": "smoke", "only": "10"}, r"Unknown notebook.*'10'.*Accepted: 01_svhn_data"),
    ],
)
def test_runner_rejects_bad_choices(kwargs, pattern, tmp_path):
    with pytest.raises(ValueError, match=pattern):
        runner.run(out=tmp_path / "out", report=False, **kwargs)
    assert not (tmp_path / "out" / "results.json").exists()


def test_runner_rejects_misspelled_and_mistyped_parameters(tmp_path):
    (tmp_path / "typo.yaml").write_text("num_epoch: 3\n")
    with pytest.raises(ValueError, match=r"'num_epoch'.*Did you mean 'num_epochs'"):
        runner.run(str(tmp_path / "typo.yaml"), out=tmp_path / "out")
    (tmp_path / "type.yaml").write_text("num_epochs: three\n")
    with pytest.raises(ValueError, match=r"'num_epochs' must be of type int.*num_epochs='three'"):
        runner.run(str(tmp_path / "type.yaml"), out=tmp_path / "out")


def test_a_missing_npz_is_refused_before_any_notebook_and_a_relative_one_made_absolute(tmp_path, monkeypatch):
    out = tmp_path / "out"
    with pytest.raises(FileNotFoundError, match=r"`--dataset` must name an existing .npz file. Received: --dataset "
                                                r"'npz:/does/not/exist.npz'"):  # fmt: skip
        runner.run("smoke", dataset="npz:/does/not/exist.npz", only="01", out=out)
    assert not out.exists()
    (tmp_path / "data.npz").write_bytes(b"")
    monkeypatch.chdir(tmp_path)  # the notebooks run in the project root: the path must not stay relative
    assert runner._absolute_npz("npz:data.npz") == f"npz:{tmp_path / 'data.npz'}"
    assert runner._absolute_npz("digits") == "digits"


def test_a_failing_notebook_is_named_kept_and_marked(tmp_path, capsys, monkeypatch):
    out = tmp_path / "out"
    (tmp_path / "broken.npz").write_bytes(b"not an npz archive")
    with pytest.raises(ValueError, match=r"text file"):  # the runner refuses it before any kernel starts...
        runner.run("smoke", dataset=f"npz:{tmp_path / 'broken.npz'}", only="01", out=out)
    assert not (out / "notebooks").exists()
    monkeypatch.setattr(runner, "_validate", lambda *args: None)  # ...so skip that check to fail inside one
    with pytest.raises(runner.NotebookFailedError, match=r"01_svhn_data failed in cell \d+: .*Error"):
        runner.run("smoke", dataset=f"npz:{tmp_path / 'broken.npz'}", only="01", out=out)
    assert (out / "notebooks" / "01_svhn_data.ipynb").exists()  # the partial notebook is kept
    results = json.loads((out / "results.json").read_text())["notebooks"]
    assert results["01_svhn_data"]["status"] == "failed" and results["01_svhn_data"]["metrics"] == {}
    index = (out / "report" / "index.html").read_text()
    assert 'class="failed">failed' in index
    assert "This notebook failed" in (out / "report" / "01_svhn_data.html").read_text()


def test_a_profile_picks_the_keras_backend_per_notebook(monkeypatch):
    parameters = {"num_epochs": 3, "keras_backend": "tensorflow"}
    overrides = {"07_latent_dimensions": {"keras_backend": "jax", "num_seeds": 1}}
    chosen = runner.split_backends(parameters, overrides, ["06_mnist_reproduction", "07_latent_dimensions"])
    assert chosen == {"06_mnist_reproduction": "tensorflow", "07_latent_dimensions": "jax"}
    assert parameters == {"num_epochs": 3} and overrides == {"07_latent_dimensions": {"num_seeds": 1}}
    assert runner.split_backends({}, {}, ["06_mnist_reproduction"]) == {"06_mnist_reproduction": None}
    with pytest.raises(ValueError, match=r"notebooks: 07_latent_dimensions: keras_backend.*'pytorch'.*tensorflow, jax"):
        runner.split_backends({}, {"07_latent_dimensions": {"keras_backend": "pytorch"}}, ["07_latent_dimensions"])
    monkeypatch.setattr("importlib.util.find_spec", lambda name: None)
    with pytest.raises(ValueError, match=r"'jax' Keras backend \(keras_backend\).*not installed"):
        runner.split_backends({"keras_backend": "jax"}, {}, ["07_latent_dimensions"])


def test_each_kernel_starts_with_its_notebooks_backend_and_the_runner_keeps_its_environment(tmp_path, monkeypatch):
    import papermill

    started = {}

    def fake_execute(source, target, parameters, **kwargs):
        started[Path(source).stem] = kwargs["kernel_manager_class"].launch_options["env"].get("KERAS_BACKEND")
        nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# A title")]), target)

    monkeypatch.setattr(papermill, "execute_notebook", fake_execute)
    monkeypatch.setenv("KERAS_BACKEND", "tensorflow")
    before = dict(os.environ)
    runner.run("smoke", only="01,02", out=tmp_path / "out", report=False)
    assert started == {"01_svhn_data": "jax", "02_fixed_vs_fitted_variance": "tensorflow"}  # smoke: 01 on JAX
    status = json.loads((tmp_path / "out" / "status.json").read_text())
    assert {name: entry["keras_backend"] for name, entry in status.items()} == started
    assert dict(os.environ) == before


def test_the_machine_is_named_by_its_gpus_or_its_cores(monkeypatch):
    cores = f"{os.cpu_count()} CPU cores"
    monkeypatch.setattr(results_lib.shutil, "which", lambda name: None)
    assert runner.machine() == cores
    listing = (
        "GPU 0: NVIDIA H200 (UUID: GPU-1234)\nGPU 1: NVIDIA H200 (UUID: GPU-5678)\n"
        "GPU 2: NVIDIA A100-SXM4-80GB (UUID: GPU-9abc)\n"
    )
    monkeypatch.setattr(results_lib.shutil, "which", lambda name: "/usr/bin/nvidia-smi")
    monkeypatch.setattr(
        results_lib.subprocess, "run", lambda *a, **k: subprocess.CompletedProcess(a, 0, stdout=listing)
    )
    assert runner.machine() == f"2x NVIDIA H200, 1x NVIDIA A100-SXM4-80GB; {cores}"

    def broken(*args, **kwargs):
        raise subprocess.CalledProcessError(9, "nvidia-smi")

    monkeypatch.setattr(results_lib.subprocess, "run", broken)  # a driver that does not answer: the cores alone
    assert runner.machine() == cores


def test_the_commit_recorded_is_the_one_told_else_git_head_marked_dirty(monkeypatch, tmp_path):
    monkeypatch.delenv("VAE_KERAS_COMMIT", raising=False)
    monkeypatch.setattr(results_lib, "PROJECT_ROOT", tmp_path)  # no git here
    assert runner._git_commit() is None
    git = ["git", "-C", str(tmp_path), "-c", "user.name=t", "-c", "user.email=t@t"]
    subprocess.run([*git, "init", "-q"], check=True)
    (tmp_path / "code.py").write_text("x = 1\n")
    subprocess.run([*git, "add", "code.py"], check=True)
    subprocess.run([*git, "commit", "-qm", "first"], check=True)
    head = subprocess.run([*git, "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
    (tmp_path / "notes.txt").write_text("untracked files do not make it dirty\n")
    assert runner._git_commit() == head
    (tmp_path / "code.py").write_text("x = 2\n")  # a tracked file changed: not the commit's code
    assert runner._git_commit() == f"{head}-dirty"
    monkeypatch.setenv("VAE_KERAS_COMMIT", "abc1234")  # told: a copy whose .git is older than its files
    assert runner._git_commit() == "abc1234"


def test_parameters_for_one_notebook_are_what_the_runner_passes_it(tmp_path):
    chosen, backend = runner.parameters_for("cpu", "07", out=tmp_path / "run")
    profile = runner.load_profile("cpu")
    assert chosen["out_dir"] == str((tmp_path / "run").resolve()) and chosen["profile"] == "cpu"
    assert chosen["num_epochs"] == profile["num_epochs"] and chosen["latent_sizes"] == profile["latent_sizes"]
    assert chosen["num_seeds"] == profile["notebooks"]["07_latent_dimensions"]["num_seeds"]
    assert "keras_backend" not in chosen and backend is None  # the cpu profile leaves 07 on the default backend
    assert runner.parameters_for("cpu", "06_mnist_reproduction", out=tmp_path)[1] == "jax"
    with pytest.raises(ValueError, match=r"`name` must name one notebook. Received: '06,07', which names 2"):
        runner.parameters_for("cpu", "06,07")


def _terminal(tmp_path_factory):
    """Where ``smoke_run`` keeps what the run printed on the terminal."""
    return tmp_path_factory.getbasetemp() / "smoke_terminal.txt"


@pytest.fixture(scope="module")
def smoke_run(tmp_path_factory):
    """Every notebook through papermill with the smoke profile, on the embedded digits."""
    out = tmp_path_factory.mktemp("smoke")
    printed = io.StringIO()  # in the quiet default, the kernels' output reaches the terminal through the console
    with contextlib.redirect_stdout(printed), contextlib.redirect_stderr(printed):
        results = runner.run("smoke", out=out)
    _terminal(tmp_path_factory).write_text(printed.getvalue())
    return out, results


def test_the_smoke_run_prints_a_line_per_notebook_and_per_trained_model_and_no_line_twice(smoke_run, tmp_path_factory):
    _, results = smoke_run
    lines = _terminal(tmp_path_factory).read_text().splitlines()
    assert len(lines) == len(set(lines)) and "" not in lines, lines  # issue 28: 230 lines, 96 of them blank
    skipped = [name for name, entry in results["notebooks"].items() if entry["status"] == "skipped"]
    assert lines[0] == console.skipped_line({name: results["notebooks"][name]["reason"] for name in skipped})
    notebooks = [line for line in lines if re.match(r"\[\d+/\d+\] \d\d_", line)]
    ran = [name for name in NOTEBOOKS if name not in skipped]
    assert notebooks == [f"[{index}/{len(ran)}] {name}" for index, name in enumerate(ran, 1)]  # no parameters
    models = [line for line in lines if line.startswith("  ")]
    assert models and all(re.match(r"  \S.*: (\d+ epochs, test ELBO|diverged after)", line) for line in models)
    assert lines[-1].startswith("Report: ") and len(lines) == 1 + len(notebooks) + len(models) + 1, lines


def test_smoke_run_completes_every_notebook(smoke_run):
    out, results = smoke_run
    assert sorted(results["notebooks"]) == NOTEBOOKS
    dataset = runner.load_profile("smoke").get("dataset")
    for name, entry in results["notebooks"].items():
        if dataset is not None and runner.dataset_base(dataset) not in runner.notebook_datasets(name):
            assert entry["status"] == "skipped" and entry["reason"], (name, entry)
            continue
        assert entry["status"] == "completed", (name, entry)
        assert (out / "notebooks" / f"{name}.ipynb").exists()
        # The smoke profile runs 01 on JAX: its kernel, not just the runner's bookkeeping, used it.
        expected = "jax" if name == "01_svhn_data" else "tensorflow"
        assert entry["keras_backend"] == expected and entry["settings"]["backend"] == expected, (name, entry)
        # Each notebook records the machine it ran on, and the page the device its backend computed on.
        assert entry["machine"] == runner.machine(), (name, entry)
        assert entry["settings"]["device"] == f"CPU ({os.cpu_count()} cores)", (name, entry)
    assert [claim["id"] for claim in results["claims"]] == list(claims.CLAIMS)


def _finite_numbers(value):
    if isinstance(value, dict):
        for v in value.values():
            yield from _finite_numbers(v)
    elif isinstance(value, list):
        for v in value:
            yield from _finite_numbers(v)
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        yield value


def test_results_json_has_the_expected_keys_and_finite_values(smoke_run):
    out, _ = smoke_run
    results = json.loads((out / "results.json").read_text())
    expected = {
        "01_svhn_data": {"split_sizes", "pca_variance_kept", "label_shares_train"},
        "02_fixed_vs_fitted_variance": {"table", "best_variant", "best_bits_per_dim"},
        "03_components_or_convolutions": {"table", "best_pixel_mse"},
        "04_implementation_notes": {"layer_table", "batch_table", "learning_rate_table"},
        "05_svhn_results": {"test_elbo", "test_log_px", "bits_per_component", "conditional_test_elbo"},
    }
    for name in results["notebooks"]:
        if results["notebooks"][name]["status"] == "completed":
            per_notebook = json.loads((out / "results" / f"{name}.json").read_text())
            assert per_notebook.get("non_finite") == [], (name, per_notebook.get("non_finite"))
    for name, keys in expected.items():
        if results["notebooks"][name]["status"] == "skipped":
            continue
        metrics = results["notebooks"][name]["metrics"]
        assert keys <= set(metrics), (name, keys - set(metrics))
        numbers = list(_finite_numbers(metrics))
        assert numbers and all(math.isfinite(v) for v in numbers), name


def test_figures_are_written(smoke_run):
    out, _ = smoke_run
    figures = {p.name for p in (out / "figures").glob("*.png")}
    for name in (
        "01_svhn_data__class_balance.png",
        "02_fixed_vs_fitted_variance__samples.png",
        "05_svhn_results__conditional_analogies.png",
    ):
        assert name in figures


def test_report_links_every_notebook(smoke_run):
    out, results = smoke_run
    index = (out / "report" / "index.html").read_text()
    for name in NOTEBOOKS:
        if results["notebooks"][name]["status"] == "skipped":
            assert not (out / "report" / f"{name}.html").exists()
            continue
        assert f'href="{name}.html"' in index
        page = (out / "report" / f"{name}.html").read_text()
        assert "data:image/png;base64" in page  # figures are embedded
        assert "Traceback" not in page
    assert report.notebook_title(out / "notebooks" / "05_svhn_results.ipynb").startswith("SVHN results")


def test_every_claim_has_a_verdict_with_a_reason(smoke_run):
    out, _ = smoke_run
    ledger = json.loads((out / "results.json").read_text())["claims"]
    assert [entry["id"] for entry in ledger] == list(claims.CLAIMS)
    for entry in ledger:
        assert entry["verdict"] in claims.VERDICTS and entry["reason"], entry
    # Notebooks that ran decided their own claims; they did not leave them to the runner.
    ran = {
        name
        for name, e in json.loads((out / "results.json").read_text())["notebooks"].items()
        if e["status"] == "completed"
    }
    for entry in ledger:
        if entry["notebook"] in ran:
            assert "reported no verdict" not in entry["reason"], entry


def test_report_pages_have_no_logs_paths_or_tracebacks(smoke_run):
    out, _ = smoke_run
    pages = sorted((out / "report").glob("*.html"))
    assert len(pages) >= 2
    for page in pages:
        text = page.read_text()
        assert report.page_problems(text) == [], (page.name, report.page_problems(text))
        assert "<math" in text or page.name == "index.html" or "$" not in text


def test_nan_in_a_result_is_listed_so_the_results_check_fails(tmp_path):
    from vae_keras import studies

    output = studies.Output(tmp_path, "02_fixed_vs_fitted_variance")
    output.record(value=float("nan"), nested={"a": np.float32("inf"), "b": 1.0})
    saved = json.loads((tmp_path / "results" / "02_fixed_vs_fitted_variance.json").read_text())
    assert saved["metrics"] == {"value": None, "nested": {"a": None, "b": 1.0}}
    assert saved["non_finite"] == ["nested.a", "value"]


@pytest.fixture(scope="module")
def mnist_like_npz(tmp_path_factory):
    """A small Keras-layout MNIST stand-in: the real 8x8 digits upsampled to 28x28 (no network needed)."""
    from sklearn.datasets import load_digits

    digits = load_digits()
    images = np.kron(digits.images / 16.0, np.ones((3, 3)))  # 24x24
    images = np.pad(images, ((0, 0), (2, 2), (2, 2)))
    images = (images * 255).round().astype(np.uint8)
    labels = digits.target.astype(np.uint8)
    path = tmp_path_factory.mktemp("mnist_like") / "mnist_like.npz"
    np.savez(path, x_train=images[:1500], y_train=labels[:1500], x_test=images[1500:], y_test=labels[1500:])
    return path


def test_mnist_only_notebooks_run_on_a_keras_layout_npz(mnist_like_npz, tmp_path):
    out = tmp_path / "out"
    results = runner.run("smoke", dataset=f"npz:{mnist_like_npz}", only="06,09", out=out)
    assert results["notebooks"]["06_mnist_reproduction"]["status"] == "completed"
    decided = {e["id"]: e for e in results["claims"] if e["notebook"] == "06_mnist_reproduction"}
    assert decided and all("reported no verdict" not in e["reason"] for e in decided.values())
    for name in ("06_mnist_reproduction", "09_mnist_benchmark"):
        assert report.page_problems((out / "report" / f"{name}.html").read_text()) == [], name
    # Notebook 09's benchmark number is the run's headline, with what it depends on.
    benchmark = results["notebooks"]["09_mnist_benchmark"]
    assert benchmark["status"] == "completed"
    top = results["headline"]
    assert top["mnist_benchmark_nll"] == benchmark["metrics"]["benchmark_nll"] and math.isfinite(
        top["mnist_benchmark_nll"]
    )
    assert (
        top["mnist_benchmark_epochs"] == 1
        and top["mnist_benchmark_k"] == 4
        and top["mnist_benchmark_test_images"] == 64
    )
    assert top["profile"] == "smoke" and top["dataset"] == f"npz:{mnist_like_npz}"
    assert "samples" in " ".join(benchmark["figures"]) and benchmark["headline_figure"].endswith("__samples.png")


def test_notebook_sources_and_ipynb_files_are_in_sync():
    import jupytext

    for name in NOTEBOOKS:
        source = jupytext.read(str(runner.NOTEBOOKS_DIR / f"{name}.py"))
        notebook = nbformat.read(str(runner.NOTEBOOKS_DIR / f"{name}.ipynb"), as_version=4)
        pairs = list(zip([c.source for c in source.cells], [c.source for c in notebook.cells]))
        assert len(source.cells) == len(notebook.cells) and all(a == b for a, b in pairs), (
            f"{name}.ipynb is out of date: run `make notebooks`"
        )
        assert notebook.metadata.get("vae_keras", {}).get("datasets"), name


def test_no_notebook_prints_the_dataset_argument_as_given():
    """``npz:PATH`` holds the machine's path: a page shows ``studies.dataset_label(dataset)`` instead.

    The smoke run uses the embedded digits (no path), so this is checked on the sources; publishing also refuses a
    page with an absolute path (``report.page_problems``).
    """
    for name in NOTEBOOKS:
        source = (runner.NOTEBOOKS_DIR / f"{name}.py").read_text()
        assert re.findall(r"[^\w.]\{dataset\}", source) == [], f"{name} shows `{{dataset}}`: use studies.dataset_label"


def test_resume_skips_completed_notebooks(smoke_run, capsys):
    out, _ = smoke_run
    runner.run("smoke", out=out, resume=True, only="01,02", report=False)
    assert capsys.readouterr().out.count("completed earlier, skipped") == 2


def test_results_json_is_written_after_every_notebook_so_a_stopped_run_can_be_published(tmp_path, monkeypatch):
    """A long run stopped in its third notebook still has the first two in results.json (``publish --add``)."""
    import papermill

    out = tmp_path / "out"
    executed = []

    def fake_execute(source, target, parameters, **kwargs):
        name = Path(source).stem
        seen = json.loads((out / "results.json").read_text())["notebooks"]
        assert seen[name]["status"] == "running"  # while it runs, results.json says so
        if not executed:  # the others are queued, their claims not "not selected"
            assert {n: e["status"] for n, e in seen.items() if n != name} == dict.fromkeys(
                ["02_fixed_vs_fitted_variance", "03_components_or_convolutions"], "queued"
            )
            ledger = json.loads((out / "results.json").read_text())["claims"]
            reasons = {c["reason"] for c in ledger if c["notebook"] == "03_components_or_convolutions"}
            assert reasons == {"notebook 03_components_or_convolutions had not started yet in this run"}
        if len(executed) == 2:  # the third notebook: the machine goes away mid-training
            assert {n: e["status"] for n, e in seen.items()} == {
                **dict.fromkeys(executed, "completed"),
                name: "running",
            }
            raise KeyboardInterrupt
        nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell(f"# {name}")]), target)
        (out / "results").mkdir(exist_ok=True)
        (out / "results" / f"{name}.json").write_text(json.dumps({"metrics": {"ran": 1}, "claims": []}))
        executed.append(name)

    monkeypatch.setattr(papermill, "execute_notebook", fake_execute)
    with pytest.raises(KeyboardInterrupt):
        runner.run("smoke", only="01,02,03", out=out, report=False)
    notebooks = json.loads((out / "results.json").read_text())["notebooks"]
    assert {n: e["status"] for n, e in notebooks.items()} == {
        "01_svhn_data": "completed",
        "02_fixed_vs_fitted_variance": "completed",
        "03_components_or_convolutions": "running",
    }
    assert notebooks["02_fixed_vs_fitted_variance"]["metrics"] == {"ran": 1}
    assert notebooks["02_fixed_vs_fitted_variance"]["command"].startswith(
        "vae-keras run --profile smoke --only 01,02,03"
    )
    assert json.loads((out / "status.json").read_text())["03_components_or_convolutions"]["status"] == "running"


def test_the_recipe_page_counts_the_values_of_a_raw_image(smoke_run):
    # The model sees PCA components; the page compares their number with the image's 8x8 = 64 pixels
    # (it once counted the PCA inputs, saying "N of the N").
    out, _ = smoke_run
    page = (out / "report" / "05_svhn_results.html").read_text()
    match = re.search(r"the model sees ([\d,]+) of the ([\d,]+) values of each image", page)
    assert match and match.group(2) == "64", match and match.group(0)
    assert int(match.group(1)) < 64
