"""The claims ledger: every claim of the four write-ups (and our own questions), quoted, with its rule.

``core`` holds the claim, the verdict and ``judge``; ``stats`` the statistics the rules share; one
module per write-up holds its claims (``svhn`` for 000, ``latent`` for 001, ``numpy_vae`` for 002,
``kingma_welling`` for 003) and ``ours`` our own questions; ``display`` how verdicts read and count.
"""

from vae_keras.writeup.claims import kingma_welling, latent, numpy_vae, ours, stats, svhn  # noqa: F401 (registers)
from vae_keras.writeup.claims.core import (
    CLAIMS,
    OUR_QUESTION,
    OWN_DATA,
    SOURCES,
    Claim,
    Verdict,
    for_notebook,
    judge,
    not_run,
    scoped,
)
from vae_keras.writeup.claims.display import count, count_sentence, shown_verdict, verdict_box
from vae_keras.writeup.claims.kingma_welling import KINGMA_WELLING_ROWS, gap_source
from vae_keras.writeup.claims.stats import KL_FLOOR, compare, paired_compare, rate_upper_bound
from vae_keras.writeup.claims.svhn import half_change_epoch
from vae_keras.writeup.vocabulary import (
    DIFFERS,
    INCONCLUSIVE,
    INDICATIVE,
    NOT_DECIDABLE,
    NOT_RUN,
    OURS,
    REFUTED,
    REPRODUCED,
    VERDICTS,
    WRITE_UP,
    counted,
)

__all__ = [
    "CLAIMS", "OUR_QUESTION", "OWN_DATA", "SOURCES", "Claim", "Verdict", "for_notebook", "judge", "not_run", "scoped",
    "count", "count_sentence", "shown_verdict", "verdict_box", "KINGMA_WELLING_ROWS", "gap_source", "KL_FLOOR",
    "compare", "paired_compare", "rate_upper_bound", "half_change_epoch", "DIFFERS", "INCONCLUSIVE", "INDICATIVE",
    "NOT_DECIDABLE", "NOT_RUN", "OURS", "REFUTED", "REPRODUCED", "VERDICTS", "WRITE_UP", "counted", "stats",
]  # fmt: skip

# Registry order: by write-up, our questions last (the modules register in import order).
_RANK = {**{source: rank for rank, source in enumerate(SOURCES)}, None: len(SOURCES)}
_ordered = sorted(CLAIMS.items(), key=lambda item: _RANK[item[1].source])
CLAIMS.clear()
CLAIMS.update(_ordered)
