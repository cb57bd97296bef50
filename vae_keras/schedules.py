"""Learning-rate schedules of a run: a constant rate, or Burda et al.'s (2016) eight stages.

``learning_rate_for(config, steps_per_epoch)`` is what ``train.make_optimizer`` passes to the optimizer: a
float, or a Keras schedule over training steps, saved with the optimizer so that a resumed run keeps it.
"""

import keras

BURDA_STAGES = 8  # Burda et al. (2016): stage i lasts 3^i epochs at 1e-3 * 10^(-i/7), i = 0..7


def burda_stage_ends(num_epochs):
    """Where each of the 8 stages of Burda et al.'s schedule ends, in (fractional) epochs.

    Their schedule runs ``sum(3^i) = 3280`` epochs in 8 stages; stage ``i`` lasts
    ``3^i`` epochs at ``learning_rate * 10^(-i/7)``. A shorter budget keeps the
    same 8 learning rates over stages shrunk in proportion, so the run still ends
    at the smallest rate; at 3280 epochs the stages are exactly theirs.
    """
    total = (3**BURDA_STAGES - 1) // 2
    return [num_epochs * ((3 ** (i + 1) - 1) // 2) / total for i in range(BURDA_STAGES)]


def burda_learning_rates(learning_rate):
    """The learning rate of each of the 8 stages: ``learning_rate * 10^(-i/7)``."""
    return [learning_rate * 10 ** (-i / 7) for i in range(BURDA_STAGES)]


def learning_rate_for(config, steps_per_epoch):
    """A float, or a Keras schedule over training steps (saved with the optimizer, so resumes keep it).

    With ``lr_schedule="burda"`` stage ``i`` covers the steps before
    ``round(burda_stage_ends(num_epochs)[i] * steps_per_epoch)``; a stage shorter
    than half a step disappears.
    """
    if config.lr_schedule == "constant" or config.num_epochs == 0:
        return config.learning_rate
    ends = [round(end * steps_per_epoch) for end in burda_stage_ends(config.num_epochs)]
    # PiecewiseConstantDecay gives values[i] while step <= boundaries[i]; steps count from 0.
    return keras.optimizers.schedules.PiecewiseConstantDecay(
        boundaries=[end - 1 for end in ends[:-1]], values=burda_learning_rates(config.learning_rate)
    )
