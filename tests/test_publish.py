"""Publishing a run: docs/ gets the writeup, the README's results block is rendered from it."""

import json
import subprocess
import sys

import nbformat
import pytest

from vae_keras.writeup import claims, publish, runner

PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
    b"\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82"
)


def test_the_readme_block_agrees_with_the_published_results():
    """The README's headline numbers are the ones in docs/results.json (or it says none are published)."""
    assert publish.check() == []


@pytest.fixture
def finished_run(tmp_path):
    out = tmp_path / "run"
    for sub in ("notebooks", "results", "figures"):
        (out / sub).mkdir(parents=True)
    for name in ("06_mnist_reproduction", "09_mnist_benchmark"):
        notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell(f"# {name}")])
        notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
        nbformat.write(notebook, out / "notebooks" / f"{name}.ipynb")
    verdicts = [
        claims.judge("kw_adam", ours_test=146.125, ours_train=139.0, examples_seen=12_000_000).to_dict(),
        claims.judge("kw_z20", ours_test=101.5, ours_train=99.0, examples_seen=15_000_000).to_dict(),
    ]
    (out / "results" / "06_mnist_reproduction.json").write_text(json.dumps({"metrics": {}, "claims": verdicts}))
    for row, seconds in (("z=20", 3600.0), ("z=2", 1800.0)):  # two run folders: 1.5 h of epochs between them
        folder = out / "runs" / "06_mnist_reproduction" / row
        folder.mkdir(parents=True)
        (folder / "history.csv").write_text(f"epoch,loss,seconds\n1,100.0,{seconds / 2}\n2,99.0,{seconds / 2}\n")
    (out / "figures" / publish.SAMPLES_FIGURE).write_bytes(PNG)
    metrics = {"benchmark_nll": 88.254, "benchmark_epochs": 1000, "benchmark_eval_samples": 5000,
               "benchmark_eval_images": 10000, "dataset": "npz:/data/mnist.npz"}  # fmt: skip
    (out / "results" / "09_mnist_benchmark.json").write_text(
        json.dumps(
            {
                "metrics": metrics,
                "figures": [publish.SAMPLES_FIGURE],
                "claims": [],
                "headline_figure": publish.SAMPLES_FIGURE,
            }
        )  # fmt: skip
    )
    status = {
        "06_mnist_reproduction": {"status": "completed", "started": "2026-12-01 09:00:00", "seconds": 7200.4,
                                  "commit": "0ld0000"},
        "09_mnist_benchmark": {"status": "completed", "started": "2026-12-02 10:00:00", "seconds": 3600.0,
                               "commit": "abc1234"},
    }  # fmt: skip
    (out / "status.json").write_text(json.dumps(status))
    info = {"profile": "cpu", "dataset": "npz:/data/mnist.npz", "generated": "2026-12-02 23:00",
            "commit": "abc1234", "command": "vae-keras run --profile cpu --out runs/cpu"}  # fmt: skip
    runner.merge_results(out, status, run=info)
    readme = tmp_path / "README.md"
    readme.write_text("# Project\n\nIntro.\n\n" + publish.readme_block(None) + "\n## Quickstart\n")
    return out, tmp_path / "docs", readme


