"""The claim and the verdict, the registry, and ``judge``, which scopes a rule's outcome to the run's data.

A claim is what a write-up says, quoted verbatim (``quote``, from ``../shared/seeds/<source>_*.txt``),
our one-sentence reading of it (``statement``), the data it is about (``about``), the notebook that
measures it, and the rule that decides it. Questions of our own (``kind == OURS``) carry no quote and
are never counted as a write-up's claim.

``judge(claim_id, data=..., **evidence)`` runs the rule and returns a ``Verdict``:

- on the claim's own data, the rule's outcome: ``reproduced``, ``refuted``, ``differs`` or
  ``inconclusive``;
- on other data, ``indicative`` (the outcome is kept, with its numbers, in ``outcome``), or
  ``inconclusive`` when the rule could not decide there either.

A verdict resting on one seed says "one seed" in its reason.
"""

import dataclasses
import math

import numpy as np

from vae_keras.writeup.claims import display
from vae_keras.writeup.claims.catalogue import CLAIMS
from vae_keras.writeup.vocabulary import (
    DIFFERS,
    INCONCLUSIVE,
    INDICATIVE,
    OURS,
    REFUTED,
    REPRODUCED,
    SMALL_PROFILES,
    VERDICTS,
    WRITE_UP,
    data_name,
)

#: The four write-ups (``../shared/seeds/<id>_*.txt``), by id.
SOURCES = {
    "000": "A Variational Autoencoder on the SVHN dataset (outline)",
    "001": "Variational Autoencoder: latent sizes on MNIST and SVHN",
    "002": "Variational Autoencoders from scratch in NumPy",
    "003": "A Musing Upon Variational Autoencoders",
}
OUR_QUESTION = "our question"

#: ``judge``'s default ``data``: the run is on the claim's own data.
OWN_DATA = object()


@dataclasses.dataclass(frozen=True)
class Claim:
    """One claim of a write-up (or a question of ours) and the rule that decides it.

    Args:
        id: short identifier, e.g. ``"fixed_sigma_poor"``.
        source: the write-up, a key of ``SOURCES`` (``None`` for a question of ours).
        quote: the write-up's words, verbatim (whitespace aside); ``None`` for a question of ours.
        statement: what we read the quote to claim, in one sentence.
        about: the data the claim is about (``"svhn"`` or ``"mnist"``).
        notebook: the notebook whose run decides it.
        evidence: which runs and which metric decide it, in words.
        thresholds: the numbers the rule uses, fixed before any run.
        decide: ``decide(claim, **evidence) -> Verdict``, or ``None`` when nothing here can decide it.
        reading: how an ambiguous quote is read, and why (shown on the page).
        kind: ``WRITE_UP`` or ``OURS``.
        budget_notes: ``{profile: text}``, how a profile's budget for this claim was chosen when it
            was set or changed after a run was seen.
        not_decidable: why no run here can decide it (with ``decide`` ``None``).
    """

    id: str
    source: object
    quote: object
    statement: str
    about: str
    notebook: str
    evidence: str
    thresholds: dict
    decide: object
    reading: str = ""
    kind: str = WRITE_UP
    budget_notes: dict = dataclasses.field(default_factory=dict)
    not_decidable: str = ""

    def verdict(self, verdict, reason, **evidence):
        return Verdict(self.id, verdict, reason, evidence)

    @property
    def source_title(self):
        return SOURCES[self.source] if self.source in SOURCES else OUR_QUESTION


@dataclasses.dataclass(frozen=True)
class Verdict:
    """The outcome of one claim on one run.

    ``outcome`` is the rule's word on the data the run used; ``verdict`` is what the ledger shows
    (``indicative`` where that data is not the claim's). ``data`` is the run's data family.
    """

    claim_id: str
    verdict: str
    reason: str
    evidence: dict
    outcome: object = None
    data: object = None
    budget_note: str = ""

    def __post_init__(self):
        if self.verdict not in VERDICTS:
            raise ValueError(f"Unknown verdict. Received: verdict={self.verdict!r}. Accepted: {', '.join(VERDICTS)}")

    @property
    def claim(self):
        return CLAIMS[self.claim_id]

    @property
    def scope(self):
        """``"claim's data"`` or ``"other data"`` (data that cannot be told apart counts as other)."""
        return "claim's data" if self.data == self.claim.about else "other data"

    def to_dict(self):
        """The ``results.json`` entry: the claim (quote, source, data it is about) and the verdict with its scope."""
        claim = self.claim
        return {
            "id": self.claim_id,
            "kind": claim.kind,
            "source": claim.source,
            "source_title": claim.source_title,
            "quote": claim.quote,
            "statement": claim.statement,
            "reading": claim.reading,
            "about": claim.about,
            "notebook": claim.notebook,
            "verdict": self.verdict,
            "outcome": self.outcome or self.verdict,
            "data": self.data,
            "scope": self.scope,
            "reason": self.reason,
            "budget_note": self.budget_note,
            "evidence": plain(self.evidence),
        }

    def _repr_html_(self):
        return display.verdict_box([self])


