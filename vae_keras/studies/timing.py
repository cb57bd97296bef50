"""How fast the variants of a study trained: seconds per epoch and images per second (notebook 04).

The first epoch of a run includes tracing and compiling its training step, so the timed epochs are the later
ones, as the ledger's ``big_batch_faster`` rule takes them.
"""

import numpy as np


def timed_epochs(variants):
    """``{name: seconds of each epoch after the first}`` of the variants that have a model."""
    return {name: variant.curve("seconds")[1:] for name, variant in variants.items() if variant.vae is not None}


def images_per_second(rows, timings, num_images):
    """``rows`` (a study table's) with an ``images_per_second`` column: the mean over the timed epochs of
    ``num_images`` divided by the epoch's seconds; ``None`` for a variant without timed epochs."""
    speeds = {
        name: float(np.mean(num_images / np.asarray(seconds))) for name, seconds in timings.items() if len(seconds)
    }
    return [{**row, "images_per_second": speeds.get(row["variant"])} for row in rows]