def test_publish_copies_the_writeup_and_renders_the_numbers(finished_run):
    run, docs, readme = finished_run
    published, size = publish.publish(run, docs_dir=docs, readme=readme)
    assert published == docs and 0 < size < publish.MAX_DOCS_BYTES
    for name in ("index.html", "06_mnist_reproduction.html", "09_mnist_benchmark.html", "results.json", "README.md"):
        assert (docs / name).is_file(), name
    assert (docs / "figures" / publish.SAMPLES_FIGURE).is_file()
    assert json.loads((docs / "results.json").read_text())["headline"]["mnist_benchmark_nll"] == 88.254
    provenance = (docs / "README.md").read_text()
    assert "abc1234" in provenance and "vae-keras run --profile cpu --out runs/cpu" in provenance
    # Each notebook says when and at which commit it ran (a resumed run can span commits).
    assert "| 06_mnist_reproduction | completed | 2026-12-01 09:00:00 | 7,200 | 1.50 h |  |  | 0ld0000 |" in provenance
    assert (
        "| 09_mnist_benchmark | completed | 2026-12-02 10:00:00 | 3,600 |  |  |  | abc1234 |" in provenance
    )  # no run folder
    # The index links results.json as its neighbour, and docs/ has it there.
    assert 'href="results.json"' in (docs / "index.html").read_text()
    text = readme.read_text()
    assert text.startswith("# Project\n\nIntro.\n\n") and text.endswith("## Quickstart\n")
    block = publish.readme_results(text)
    assert (
        "| ours: VAE 784-200-200-50, trained as Burda et al. did for fewer epochs (k=5,000 on 10,000 test images) "
        "| 88.25 | 1,000 |" in block
    )
    assert "| + Adam 1e-3 | 145.3 | 146.12 | reproduced |" in block  # 0.82 nats: within 3
    assert "| z=20 | 96.1 | 101.50 | differs |" in block  # 5.4 nats worse at their full budget
    assert "| K&W 784-1000-3-500-784, Adagrad | 147.3 | — | inconclusive |" in block  # 06 ran: no number
    assert "| Burda et al. (2016), VAE 784-200-200-50, k=1 training | 86.76 | 3,280 |" in block
    assert f"![Samples of the benchmark VAE](docs/figures/{publish.SAMPLES_FIGURE})" in block
    # The claims of notebooks this run did not select are "not run", apart from the inconclusive ones.
    in_06 = len([c for c in claims.for_notebook("06_mnist_reproduction") if c.decide is not None])
    undecidable = sum(c.decide is None for c in claims.CLAIMS.values())
    not_run = sum(c.decide is not None and c.kind != claims.OURS for c in claims.CLAIMS.values()) - in_06
    assert (
        f"1 reproduced, 0 refuted, 1 differs, {in_06 - 2} inconclusive; apart from those: {undecidable} not decidable "
        f"here, {not_run} not run (the claims not run: their notebooks did not complete in this run)." in block
    )
    assert not_run > 0 and in_06 > 2
    assert "`npz:mnist.npz`" in block and "/data/" not in block
    assert publish.check(docs, readme) == []
    # A hand edit of a number is caught.
    readme.write_text(text.replace("| 88.25 |", "| 86.00 |"))
    assert publish.check(docs, readme) == [
        f"README.md's results block differs from the one rendered from {docs / 'results.json'}: run `vae-keras publish`"
    ]
    # Publishing again replaces the folder (nothing stale is left).
    (docs / "stale.html").write_text("old")
    publish.publish(run, docs_dir=docs, readme=readme)
    assert not (docs / "stale.html").exists() and publish.check(docs, readme) == []


def test_an_unfinished_run_or_an_oversized_writeup_is_refused_before_anything_is_written(finished_run, monkeypatch):
    run, docs, readme = finished_run
    before = readme.read_text()
    results = json.loads((run / "results.json").read_text())
    results["notebooks"]["09_mnist_benchmark"]["status"] = "running"
    (run / "results.json").write_text(json.dumps(results))
    with pytest.raises(ValueError, match=r"not in progress.*09_mnist_benchmark is still marked running.*--resume"):
        publish.publish(run, docs_dir=docs, readme=readme)
    results["notebooks"]["09_mnist_benchmark"]["status"] = "completed"
    (run / "results.json").write_text(json.dumps(results))
    monkeypatch.setattr(publish, "MAX_DOCS_BYTES", 1000)
    with pytest.raises(ValueError, match=r"at most 0 MB to publish. Received: 0.\d MB"):
        publish.publish(run, docs_dir=docs, readme=readme)
    with pytest.raises(FileNotFoundError, match=r"`run_dir` must be a folder written by `vae-keras run`"):
        publish.publish(run / "nothing", docs_dir=docs, readme=readme)
    readme.write_text("# no markers\n")
    with pytest.raises(ValueError, match="results markers"):
        publish.publish(run, docs_dir=docs, readme=readme)
    readme.write_text(before)
    # A page that shows a machine's path (here a dataset given as npz:PATH) is not published.
    monkeypatch.setattr(publish, "MAX_DOCS_BYTES", 25 * 2**20)
    page = run / "notebooks" / "06_mnist_reproduction.ipynb"
    notebook = nbformat.read(page, as_version=4)
    notebook.cells.append(nbformat.v4.new_markdown_cell("On `npz:/srv/data/mnist.npz` with 1 epoch."))
    nbformat.write(notebook, page)
    with pytest.raises(ValueError, match=r"no training logs, absolute paths.*06_mnist_reproduction.html: absolute"):
        publish.publish(run, docs_dir=docs, readme=readme)
    assert not docs.exists()
    readme.write_text(before)
    assert not list(docs.parent.glob(".docs-*"))  # no staging folder left behind


