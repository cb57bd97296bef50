"""vae_keras.writeup.needs: what a notebook needs of its data, read without a kernel and checked before one starts."""

import json

import nbformat
import numpy as np
import pytest
from nbformat import v4

from vae_keras.writeup import needs, runner


def _facts(shape=(28, 28, 1), labelled=True, num_classes=10, name="npz:x.npz"):
    return needs.DataFacts(name, shape, labelled, num_classes)


def test_each_need_says_what_the_data_has_instead():
    assert needs.unmet(["labels", "two_classes", "mnist_layout", "sides_divisible_by_4"], _facts()) is None
    assert (
        needs.unmet(["labels"], _facts(labelled=False, num_classes=0))
        == "needs labelled images; npz:x.npz has no labels"
    )
    assert needs.unmet(["two_classes"], _facts(num_classes=1)) == (
        "needs labelled images of at least 2 classes; npz:x.npz has 1 class"
    )
    assert needs.unmet(["two_classes"], _facts(labelled=False, num_classes=0)).endswith("has no labels")
    assert needs.unmet(["mnist_layout"], _facts((28, 20, 1))) == (
        "needs 28x28 grey images (the MNIST layout its models are built for); npz:x.npz has 28x20x1 images"
    )
    assert needs.unmet(["mnist_layout"], _facts((28, 28, 3))).endswith("has 28x28x3 images")
    assert needs.unmet(["sides_divisible_by_4"], _facts((30, 28, 1))).endswith("has 30x28x1 images")
    assert needs.unmet(["sides_divisible_by_4"], _facts((8, 8, 1))) is None
    both = needs.unmet(["labels", "mnist_layout"], _facts((16, 16, 1), labelled=False, num_classes=0))
    assert both.count("needs ") == 2 and "; npz:x.npz has no labels; needs 28x28" in both
    assert needs.unmet(["labels"], None) is None  # nothing known: the notebook checks for itself


def test_the_facts_come_from_the_loaded_splits_or_the_family(tmp_path):
    images = np.zeros((6, 28, 20, 1), np.uint8)
    loaded = {"train": (images, None), "test": (images[:2], None)}
    path = tmp_path / "faces.npz"
    np.savez(path, x_train=images[..., 0], x_test=images[:2, ..., 0])
    facts = needs.describe(f"npz:{path}", loaded)
    assert facts == needs.DataFacts("npz:faces.npz", (28, 20, 1), False, 0, None)
    labels = np.array([3, 3, 3, 3, 3, 3])
    facts = needs.describe(f"npz:{path}", {"train": (images, labels), "test": (images[:2], labels[:2])})
    assert facts.labelled and facts.num_classes == 1
    # Labelled training images but an unlabelled test split: not labelled (a conditional VAE needs both).
    assert not needs.describe(f"npz:{path}", {"train": (images, labels), "test": (images[:2], None)}).labelled
    assert needs.describe("mnist") == needs.DataFacts("mnist", (28, 28, 1), True, 10, "mnist")
    assert needs.describe("svhn_sample").image_shape == (32, 32, 3)  # by its family, unread


def _notebook(folder, name, declared=None):
    metadata = {"kernelspec": {"name": "vae-keras", "display_name": "vae-keras"}}
    if declared is not None:
        metadata["vae_keras"] = {"needs": declared}
    nbformat.write(
        v4.new_notebook(cells=[v4.new_markdown_cell(f"# {name}")], metadata=metadata), folder / f"{name}.ipynb"
    )


def test_notebooks_declare_needs_in_their_metadata(tmp_path):
    _notebook(tmp_path, "01_any")
    _notebook(tmp_path, "06_mnist", ["mnist_layout"])
    _notebook(tmp_path, "07_one", "labels")
    _notebook(tmp_path, "09_bad", ["colour"])
    assert needs.notebook_needs("01_any", tmp_path) == []
    assert needs.notebook_needs("06_mnist", tmp_path) == ["mnist_layout"]
    assert needs.notebook_needs("07_one", tmp_path) == ["labels"]
    with pytest.raises(ValueError, match=r"Notebook 09_bad declares unknown needs.*\['colour'\].*Accepted: labels"):
        needs.notebook_needs("09_bad", tmp_path)
    assert needs.skips(["01_any", "06_mnist"], "digits", None, tmp_path) == {
        "06_mnist": "needs 28x28 grey images (the MNIST layout its models are built for); digits has 8x8x1 images"
    }
    assert needs.skips(["01_any", "06_mnist"], None, None, tmp_path) == {}  # each notebook's default data


def test_the_study_notebooks_declare_what_they_cannot_run_without():
    declared = {name: needs.notebook_needs(name, runner.NOTEBOOKS_DIR) for name in runner.list_notebooks()}
    assert declared["06_mnist_reproduction"] == declared["09_mnist_benchmark"] == ["mnist_layout"]
    assert declared["03_components_or_convolutions"] == declared["07_latent_dimensions"] == ["sides_divisible_by_4"]
    # Notebooks 01, 05 and 07 run without labels (they leave out their label sections): labels are no need.
    assert not any("labels" in found or "two_classes" in found for found in declared.values())
    for name in declared:
        metadata = json.loads((runner.NOTEBOOKS_DIR / f"{name}.ipynb").read_text())["metadata"]
        assert set(metadata["vae_keras"]) <= {"datasets", "needs"}, name


def test_the_runner_skips_a_notebook_by_its_needs_before_its_kernel_starts(tmp_path, monkeypatch):
    import papermill

    started = []

    def fake_execute(source, target, parameters, **kwargs):
        started.append(runner.Path(source).stem)
        nbformat.write(v4.new_notebook(cells=[v4.new_markdown_cell("# ran")]), target)

    monkeypatch.setattr(papermill, "execute_notebook", fake_execute)
    images = np.zeros((40, 16, 16), np.uint8)
    path = tmp_path / "one_class.npz"
    np.savez(path, x_train=images, y_train=np.full(40, 3), x_test=images[:8], y_test=np.full(8, 3))
    results = runner.run("smoke", dataset=f"npz:{path}", only="01,06,09", out=tmp_path / "out", report=False)
    assert started == ["01_svhn_data"]
    for name in ("06_mnist_reproduction", "09_mnist_benchmark"):
        entry = results["notebooks"][name]
        assert entry["status"] == "skipped", entry
        assert entry["reason"] == (
            "needs 28x28 grey images (the MNIST layout its models are built for); npz:one_class.npz has 16x16x1 images"
        )
