"""The divergence guard: stops ``fit`` when a loss term is NaN, infinite, or has exploded.

``DivergenceGuard`` is Keras's ``TerminateOnNaN(raise_error=True)`` made to tell the truth: it looks at the
terms (``kl`` first, then ``reconstruction``, then ``loss``), treats a finite but absurd value as the
divergence it is, names the epoch and the batches that produced it, and says what the run folder still holds.

A finite term has exploded when its magnitude passes either bound (nats per example):

* ``EXPLODED_NATS`` (1e12), absolute. No model of this package has a legitimate term near it: the largest
  bounded term, 196,608 8-bit values (256x256x3) under ``gaussian_fixed`` with sigma 0.1, is at most
  about 1e7 nats, and a float32 sum near 1e12 resolves nothing finer than about 6e4 nats (2^24 steps), so
  the ELBO it reports means nothing. An MLP on 256x256x3 noise once "completed" with a KL of 1.36e31.
* ``GROWTH_FACTOR`` (1e6) times the term's first-epoch mean, that mean taken as at least
  ``GROWTH_FLOOR_NATS`` (1 nat). The floor keeps a posterior that starts collapsed (a KL of 1e-4 nats
  that grows to 50 as the model learns) from counting as an explosion; a KL a million times its first
  epoch's (and above a million nats) is a runaway encoder, long before it reaches the absolute bound.
"""

import json
import math
from pathlib import Path

import keras

#: Magnitude (nats per example) above which a finite term counts as diverged; see the module docstring.
EXPLODED_NATS = 1e12
#: A term this many times its first-epoch mean (see ``GROWTH_FLOOR_NATS``) counts as diverged.
GROWTH_FACTOR = 1e6
#: The smallest first-epoch mean ``GROWTH_FACTOR`` multiplies, so a near-zero first KL is no hair trigger.
GROWTH_FLOOR_NATS = 1.0
#: The terms watched for growth (``loss`` follows them; it is only checked for NaN, Inf and the absolute bound).
GROWING_TERMS = ("kl", "reconstruction")


class TrainingDivergedError(RuntimeError):
    """Raised when a loss term becomes NaN or Inf, or explodes, during training."""


def first_epoch_means(history):
    """``{term: value}`` of a run's first recorded epoch (``state.json``'s history), for a resumed guard."""
    first = history[0] if history else {}
    return {term: float(first[term]) for term in GROWING_TERMS if term in first}


def kept_checkpoint(run_dir):
    """A sentence saying what ``RUN_DIR/state.json`` holds: the last checkpoint's epoch, or that none exists."""
    if run_dir is None:
        return "No run folder was given, so no checkpoint exists."
    path = Path(run_dir) / "state.json"
    try:
        state = json.loads(path.read_text())
    except (OSError, ValueError):
        state = {}
    if state.get("checkpoint"):
        return (
            f"The checkpoint of epoch {state.get('epoch')} ({state['checkpoint']}) is kept; running the same "
            "command again resumes from it."
        )
    return f"No checkpoint exists yet ({path} records none): a rerun starts from the first epoch."


class DivergenceGuard(keras.callbacks.TerminateOnNaN):
    """Stops training at once when a loss term is NaN, Inf or has exploded (see the module docstring).

    The error (a ``TrainingDivergedError``, a ``RuntimeError`` as Keras raises) stops ``fit`` before any
    callback could save the spoiled weights. ``kl`` is looked at first because an overflowing encoder
    also spoils ``z`` and with it the reconstruction. With ``steps_per_execution > 1`` Keras reports once
    per compiled call, so the message names the batches of that call (1-based, within the epoch's
    ``params["steps"]``), not a step Keras numbered past the epoch's end.

    Args:
        run_dir: the run folder whose ``state.json`` says which checkpoint is kept (``None``: none).
        reference: first-epoch means ``{term: value}`` of a resumed run (``first_epoch_means``);
            otherwise taken from this ``fit``'s first epoch.
    """

    TERMS = ("kl", "reconstruction", "loss")

    def __init__(self, run_dir=None, reference=None):
        super().__init__(raise_error=True)
        self.run_dir = run_dir
        self.reference = dict(reference or {})
        self.epoch = 0
        self._next_batch = 0

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch = epoch + 1
        self._next_batch = 0

    def on_epoch_end(self, epoch, logs=None):
        for term in GROWING_TERMS:
            value = (logs or {}).get(term)
            if term not in self.reference and value is not None and math.isfinite(float(value)):
                self.reference[term] = float(value)

    def limit(self, term):
        """The magnitude above which ``term`` counts as diverged."""
        if term in self.reference:
            return min(EXPLODED_NATS, GROWTH_FACTOR * max(abs(self.reference[term]), GROWTH_FLOOR_NATS))
        return EXPLODED_NATS

    def on_batch_end(self, batch, logs=None):
        first, self._next_batch = self._next_batch, batch + 1
        values = [(term, (logs or {}).get(term)) for term in self.TERMS]
        values = [(term, float(value)) for term, value in values if value is not None]
        bad = [(term, value) for term, value in values if not math.isfinite(value) or abs(value) > self.limit(term)]
        if bad:
            raise TrainingDivergedError(self._message(bad, first, batch))
        super().on_batch_end(batch, logs)

    def _message(self, bad, first, last):
        steps = (self.params or {}).get("steps")
        last = min(last, steps - 1) if steps else last
        of = f" of {steps}" if steps else ""
        where = f"batch {last + 1}{of}" if first >= last else f"batches {first + 1}-{last + 1}{of} (one compiled call)"
        described = [self._describe(term, value) for term, value in bad]
        also = f" (also: {'; '.join(described[1:])})" if len(described) > 1 else ""
        return (
            f"Training diverged at epoch {self.epoch}, {where}: {described[0]}{also}. {kept_checkpoint(self.run_dir)} "
            "Try a smaller learning_rate, a clipnorm, or a larger variance_floor."
        )

    def _describe(self, term, value):
        if not math.isfinite(value):
            return f"the {term!r} term is {value}"
        if term in self.reference and self.limit(term) < EXPLODED_NATS:
            return (
                f"the {term!r} term is {value:.3g} nats, beyond {GROWTH_FACTOR:g} times its first-epoch mean "
                f"({self.reference[term]:.3g}, taken as at least {GROWTH_FLOOR_NATS:g})"
            )
        return f"the {term!r} term is {value:.3g} nats, beyond the bound of {EXPLODED_NATS:g} nats"