def test_the_cli_names_a_folder_that_is_not_a_run(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "vae_keras.cli", "publish", str(tmp_path / "nope")], capture_output=True, text=True
    )
    assert result.returncode == 2
    assert "vae-keras publish: error: `run_dir` must be a folder written by `vae-keras run`" in result.stderr


def _later_run(out, dataset="npz:/data/mnist.npz"):
    """A second run of the fixture's profile: 02 and 06 completed (06 judged anew), 09 failed."""
    for sub in ("notebooks", "results", "figures"):
        (out / sub).mkdir(parents=True)
    for name in ("02_fixed_vs_fitted_variance", "06_mnist_reproduction", "09_mnist_benchmark"):
        notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell(f"# {name}, the later run")])
        nbformat.write(notebook, out / "notebooks" / f"{name}.ipynb")
    verdict = claims.judge("kw_adam", ours_test=150.5, ours_train=149.0, examples_seen=12_000_000).to_dict()
    (out / "results" / "06_mnist_reproduction.json").write_text(json.dumps({"metrics": {}, "claims": [verdict]}))
    (out / "figures" / "02_fixed_vs_fitted_variance__bits.png").write_bytes(PNG)
    (out / "results" / "02_fixed_vs_fitted_variance.json").write_text(
        json.dumps({"metrics": {}, "claims": [], "headline_figure": "02_fixed_vs_fitted_variance__bits.png"})
    )
    status = {
        "02_fixed_vs_fitted_variance": {"status": "completed", "started": "2026-12-03 19:00:00", "commit": "new5678"},
        "06_mnist_reproduction": {"status": "completed", "started": "2026-12-03 20:00:00", "commit": "new5678"},
        "09_mnist_benchmark": {"status": "failed", "error": "boom", "commit": "new5678"},
    }
    info = {"profile": "cpu", "dataset": dataset, "generated": "2026-12-03 21:00", "commit": "new5678",
            "command": "vae-keras run --profile cpu --only 02,06,09 --out runs/later"}  # fmt: skip
    runner.merge_results(out, status, run=info)
    return out


