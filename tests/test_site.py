"""The published site: writeups side by side in docs/, linked from each index and named in the README."""

import json

from vae_keras.writeup import site

NOTEBOOKS = {"02_fixed_vs_fitted_variance": {"status": "completed"}}


def _claim(verdict, earlier=False, **extra):
    claim = {"id": "fixed_sigma_poor", "kind": "write-up", "notebook": "02_fixed_vs_fitted_variance"}
    claim.update(verdict=verdict, **extra)
    if not earlier:
        claim.update(quote="Explain why constant sigma doesn't work", about="svhn", scope="own data")
    return claim


def _writeup(folder, dataset, claims, profile="cpu", commit="abc1234"):
    folder.mkdir(parents=True, exist_ok=True)
    results = {"run": {"dataset": dataset, "profile": profile, "commit": commit}, "notebooks": NOTEBOOKS}
    (folder / "results.json").write_text(json.dumps({**results, "claims": claims}))
    return folder


def test_an_earlier_ledger_is_told_by_claims_without_quote_or_scope():
    assert site.earlier_ledger({"claims": [_claim("refuted", earlier=True)]})
    assert not site.earlier_ledger({"claims": [_claim("refuted")]})
    assert not site.earlier_ledger({"claims": []})  # nothing to tell: not an earlier ledger
    ours_only = {"claims": [{"id": "small_init", "kind": "ours", "verdict": "differs"}]}
    assert not site.earlier_ledger(ours_only)  # our own questions carry no write-up quote


def test_writeups_root_first_then_folders_and_links_relative_to_each(tmp_path):
    root = _writeup(tmp_path / "docs", "npz:/home/me/mnist.npz", [_claim("refuted", earlier=True)])
    _writeup(root / "svhn_sample", "svhn_sample", [_claim("inconclusive")], profile="cpu-svhn-sample")
    (root / "figures").mkdir()  # a folder without results.json is not a writeup
    _writeup(root / ".svhn_sample-replaced", "svhn_sample", [])  # publish's swap, mid-way: not a writeup
    found = site.writeups(root)
    assert [w.folder.name for w in found] == ["docs", "svhn_sample"]
    assert [w.dataset for w in found] == ["npz:mnist.npz", "svhn_sample"]  # no machine's folders
    from_root = site.links(root)
    assert [(link["href"], link["current"]) for link in from_root] == [
        ("index.html", True),
        ("svhn_sample/index.html", False),
    ]
    from_sub = site.links(root / "svhn_sample")  # its root is found: the parent holds a writeup
    assert [(link["href"], link["current"]) for link in from_sub] == [
        ("../index.html", False),
        ("index.html", True),
    ]


def test_an_earlier_ledger_is_never_counted_and_says_why(tmp_path):
    root = _writeup(tmp_path / "docs", "npz:mnist.npz", [_claim("refuted", earlier=True)], commit="b6bf927")
    _writeup(root / "svhn_sample", "svhn_sample", [_claim("reproduced")], commit="1234567")
    old, new = site.writeups(root)
    assert old.own_data_counts() is None
    assert "earlier ledger" in old.summary() and "not counted" in old.summary()
    assert new.own_data_counts()["reproduced"] == 1
    assert new.summary() == "profile `cpu`, commit `1234567`; on the claims' own data: 1 reproduced"


def test_one_writeup_needs_no_links_and_the_readme_lines_name_each(tmp_path):
    root = _writeup(tmp_path / "docs", "npz:mnist.npz", [_claim("refuted")])
    assert site.links(root) == [] and site.summary_lines(root) == []
    _writeup(root / "svhn_sample", "svhn_sample", [_claim("inconclusive")])
    lines = site.summary_lines(root, docs="docs")
    assert lines[-2].startswith("- [npz:mnist.npz](docs/index.html): profile `cpu`")
    assert lines[-1].startswith("- [svhn_sample](docs/svhn_sample/index.html): profile `cpu`")


def test_a_broken_results_file_does_not_hide_the_other_writeups(tmp_path):
    root = _writeup(tmp_path / "docs", "npz:mnist.npz", [_claim("refuted")])
    (root / "half").mkdir()
    (root / "half" / "results.json").write_text("{")
    assert [w.folder.name for w in site.writeups(root)] == ["docs"]