def register(id, source, notebook, quote, statement, about, evidence, **options):
    """Registers the decorated rule as the claim ``id`` (see ``Claim`` for the fields).

    ``options``: ``reading``, ``kind``, ``budget_notes``; every other keyword is a threshold.
    """
    extra = {key: options.pop(key) for key in ("reading", "kind", "budget_notes") if key in options}

    def wrap(decide):
        add(Claim(id, source, quote, statement, about, notebook, evidence, options, decide, **extra))
        return decide

    return wrap


def add(claim):
    """Adds ``claim`` to ``CLAIMS``.

    Raises:
        ValueError: for an id registered twice, a write-up claim without a quote, or unknown data.
    """
    if claim.id in CLAIMS:
        raise ValueError(f"Claim {claim.id!r} is registered twice.")
    if claim.kind == WRITE_UP and (claim.source not in SOURCES or not claim.quote):
        raise ValueError(f"A write-up's claim needs a source and a quote. Received: {claim.id!r}")
    if claim.about not in ("svhn", "mnist"):
        raise ValueError(f"Unknown data for claim {claim.id!r}. Received: about={claim.about!r}. Accepted: svhn, mnist")
    CLAIMS[claim.id] = claim
    return claim


def judge(claim_id, data=OWN_DATA, profile=None, **evidence):
    """Decides one claim from a run's evidence, scoped to the data the run used.

    Args:
        claim_id: a key of ``CLAIMS``.
        data: the run's data family (``vae_keras.data.dataset_family``); by default the claim's own.
        profile: the run's profile, for the claim's budget note.
        **evidence: the numbers its rule reads (see each claim's ``evidence``).

    Returns:
        A ``Verdict``.

    Raises:
        ValueError: for an unknown claim id, or a claim that nothing here can decide.
    """
    if claim_id not in CLAIMS:
        raise ValueError(f"Unknown claim. Received: claim_id={claim_id!r}. Accepted: {', '.join(CLAIMS)}")
    claim = CLAIMS[claim_id]
    if claim.decide is None:
        raise ValueError(f"Claim {claim_id!r} cannot be decided here: {claim.not_decidable}")
    found = claim.decide(claim, **evidence)
    return scoped(found, claim.about if data is OWN_DATA else data, profile)


def scoped(found, data, profile=None):
    """``found`` with the run's ``data``: ``indicative`` when that is not the claim's, "one seed" said."""
    claim = CLAIMS[found.claim_id]
    reason, outcome = found.reason, found.verdict
    if found.evidence.get("seeds") == 1 and outcome != INCONCLUSIVE:
        reason = f"one seed: {reason}"
    shown = outcome
    if data != claim.about and outcome != INCONCLUSIVE:
        shown = INDICATIVE
        leaning = {REPRODUCED: "agrees with", REFUTED: "goes against", DIFFERS: "neither confirms nor contradicts"}
        reason = (
            f"on {data_name(data)}, not {data_name(claim.about)}, the run {leaning[outcome]} the claim "
            f"(indicative only): {reason}"
        )
    elif data != claim.about:
        reason = f"on {data_name(data)}, not {data_name(claim.about)}: {reason}"
    if profile in SMALL_PROFILES and shown in (REPRODUCED, REFUTED, DIFFERS):
        # A rule written before any run: the minutes-long profiles never decide a claim; the outcome is kept.
        shown = INCONCLUSIVE
        reason = (
            f"the {profile} profile's budget is too small to decide claims (the rule's outcome: {outcome}): {reason}"
        )
    note = claim.budget_notes.get(profile, "") if profile else ""
    return Verdict(found.claim_id, shown, reason, found.evidence, outcome, data, note)


def not_run(claim_id, reason, data=None):
    """The verdict of a claim whose notebook did not run or could not measure it, with the reason."""
    claim = CLAIMS[claim_id]
    reason = reason if claim.decide is not None else f"{reason}; {claim.not_decidable}"
    return Verdict(claim_id, INCONCLUSIVE, reason, {}, INCONCLUSIVE, data)


def for_notebook(notebook, kind=None):
    """The claims a notebook decides, in registry order (only those of ``kind`` when given)."""
    return [c for c in CLAIMS.values() if c.notebook == notebook and (kind is None or c.kind == kind)]


def plain(value):
    """``value`` as JSON-ready Python: NumPy scalars and arrays as numbers and lists, NaN as ``None``."""
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, np.ndarray)):
        return [plain(v) for v in list(value)]
    if isinstance(value, (np.floating, float)):
        value = float(value)
        return value if math.isfinite(value) else None  # e.g. the spread of one seed: undefined, not a number
    if isinstance(value, np.integer):
        return int(value)
    return value


# Re-exported for the rules' modules.
__all__ = ["REPRODUCED", "REFUTED", "DIFFERS", "INCONCLUSIVE", "INDICATIVE", "OURS", "WRITE_UP"]