def test_publish_add_grows_the_writeup_run_by_run(finished_run, tmp_path):
    """--add keeps the published notebooks a later run did not complete, and takes the ones it did."""
    run, docs, readme = finished_run
    publish.publish(run, docs_dir=docs, readme=readme)
    later = _later_run(tmp_path / "later")
    publish.publish(later, docs_dir=docs, readme=readme, add=True)
    results = json.loads((docs / "results.json").read_text())
    notebooks = results["notebooks"]
    # 09 failed in the later run: the published, completed one stays, with its page and headline.
    assert notebooks["09_mnist_benchmark"]["status"] == "completed"
    assert notebooks["09_mnist_benchmark"]["commit"] == "abc1234"
    assert results["headline"]["mnist_benchmark_nll"] == 88.254
    assert "09_mnist_benchmark, the later run" not in (docs / "09_mnist_benchmark.html").read_text()
    assert (docs / "figures" / publish.SAMPLES_FIGURE).is_file()
    # 06 and 02 completed in the later run: theirs replace (06) or join (02) the published ones.
    assert notebooks["06_mnist_reproduction"]["commit"] == "new5678"
    assert 'id="06_mnist_reproduction,-the-later-run"' in (docs / "06_mnist_reproduction.html").read_text()
    assert (docs / "figures" / "02_fixed_vs_fitted_variance__bits.png").is_file()
    by_id = {entry["id"]: entry for entry in results["claims"]}
    assert by_id["kw_adam"]["evidence"]["ours_test"] == 150.5
    assert "reported no verdict" in by_id["kw_z20"]["reason"]  # the later 06 did not judge it: not the old verdict
    assert [entry["id"] for entry in results["claims"]] == list(claims.CLAIMS)
    # Each notebook keeps the command that made it; the pages link their new neighbours.
    assert results["run"]["commands"] == [
        "vae-keras run --profile cpu --out runs/cpu",
        "vae-keras run --profile cpu --only 02,06,09 --out runs/later",
    ]
    page_02 = (docs / "02_fixed_vs_fitted_variance.html").read_text()
    assert 'href="06_mnist_reproduction.html"' in page_02 and 'href="09_mnist_benchmark.html"' not in page_02
    assert 'href="06_mnist_reproduction.html"' in (docs / "09_mnist_benchmark.html").read_text()
    index = (docs / "index.html").read_text()
    assert "in none of the published runs" in index and "not selected in this run" not in index
    assert "Published from 2 runs" in index and 'href="02_fixed_vs_fitted_variance.html"' in index
    provenance = (docs / "README.md").read_text()
    assert "| 09_mnist_benchmark | completed | 2026-12-02 10:00:00 | 3,600 |  |  |  | abc1234 | 1 |" in provenance
    assert "| 02_fixed_vs_fitted_variance | completed | 2026-12-03 19:00:00 |  |  |  |  | new5678 | 2 |" in provenance
    assert "| 06_mnist_reproduction | completed | 2026-12-01 09:00:00" not in provenance
    assert publish.check(docs, readme) == []
    block = publish.readme_results(readme.read_text())
    assert "| + Adam 1e-3 | 145.3 | 150.50 | differs |" in block
    assert "From 2 runs published in [`docs/`](docs/index.html)" in block and "at commit `new5678`" in block
    assert "not run (the claims not run: their notebooks did not complete in the published runs)" in block


def test_publish_add_refuses_a_run_of_another_dataset(finished_run, tmp_path):
    run, docs, readme = finished_run
    publish.publish(run, docs_dir=docs, readme=readme)
    before = (docs / "results.json").read_text(), readme.read_text()
    other = _later_run(tmp_path / "other", dataset="svhn")
    with pytest.raises(ValueError, match=r"must have its dataset. Received: dataset 'svhn', while docs/ holds "):
        publish.publish(other, docs_dir=docs, readme=readme, add=True)
    assert ((docs / "results.json").read_text(), readme.read_text()) == before
    # Without a published writeup, --add publishes the run as it is.
    publish.publish(other, docs_dir=tmp_path / "fresh", readme=readme, add=True)
    assert json.loads((tmp_path / "fresh" / "results.json").read_text())["run"]["dataset"] == "svhn"


def test_publish_add_takes_what_completed_from_a_run_still_in_progress(finished_run):
    """A notebook still marked running is published as not finished, without its half page or its claims."""
    run, docs, readme = finished_run
    results = json.loads((run / "results.json").read_text())
    results["notebooks"]["06_mnist_reproduction"]["status"] = "running"
    (run / "results.json").write_text(json.dumps(results))
    with pytest.raises(ValueError, match=r"still marked running.*or publish what completed with --add"):
        publish.publish(run, docs_dir=docs, readme=readme)
    publish.publish(run, docs_dir=docs, readme=readme, add=True)
    published = json.loads((docs / "results.json").read_text())
    entry = published["notebooks"]["06_mnist_reproduction"]
    assert entry["status"] == publish.NOT_FINISHED and "still training" in entry["reason"]
    assert "metrics" not in entry and not (docs / "06_mnist_reproduction.html").exists()
    assert (docs / "09_mnist_benchmark.html").is_file() and published["headline"]["mnist_benchmark_nll"] == 88.254
    index = (docs / "index.html").read_text()
    assert ">not finished<" in index and 'href="06_mnist_reproduction.html"' not in index
    block = publish.readme_results(readme.read_text())
    assert "| + Adam 1e-3 | 145.3 | — | not run |" in block  # no number or verdict as if decided
    assert all("did not finish" in c["reason"] for c in published["claims"] if c["notebook"] == "06_mnist_reproduction")
    assert publish.check(docs, readme) == []


