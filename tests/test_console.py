"""What `vae-keras run` prints: a line per notebook and per trained model, errors once, no start-up noise."""

import io
from pathlib import Path

from vae_keras.writeup import console

#: What every kernel printed as it started, before (issue 28): absl's notice, TensorFlow's INFO lines, ipykernel.
STARTUP = [
    "WARNING: All log messages before absl::InitializeLog() is called are written to STDERR",
    "I0000 00:00:1796682716.324329   16679 port.cc:153] oneDNN custom operations are on. You may see slightly "
    "different numerical results due to floating-point round-off errors from different computation orders. To turn "
    "them off, set the environment variable `TF_ENABLE_ONEDNN_OPTS=0`.",
    "I0000 00:00:1796682693.253609   16372 cpu_feature_guard.cc:227] This TensorFlow binary is optimized to use "
    "available CPU instructions in performance-critical operations.",
    "To enable the following instructions: AVX2 AVX512F FMA, in other operations, rebuild TensorFlow with the "
    "appropriate compiler flags.",
    "[IPKernelApp] WARNING | Kernel is running over TCP without encryption. All communication (including code and "
    "outputs) is sent in plain text and is susceptible to eavesdropping.",
    "W0000 00:00:1796682716.324329   16679 some.cc:1] a TensorFlow warning TF_CPP_MIN_LOG_LEVEL=2 asks to leave out",
]


def _console(verbose=False):
    out, err = io.StringIO(), io.StringIO()
    return console.Console(verbose=verbose, out=out, err=err), out, err


def test_start_up_noise_and_blank_lines_are_left_out_and_errors_kept_once():
    terminal, out, err = _console()
    terminal.notebook("[2/9] 02_fixed_vs_fitted_variance", "02_fixed_vs_fitted_variance", {"num_epochs": 2})
    for line in [*STARTUP, "", *STARTUP, "E0000 00:00:1796682716.3 1 x.cc:1] a real error", "Segmentation fault"]:
        terminal.kernel_line(line + "\n")
    terminal.kernel_line("E0000 00:00:1796682716.3 1 x.cc:1] a real error\n")
    assert out.getvalue() == "[2/9] 02_fixed_vs_fitted_variance\n"
    assert err.getvalue() == "E0000 00:00:1796682716.3 1 x.cc:1] a real error\nSegmentation fault\n"


def test_a_trained_model_is_one_indented_line_and_other_cell_output_only_when_it_is_an_error():
    terminal, out, err = _console()
    terminal.notebook("[1/1] 07_latent_dimensions", "07_latent_dimensions")
    cells = terminal.cell_stream()
    cells.write("Training mlp VAE on 'digits' (1293 examples); run folder: /abs/runs/07/z=2\n\n")
    cells.write("[07_latent_dimensions] z=2 bernoulli mlp: 2 epochs, test ELBO -41.05, KL 0.17 (5 s)\n")
    cells.write("Completed 2 epochs. Results in /abs/runs/07/z=2\n[07_latent_dimensions] z=2 gauss")
    cells.write("ian mlp: 2 epochs, test ELBO -58.46, KL 0.13 (3 s)\nValueError: bad value\n")
    cells.write(STARTUP[1] + "\n[07_latent_dimensions] z=2 conv: diverged after 1 epochs")
    cells.close()
    assert out.getvalue().splitlines() == [
        "[1/1] 07_latent_dimensions",
        "  z=2 bernoulli mlp: 2 epochs, test ELBO -41.05, KL 0.17 (5 s)",
        "  z=2 gaussian mlp: 2 epochs, test ELBO -58.46, KL 0.13 (3 s)",
        "  z=2 conv: diverged after 1 epochs",
    ]
    assert err.getvalue() == "ValueError: bad value\n"


def test_the_same_line_in_the_next_notebook_is_printed_again():
    terminal, out, err = _console()
    for index, name in enumerate(("01_a", "02_b"), 1):
        terminal.notebook(f"[{index}/2] {name}", name)
        terminal.kernel_line("E0000 00:00:1.5 1 x.cc:1] the same error\n")
    assert err.getvalue().count("the same error") == 2


def test_verbose_prints_everything_and_the_parameters():
    terminal, out, err = _console(verbose=True)
    terminal.notebook("[1/5] 01_svhn_data", "01_svhn_data", {"dataset": "digits"})
    for line in [*STARTUP, "", STARTUP[0]]:
        terminal.kernel_line(line + "\n")
    assert out.getvalue() == "[1/5] 01_svhn_data with {'dataset': 'digits'}\n"
    assert err.getvalue().splitlines() == [*STARTUP, "", STARTUP[0]]


def test_paths_are_shown_relative_to_the_working_directory_when_inside_it(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert console.shown_path(tmp_path / "runs" / "demo" / "report" / "index.html") == "runs/demo/report/index.html"
    assert console.shown_path("runs/demo") == "runs/demo"
    outside = Path("/elsewhere/report/index.html")
    assert console.shown_path(outside) == str(outside)


def test_the_skipped_notebooks_share_one_line():
    skipped = {
        "06_mnist": "needs mnist or npz; this run used digits",
        "09_bench": "needs mnist or npz; this run used digits",
    }
    skipped["10_x"] = "its dataset has no labels"
    assert console.skipped_line(skipped) == (
        "Skipped: 06_mnist, 09_bench (needs mnist or npz; this run used digits); 10_x (its dataset has no labels)"
    )
