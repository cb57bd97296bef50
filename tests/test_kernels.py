"""How the runner starts a notebook's kernel: its environment, its stderr through the console."""

import os
import subprocess
import sys

import nbformat

from vae_keras.writeup import console, kernels, runner

#: A notebook that prints what a study notebook's kernel prints: start-up noise and an error on the kernel's own
#: stderr (file descriptor 2, as TensorFlow's C++ log does), a trained model's progress line, chatter.
NOISY_CELL = r"""
import os, sys
os.write(2, b"WARNING: All log messages before absl::InitializeLog() is called are written to STDERR\n")
os.write(2, b"I0000 00:00:1796682716.324329   16679 port.cc:153] oneDNN custom operations are on.\n")
os.write(2, b"E0000 00:00:1796682716.324329   16679 x.cc:1] a real error\n")
print("Training mlp VAE on 'digits'; run folder: /abs/path\n", file=sys.stderr)
print("[00_noisy] small run: 2 epochs, test ELBO -1.00, KL 0.10 (1 s)", file=sys.stderr)
print("chatter on stdout")
print("kernel environment:", os.environ["KERAS_BACKEND"], os.environ["TF_ENABLE_ONEDNN_OPTS"])
"""


def test_the_kernel_environment_has_the_defaults_and_the_backend_and_leaves_ours_alone(monkeypatch):
    monkeypatch.setenv("KERAS_BACKEND", "tensorflow")
    monkeypatch.setenv("TF_CPP_MIN_LOG_LEVEL", "0")
    before = dict(os.environ)
    env = kernels.kernel_environment("jax")
    assert env["KERAS_BACKEND"] == "jax" and env["TF_CPP_MIN_LOG_LEVEL"] == "0" and env["TF_ENABLE_ONEDNN_OPTS"]
    assert kernels.kernel_environment(None)["KERAS_BACKEND"] == "tensorflow"
    assert "KERAS_BACKEND" not in kernels.kernel_environment(None, base={})
    assert dict(os.environ) == before  # the runner's own environment is never changed


def test_the_stderr_pipe_passes_on_each_line_as_it_comes():
    lines = []
    with kernels.StderrPipe(lines.append) as pipe:
        code = "import os; os.write(2, b'first\\n'); os.write(2, b'second\\nthird')"
        subprocess.run([sys.executable, "-c", code], stderr=pipe.fd, check=True)
    assert lines == ["first\n", "second\n", "third"]


def test_a_notebook_runs_in_its_environment_and_prints_one_line_per_model(tmp_path, monkeypatch, capsys):
    notebook = nbformat.v4.new_notebook(
        cells=[nbformat.v4.new_code_cell("x: int = 1", metadata={"tags": ["parameters"]})]
    )
    notebook.cells.append(nbformat.v4.new_code_cell(NOISY_CELL))
    notebook.metadata["kernelspec"] = {"name": runner.KERNEL_NAME, "display_name": "vae-keras", "language": "python"}
    nbformat.write(notebook, tmp_path / "00_noisy.ipynb")
    monkeypatch.setattr(runner, "NOTEBOOKS_DIR", tmp_path)
    before = dict(os.environ)
    terminal = console.Console()
    terminal.notebook("[1/1] 00_noisy", "00_noisy")
    executed = tmp_path / "executed.ipynb"
    runner._execute(
        "00_noisy", executed, {"x": 2}, runner.ensure_kernel(), kernels.kernel_environment("jax"), terminal, False
    )
    printed = capsys.readouterr()
    assert printed.out == "[1/1] 00_noisy\n  small run: 2 epochs, test ELBO -1.00, KL 0.10 (1 s)\n"
    # The error is written once to the kernel's stderr and echoed into the cell's output: shown once.
    assert printed.err == "E0000 00:00:1796682716.324329   16679 x.cc:1] a real error\n"
    outputs = "".join(o.get("text", "") for cell in nbformat.read(executed, 4).cells for o in cell.get("outputs", []))
    assert "kernel environment: jax 1" in outputs
    assert dict(os.environ) == before