def test_a_notebook_running_again_is_not_published_with_its_old_numbers(finished_run, tmp_path):
    """status.json says 09 is running again while results.json still holds its last, completed numbers."""
    run, docs, readme = finished_run
    publish.publish(run, docs_dir=docs, readme=readme)
    status = json.loads((run / "status.json").read_text())
    status["09_mnist_benchmark"] = {"status": "running", "started": "2026-12-04 08:00:00", "commit": "rerun99"}
    (run / "status.json").write_text(json.dumps(status))
    with pytest.raises(ValueError, match=r"09_mnist_benchmark is still marked running"):
        publish.publish(run, docs_dir=tmp_path / "plain", readme=readme)
    assert publish.load_run(run, running_ok=True)["notebooks"]["09_mnist_benchmark"]["status"] == publish.NOT_FINISHED
    # Added to the writeup, its published completed page stays; 06 completed and is taken again.
    publish.publish(run, docs_dir=docs, readme=readme, add=True)
    published = json.loads((docs / "results.json").read_text())
    assert published["notebooks"]["09_mnist_benchmark"]["status"] == "completed"
    assert published["headline"]["mnist_benchmark_nll"] == 88.254 and (docs / "09_mnist_benchmark.html").is_file()


def test_an_add_that_brings_nothing_is_refused_and_commands_are_never_none(finished_run, tmp_path):
    run, docs, readme = finished_run
    publish.publish(run, docs_dir=docs, readme=readme)
    later = _later_run(tmp_path / "later")
    results = json.loads((later / "results.json").read_text())
    for name in ("02_fixed_vs_fitted_variance", "06_mnist_reproduction"):
        del results["notebooks"][name]
    (later / "results.json").write_text(json.dumps(results))  # only 09, which failed: nothing to add
    before = (docs / "results.json").read_text(), readme.read_text()
    with pytest.raises(ValueError, match=r"must bring a notebook. Received: .*09_mnist_benchmark: failed"):
        publish.publish(later, docs_dir=docs, readme=readme, add=True)
    assert ((docs / "results.json").read_text(), readme.read_text()) == before
    # A run that recorded no command adds its notebooks; no "None" is listed as a command.
    other = _later_run(tmp_path / "other")
    results = json.loads((other / "results.json").read_text())
    del results["run"]["command"]
    (other / "results.json").write_text(json.dumps(results))
    publish.publish(other, docs_dir=docs, readme=readme, add=True)
    run_entry = json.loads((docs / "results.json").read_text())["run"]
    assert run_entry["command"] == "vae-keras run --profile cpu --out runs/cpu" and "commands" not in run_entry
    assert "None" not in (docs / "README.md").read_text()


def test_docs_hold_no_machine_path_and_a_failed_swap_keeps_the_old_writeup(finished_run, tmp_path, monkeypatch):
    run, docs, readme = finished_run
    publish.publish(run, docs_dir=docs, readme=readme)
    assert json.loads((docs / "results.json").read_text())["run"]["dataset"] == "npz:mnist.npz"
    assert (
        "/data/" not in (docs / "README.md").read_text()
        and "dataset: `npz:mnist.npz`" in (docs / "README.md").read_text()
    )
    assert oct(docs.stat().st_mode & 0o777) == "0o755"
    # A later run on the same file elsewhere is the same dataset.
    later = _later_run(tmp_path / "later", dataset="npz:/elsewhere/mnist.npz")
    before = {p.relative_to(docs): p.read_bytes() for p in docs.rglob("*") if p.is_file()}

    def broken_write(path, text):
        raise OSError("disk full")

    monkeypatch.setattr(publish.io_utils, "atomic_write_text", broken_write)
    with pytest.raises(OSError, match="disk full"):
        publish.publish(later, docs_dir=docs, readme=readme, add=True)
    assert {p.relative_to(docs): p.read_bytes() for p in docs.rglob("*") if p.is_file()} == before
    assert sorted(p.name for p in docs.parent.iterdir() if p.name.startswith(".")) == []
    monkeypatch.undo()
    # A crash between the swap's two renames leaves the old writeup aside; the next publish puts it back first.
    docs.rename(docs.with_name(".docs-replaced"))
    publish.publish(later, docs_dir=docs, readme=readme, add=True)
    assert json.loads((docs / "results.json").read_text())["notebooks"]["09_mnist_benchmark"]["status"] == "completed"


