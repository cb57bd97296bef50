"""The published site: one writeup per dataset, side by side in ``docs/``.

The first writeup published lives in ``docs/`` itself; a writeup of another dataset goes in a folder of its
own, ``docs/<dataset>/`` (``vae-keras publish RUN_DIR --docs docs/svhn_sample``). Each is a whole writeup: its
index, pages, figures, ``results.json`` and ``README.md``. Every index lists all of them (``links``), and the
project README's results block names each (``summary_lines``), so a reader who lands on one finds the others.

A writeup published before claims carried their verbatim quote and their data scope was decided by an earlier
ledger (``earlier_ledger``): its verdicts are shown as that ledger gave them, labelled so, and never counted
beside the current ledger's.
"""

import json
from dataclasses import dataclass
from pathlib import Path

from vae_keras.writeup import claims as claims_lib
from vae_keras.writeup.vocabulary import shown_dataset


@dataclass(frozen=True)
class Writeup:
    """One published writeup: its folder and its ``results.json``."""

    folder: Path
    results: dict

    @property
    def run(self):
        return self.results.get("run") or {}

    @property
    def dataset(self):
        return shown_dataset(self.run.get("dataset")) or "unknown data"

    @property
    def earlier_ledger(self):
        return earlier_ledger(self.results)

    def own_data_counts(self):
        """``{verdict: count}`` of the claims decided on their own data (``None`` under an earlier ledger)."""
        if self.earlier_ledger:
            return None
        counts = claims_lib.count(self.results.get("claims") or [], self.results.get("notebooks") or {})
        return {verdict: counts[verdict] for verdict in claims_lib.display.DECIDED}

    def summary(self):
        """One line: profile, commit, and what its ledger decided on the claims' own data (its dataset is the
        label it is listed under)."""
        run = self.run
        line = f"profile `{run.get('profile')}`, commit `{run.get('commit')}`"
        counts = self.own_data_counts()
        if counts is None:
            return line + "; its verdicts are an earlier ledger's (no quotes or data scope), not counted"
        decided = ", ".join(f"{number} {verdict}" for verdict, number in counts.items() if number)
        return line + f"; on the claims' own data: {decided or 'no verdict'}"


def earlier_ledger(results):
    """Whether ``results`` was published by an earlier ledger: write-up claims without their data scope
    (``claims.count`` tallies them as ``UNSCOPED``); such a ledger carried no verbatim quotes either."""
    counts = claims_lib.count(results.get("claims") or [])
    return bool(counts.get(claims_lib.display.UNSCOPED))


def root_of(docs_dir):
    """The site's root for a writeup in ``docs_dir``: its parent when that holds a published writeup too."""
    docs_dir = Path(docs_dir).resolve()
    return docs_dir.parent if (docs_dir.parent / "results.json").is_file() else docs_dir


def writeups(root):
    """Every writeup of the site at ``root``: the root's own first, then its folders' in name order."""
    root = Path(root)
    found = []
    for path in [root / "results.json", *sorted(root.glob("*/results.json"))]:
        if path.is_file() and not (path.parent != root and path.parent.name.startswith(".")):  # publish's own
            try:
                found.append(Writeup(path.parent, json.loads(path.read_text())))
            except (OSError, json.JSONDecodeError):
                continue  # a writeup being replaced, or not one: never fatal for the others' links
    return found


def links(folder, root=None):
    """``[{"label", "href", "current", "summary"}]``: every writeup of the site, relative to ``folder``.

    Empty when the site holds one writeup only (nothing to link to).
    """
    folder = Path(folder).resolve()
    root = Path(root).resolve() if root is not None else root_of(folder)
    found = writeups(root)
    if len(found) < 2:
        return []
    shown = []
    for writeup in found:
        target = writeup.folder.resolve()
        if target == folder:
            href = "index.html"
        elif target == root:
            href = "../index.html"
        elif folder == root:
            href = f"{target.name}/index.html"
        else:
            href = f"../{target.name}/index.html"
        shown.append(
            {"label": writeup.dataset, "href": href, "current": target == folder, "summary": writeup.summary()}
        )
    return shown


def summary_lines(root, docs="docs"):
    """The README's lines naming each writeup of the site (empty with one writeup)."""
    root = Path(root)
    found = writeups(root)
    if len(found) < 2:
        return []
    lines = ["", "**Published writeups, one per dataset:**", ""]
    for writeup in found:
        where = docs if writeup.folder.resolve() == root.resolve() else f"{docs}/{writeup.folder.name}"
        lines.append(f"- [{writeup.dataset}]({where}/index.html): {writeup.summary()}")
    return lines
