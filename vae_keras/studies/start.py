"""Starting a study notebook: its page, and the base model the SVHN notebooks (02-04) share.

``begin`` is the first call of every notebook after its parameters: it seeds every generator, opens
the notebook's ``Output`` and shows the banner. ``fitted_mlp_config`` is the configuration notebooks
02, 03 and 04 vary: an MLP with two hidden layers of one width and the fitted-variance Gaussian decoder.
"""

from vae_keras.studies.page import Output, seed_everything
from vae_keras.studies.variants import base_config


def begin(notebook, out_dir, dataset, profile, seed, budget, written_for=None):
    """Seeds Python, NumPy and Keras, opens the notebook's output folder and shows its banner.

    Args:
        notebook: the notebook's name, e.g. ``"02_fixed_vs_fitted_variance"``.
        out_dir: the study's output folder.
        dataset: the dataset the notebook runs on.
        profile: the parameter profile.
        seed: the notebook's seed.
        budget: the training budget in words (``budget_text``).
        written_for: the data the page's claims are about (see ``Output.banner``).

    Returns:
        The notebook's ``Output``.
    """
    seed_everything(seed)
    output = Output(out_dir, notebook)
    output.banner(dataset, profile, budget, written_for=written_for)
    return output


def fitted_mlp_config(dataset, hidden_width, latent_dim, **settings):
    """The ``ExperimentConfig`` of an MLP with two hidden layers of ``hidden_width`` units and a
    fitted-variance Gaussian decoder, with ``settings`` (training budget, input space...) on top.

    Args:
        dataset: the dataset name.
        hidden_width: width of both hidden layers of the encoder and the decoder.
        latent_dim: size of z.
        **settings: any other ``ExperimentConfig`` setting; they override the ones above.
    """
    model = {
        "architecture": "mlp",
        "hidden_units": [hidden_width, hidden_width],
        "latent_dim": latent_dim,
        "likelihood": "gaussian_fitted",
    }
    return base_config(dataset=dataset, **{**model, **settings})