def test_a_rebuilt_report_drops_the_figures_of_an_earlier_build(finished_run):
    run, docs, readme = finished_run
    stale = run / "report" / "figures" / "02_fixed_vs_fitted_variance__renamed_since.png"
    stale.parent.mkdir(parents=True, exist_ok=True)
    stale.write_bytes(PNG)
    publish.publish(run, docs_dir=docs, readme=readme)
    assert not stale.exists() and not (docs / "figures" / stale.name).exists()
    assert (docs / "figures" / publish.SAMPLES_FIGURE).is_file()


def test_a_queued_notebook_is_not_finished_not_unselected(finished_run, tmp_path):
    """A run stopped before reaching a selected notebook lists it as queued; publish shows it as not finished."""
    run, docs, readme = finished_run
    results = json.loads((run / "results.json").read_text())
    results["run"]["notebooks"] = ["06_mnist_reproduction", "07_latent_dimensions", "09_mnist_benchmark"]
    status = json.loads((run / "status.json").read_text())
    runner.merge_results(run, status, run=results["run"])
    with pytest.raises(ValueError, match=r"07_latent_dimensions is still marked running or queued"):
        publish.publish(run, docs_dir=docs, readme=readme)
    publish.publish(run, docs_dir=docs, readme=readme, add=True)
    entry = json.loads((docs / "results.json").read_text())["notebooks"]["07_latent_dimensions"]
    assert entry["status"] == publish.NOT_FINISHED and "had not reached it" in entry["reason"]
    index = (docs / "index.html").read_text()
    row = index[index.index(">07<") : index.index("</tr>", index.index(">07<"))]
    assert ">not finished<" in row and "had not reached it" in row and "not selected" not in row


def test_each_notebook_keeps_the_command_that_ran_it_and_the_date_shown_is_the_newest(finished_run, tmp_path):
    """One run folder continued by two invocations: each notebook names its own; an older run added keeps the date."""
    run, docs, readme = finished_run
    publish.publish(run, docs_dir=docs, readme=readme)
    later = _later_run(tmp_path / "later")
    status = {
        "02_fixed_vs_fitted_variance": {"status": "completed", "started": "2026-12-01 19:00:00", "commit": "aaa1111",
                                        "command": "vae-keras run --profile cpu --only 02,06 --out runs/later",
                                        "keras_backend": "jax", "machine": "1x NVIDIA H200; 16 CPU cores"},
        "06_mnist_reproduction": {"status": "completed", "started": "2026-12-01 20:00:00", "commit": "bbb2222",
                                  "command": "vae-keras run --profile cpu --only 06 --out runs/later"},
    }  # fmt: skip
    info = {"profile": "cpu", "dataset": "npz:/data/mnist.npz", "generated": "2026-12-01 21:00", "commit": "bbb2222",
            "command": "vae-keras run --profile cpu --only 06 --out runs/later"}  # fmt: skip
    runner.merge_results(later, status, run=info)
    publish.publish(later, docs_dir=docs, readme=readme, add=True)
    results = json.loads((docs / "results.json").read_text())
    assert results["run"]["commands"] == [  # by when each first ran a published notebook
        "vae-keras run --profile cpu --only 02,06 --out runs/later",
        "vae-keras run --profile cpu --only 06 --out runs/later",
        "vae-keras run --profile cpu --out runs/cpu",
    ]
    provenance = (docs / "README.md").read_text()
    assert (
        "| 02_fixed_vs_fitted_variance | completed | 2026-12-01 19:00:00 |  |  | jax | 1x NVIDIA H200; 16 CPU cores | "
        "aaa1111 | 1 |"
    ) in provenance
    assert "| 06_mnist_reproduction | completed | 2026-12-01 20:00:00 |  |  |  |  | bbb2222 | 2 |" in provenance
    assert "| 09_mnist_benchmark | completed | 2026-12-02 10:00:00 | 3,600 |  |  |  | abc1234 | 3 |" in provenance
    # The added run is older than the published one: the writeup's date and commit stay the newest.
    assert (results["run"]["generated"], results["run"]["commit"]) == ("2026-12-02 23:00", "abc1234")


