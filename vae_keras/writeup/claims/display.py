"""How verdicts read: the box on a page, the verdict the ledger shows, and the ledger's counts.

The ledger's headline counts only write-up claims decided on their own data; indicative results (on
other data), claims no run here can decide, claims whose notebook did not run, and our own questions
are counted apart.
"""

import html

from vae_keras.writeup.claims.catalogue import CLAIMS
from vae_keras.writeup.vocabulary import (
    DIFFERS,
    INCONCLUSIVE,
    INDICATIVE,
    NOT_DECIDABLE,
    NOT_RUN,
    OURS,
    REFUTED,
    REPRODUCED,
    VERDICT_COLOURS,
    data_name,
)

#: The verdicts the headline counts (on the claim's own data).
DECIDED = (REPRODUCED, REFUTED, DIFFERS, INCONCLUSIVE)
#: Counted apart, below the headline.
APART = (INDICATIVE, NOT_DECIDABLE, NOT_RUN)
#: The count of ledger entries recorded without a scope (published before scoping existed).
UNSCOPED = "unscoped"


def badge(verdict):
    """An HTML badge for a verdict word."""
    colour = VERDICT_COLOURS.get(verdict, "#57606a")
    return (
        f'<span class="badge" style="background:{colour};color:white;border-radius:3px;padding:0 0.4rem;'
        f'font-weight:600;font-size:0.85em">{html.escape(verdict)}</span>'
    )


def _entry(verdict):
    return verdict.to_dict() if hasattr(verdict, "to_dict") else verdict  # a core.Verdict, or its dict


def verdict_box(verdicts):
    """HTML of a box listing verdicts: the quote and its source, our reading, the verdict, its data and reason."""
    rows = []
    for verdict in verdicts:
        entry = _entry(verdict)
        quote = entry.get("quote")
        said = (
            f'&ldquo;{html.escape(quote)}&rdquo; <span style="color:#57606a">({html.escape(entry["source_title"])})'
            "</span><br>"
            if quote
            else '<span style="color:#57606a">(our question, not a write-up\'s claim)</span> '
        )
        reading = f"<br><em>How it is read:</em> {html.escape(entry['reading'])}" if entry.get("reading") else ""
        note = f"<br><em>Budget:</em> {html.escape(entry['budget_note'])}" if entry.get("budget_note") else ""
        about = f"about {data_name(entry.get('about'))}"
        rows.append(
            f'<div style="margin:0.5rem 0">{said}{badge(entry["verdict"])} '
            f"<strong>{html.escape(entry['statement'])}</strong> "
            f'<span style="color:#57606a">({about})</span>'
            f"<br><span>{html.escape(entry['reason'])}</span>{reading}{note}</div>"
        )
    return (
        '<div class="claims-box" style="border:1px solid #d0d7de;border-left:4px solid #0969da;'
        'padding:0.5rem 0.9rem;margin:0.8rem 0;background:#f6f8fa"><div style="font-weight:600">Claims decided here'
        "</div>" + "".join(rows) + "</div>"
    )


def shown_verdict(entry, notebooks):
    """A ledger entry's verdict as readers see it.

    ``NOT_DECIDABLE`` for a claim nothing here can decide, ``NOT_RUN`` when its notebook did not
    complete, else the recorded verdict.

    Args:
        entry: one claim of ``results.json``'s ``claims``.
        notebooks: ``results.json``'s ``notebooks`` (``{name: {"status": ...}}``).
    """
    claim = CLAIMS.get(entry.get("id"))
    if claim is not None and claim.decide is None:
        return NOT_DECIDABLE
    if notebooks.get(entry.get("notebook"), {}).get("status") != "completed":
        return NOT_RUN
    return entry.get("verdict", INCONCLUSIVE)


def count(verdicts, notebooks=None):
    """``{verdict: number}`` over a list of verdict dicts: the write-ups' claims only, our questions apart.

    Keys: ``DECIDED`` (on the claim's own data), then ``APART``. With ``notebooks`` (``results.json``'s),
    each entry counts as ``shown_verdict`` shows it.
    """
    counts = dict.fromkeys((*DECIDED, *APART), 0)
    for entry in verdicts:
        if entry.get("kind") == OURS:
            continue
        if "scope" not in entry:  # a ledger published before verdicts were scoped to their data
            counts[UNSCOPED] = counts.get(UNSCOPED, 0) + 1
        shown = shown_verdict(entry, notebooks) if notebooks is not None else entry["verdict"]
        counts[shown] = counts.get(shown, 0) + 1
    return counts


def count_sentence(counts):
    """The ledger's counts in words: decided on the claims' own data first, the rest apart."""
    own = ", ".join(f"{counts[v]} {v}" for v in DECIDED)
    apart = [f"{counts[v]} {v}" for v in APART if counts.get(v)]
    if counts.get(UNSCOPED):
        return (
            f"as published before verdicts were scoped to the data each claim is about (some were decided on "
            f"stand-in data; to be republished): {own}" + (f"; {', '.join(apart)}" if apart else "")
        )
    return f"on the claims' own data: {own}" + (f"; apart from those: {', '.join(apart)}" if apart else "")