def test_publish_add_only_takes_the_selected_notebooks(finished_run, tmp_path):
    """--only 02: the later run's 02 joins; its newer 06 does not replace the published one."""
    run, docs, readme = finished_run
    publish.publish(run, docs_dir=docs, readme=readme)
    later = _later_run(tmp_path / "later")
    publish.publish(later, docs_dir=docs, readme=readme, add=True, only="02")
    results = json.loads((docs / "results.json").read_text())
    assert results["notebooks"]["02_fixed_vs_fitted_variance"]["commit"] == "new5678"
    assert results["notebooks"]["06_mnist_reproduction"]["commit"] == "0ld0000"
    assert 'id="06_mnist_reproduction,-the-later-run"' not in (docs / "06_mnist_reproduction.html").read_text()
    by_id = {entry["id"]: entry for entry in results["claims"]}
    assert by_id["kw_adam"]["evidence"]["ours_test"] == 146.125  # the published 06's verdict, not the later one
    assert publish.check(docs, readme) == []


def test_publish_only_is_refused_without_add_or_a_writeup_or_with_an_unknown_notebook(finished_run, tmp_path):
    run, docs, readme = finished_run
    with pytest.raises(ValueError, match=r"Received: --only '06' without --add"):
        publish.publish(run, docs_dir=docs, readme=readme, only="06")
    with pytest.raises(ValueError, match=r"--only with no .*results.json to add to"):
        publish.publish(run, docs_dir=docs, readme=readme, add=True, only="06")
    assert not docs.exists()
    publish.publish(run, docs_dir=docs, readme=readme)
    with pytest.raises(ValueError, match=r"Received: --only ' , '\. Accepted: numbers or names"):
        publish.publish(run, docs_dir=docs, readme=readme, add=True, only=" , ")
    with pytest.raises(ValueError, match=r"Unknown notebook. Received: --only '42'"):
        publish.publish(_later_run(tmp_path / "later"), docs_dir=docs, readme=readme, add=True, only="42")
    # 09 failed in the later run and is published as completed: selecting only it brings nothing.
    with pytest.raises(ValueError, match=r"selected with --only: 09_mnist_benchmark\); nothing to add"):
        publish.publish(tmp_path / "later", docs_dir=docs, readme=readme, add=True, only="09")


def test_no_dataset_path_reaches_docs_results_even_from_an_older_publish(finished_run, tmp_path):
    run, docs, readme = finished_run
    publish.publish(run, docs_dir=docs, readme=readme)
    published = docs / "results.json"
    assert "/data/" not in published.read_text()
    assert json.loads(published.read_text())["notebooks"]["09_mnist_benchmark"]["metrics"]["dataset"] == "npz:mnist.npz"
    # A writeup published before paths were shortened everywhere: its kept entries are shortened on the next add.
    older = json.loads(published.read_text())
    older["headline"]["dataset"] = "npz:/data/mnist.npz"
    older["notebooks"]["09_mnist_benchmark"]["settings"] = {"dataset": "npz:/data/mnist.npz"}
    published.write_text(json.dumps(older))
    publish.publish(_later_run(tmp_path / "later"), docs_dir=docs, readme=readme, add=True)
    merged = json.loads(published.read_text())
    assert "/data/" not in published.read_text()
    assert merged["headline"]["dataset"] == merged["notebooks"]["09_mnist_benchmark"]["settings"]["dataset"]
    assert merged["headline"]["dataset"] == "npz:mnist.npz"


def test_the_readme_sets_published_numbers_beside_ours_only_on_their_data():
    """A run on other data than MNIST (notMNIST here) is named by its data and model, never set beside theirs."""
    on_letters = claims.judge("kw_adam", data=None, ours_test=146.125, ours_train=139.0, examples_seen=12_000_000)
    results = {
        "run": {"dataset": "npz:/data/notmnist.npz", "profile": "cpu", "commit": "abc1234"},
        "headline": {
            "mnist_benchmark_nll": 371.01,
            "mnist_benchmark_epochs": 10,
            "mnist_benchmark_model": "784-200-200-50",
            "mnist_benchmark_data": "npz:notmnist.npz",
            "mnist_benchmark_on_mnist": False,
        },  # fmt: skip
        "notebooks": {"06_mnist_reproduction": {"status": "completed"}, "09_mnist_benchmark": {"status": "completed"}},
        "claims": [on_letters.to_dict()],
    }
    block = publish.readme_block(results)
    assert "**Binarised benchmark model on npz:notmnist.npz**" in block and "| 371.01 | 10 |" in block
    assert "86.76" not in block and "Pythae" not in block
    assert "146.12" not in block and "146.13" not in block  # K&W's row shows no number of ours on other data
    results["headline"].update(mnist_benchmark_on_mnist=True, mnist_benchmark_data="MNIST")
    assert "86.76" in publish.readme_block(results)


def test_a_second_dataset_is_published_beside_the_first_and_every_index_links_both(finished_run, tmp_path):
    """``--docs docs/<dataset>``: a writeup of its own; the first one's index and the README name both."""
    run, docs, readme = finished_run
    publish.publish(run, docs_dir=docs, readme=readme)
    first_block = publish.readme_results(readme.read_text())
    assert "one per dataset" not in first_block  # one writeup: nothing to link
    other = _later_run(tmp_path / "svhn-run", dataset="svhn_sample")
    publish.publish(other, docs_dir=docs / "svhn_sample", readme=readme)
    assert json.loads((docs / "results.json").read_text())["run"]["dataset"] == "npz:mnist.npz"  # kept as it was
    assert json.loads((docs / "svhn_sample" / "results.json").read_text())["run"]["dataset"] == "svhn_sample"
    root_index, sub_index = (docs / "index.html").read_text(), (docs / "svhn_sample" / "index.html").read_text()
    assert '<a href="svhn_sample/index.html">svhn_sample</a>' in root_index
    assert '<a href="../index.html">npz:mnist.npz</a>' in sub_index
    assert "<strong>svhn_sample</strong> (this page)" in sub_index
    block = publish.readme_results(readme.read_text())
    assert block.startswith(first_block.rsplit(publish.README_END, 1)[0])  # the first writeup's numbers lead
    assert "- [svhn_sample](docs/svhn_sample/index.html): profile `cpu`, commit `new5678`" in block
    assert publish.check(docs, readme) == []
    # Republishing the second one does not leave a stale copy behind, nor count it twice.
    publish.publish(other, docs_dir=docs / "svhn_sample", readme=readme)
    assert sorted(p.name for p in docs.iterdir() if p.is_dir()) == ["figures", "svhn_sample"]
    assert publish.readme_results(readme.read_text()).count("docs/svhn_sample/index.html") == 1


def test_an_earlier_ledger_is_shown_as_such_and_never_counted(finished_run):
    run, docs, readme = finished_run
    publish.publish(run, docs_dir=docs, readme=readme)
    results = json.loads((docs / "results.json").read_text())
    for claim in results["claims"]:  # as an earlier publish wrote them: no scope, no quote
        claim.pop("scope", None), claim.pop("quote", None)
    (docs / "results.json").write_text(json.dumps(results))
    block = publish.readme_block(results)
    assert "decided by an earlier ledger (commit `abc1234`)" in block and "not counted here" in block
    assert "on the claims' own data" not in block
    publish._rebuild_index(docs, results, {})
    index = (docs / "index.html").read_text()
    assert "These verdicts were decided by an earlier ledger" in index and "On the claims' own data" not in index
