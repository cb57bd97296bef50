"""Study helpers: what the notebooks call, so that a cell stays a few lines.

A study trains several variants of one base configuration, evaluates them
the same way, and shows tables and figures. Everything a notebook produces
goes into its output folder ``OUT_DIR``::

    OUT_DIR/runs/<notebook>/<variant>/   one run folder per variant (resumable)
    OUT_DIR/figures/<notebook>__<name>.png
    OUT_DIR/results/<notebook>.json      the numbers the notebook reports

``vae-keras run`` merges the per-notebook results into ``OUT_DIR/results.json``.

Notebooks use the names below as ``studies.X``; each lives in one submodule:

* ``start``: the first call of a notebook (``begin``: seed, output, banner) and
  the base model notebooks 02-04 vary (``fitted_mlp_config``).
* ``compare``: which variants completed, how they rank on a metric, the best
  of a kind, and their curves by epoch.
* ``timing``: seconds per timed epoch and images per second (notebook 04).
* ``page``: the notebook page: ``setup``, ``Output`` (figures, results,
  verdicts), ``Table``, ``fmt`` and the banner's words.
* ``variants``: training and evaluating a set of variants over seeds
  (``train_variants``, ``Variant``), and per-seed values in words.
* ``samples``: samples and reconstructions of each variant, and measures of
  image quality (classifier, nearest training image, sharpness).
* ``latent``: decodes of a latent space: interpolations, diverse decodes,
  2-D manifolds.
* ``from_scratch``: the NumPy VAE's checks and training beside Keras, in words
  (notebook 08).
* ``grid``: a crossed design of variants looked up by its settings (``Grid``).
* ``latent_sizes``: the grid of latent sizes, decoders and encoders read line
  by line, in words (notebook 07).
* ``variance``: a decoder's predicted or fixed variance (notebook 02).
* ``recipe``: the SVHN write-up's recipe in words: training, samples,
  reconstructions, and the model the page shows (notebook 05).
* ``reproduction``: Kingma & Welling's budget and train/test table (notebook 06).
* ``exploration``: the dataset before any model: splits, PCA, whitening
  (notebook 01).
* ``benchmark``: Burda et al.'s VAE on binarised MNIST, their protocol beside
  ours and our number beside theirs (notebook 09).
* ``collapse``: a VAE against the factorised Gaussian that needs no latent code
  (notebooks 03 and 05).
* ``words``: the run's data in words: "digits" or "images", label problems and
  balance, model names by their layer sizes, and whether a published number is
  about this data.
"""

from vae_keras.studies.benchmark import (
    benchmark_text,
    burda_config,
    iwae_text,
    last_tenth_gain,
    protocol_rows,
    result_row,
    training_curve,
)
from vae_keras.studies.collapse import (
    code_gain,
    collapse_finding,
    collapse_rows,
    collapsed,
    collapsed_text,
    gaussian_baseline,
    learned_problem,
    unit_normal_text,
)
from vae_keras.studies.compare import (
    best_named,
    completed,
    epoch_curves,
    not_learned_note,
    paired_evidence,
    ranked,
    ranking_text,
    run_outcome,
    training_curves,
)
from vae_keras.studies.exploration import (
    examples_per_class,
    find_distractor_crops,
    label_shares,
    load_splits,
    pca_reconstructions,
    split_table,
    total_variance,
    training_components,
    usable_components,
    whitening_noise,
)
from vae_keras.studies.from_scratch import (
    blur_evidence,
    gradient_check_text,
    gradient_line,
    gradient_rows,
    keras_check_text,
    keras_differences,
    keras_gradient_rows,
    keras_line,
    over_tolerance,
    reconstruction_pair,
    training_lines,
)
from vae_keras.studies.grid import Grid
from vae_keras.studies.latent import (
    decode_as_every_label,
    decode_manifold,
    diverse_decodes,
    interpolate,
    latent_grid,
    prepend_column,
)
from vae_keras.studies.latent_sizes import (
    best_by_line,
    by_latent_size,
    collapsed_seeds,
    collapsed_seeds_text,
    decoder_pairs,
    encoder_pair_text,
    family_evidence,
    family_mse_text,
    log_px_ranking_text,
    unfinished_text,
)
from vae_keras.studies.page import (
    SMALL_PROFILES,
    Output,
    Table,
    budget_text,
    claim_statement,
    column_header,
    dataset_label,
    family_of,
    fmt,
    progress,
    seed_everything,
    setup,
)
from vae_keras.studies.recipe import (
    conditional_text,
    fallback_variants,
    label_effect_text,
    reconstruction_text,
    sample_spread,
    sample_spread_text,
    showcase,
    showcase_problem,
    showcase_text,
    validation_text,
)
from vae_keras.studies.reproduction import (
    KINGMA_WELLING_COLUMNS,
    continuous_entropy_floor,
    epochs_for_examples,
    explain_gaps,
    iwae_verdict,
    kingma_welling_evidence,
    kingma_welling_reference,
    manifold_distance_text,
    manifold_distances,
    negative_elbo_by_split,
    reproduction_summary,
    reproduction_table,
    with_run_settings,
    within_tolerance,
)
from vae_keras.studies.samples import (
    digit_classifier,
    generated_classes,
    manifold_classes,
    nearest_distances,
    prior_sample_digits,
    reconstructions_by_variant,
    samples_by_variant,
    sharpness,
)
from vae_keras.studies.start import begin, fitted_mlp_config
from vae_keras.studies.timing import images_per_second, timed_epochs
from vae_keras.studies.variance import (
    edge_correlation,
    effective_beta,
    factorised_bits_per_dim,
    floor_run_text,
    predicted_std,
    predicted_std_text,
    uniform_note,
    validation_turn,
)
from vae_keras.studies.variants import (
    SEED_METRICS,
    BatchLossRecorder,
    Variant,
    base_config,
    claims_gap,
    count_spikes,
    evaluate_variant,
    mean_image_mse,
    mean_sd,
    seeds_for,
    train_variants,
)
from vae_keras.studies.words import (
    DIGIT_FAMILIES,
    data_title,
    image_noun,
    is_family,
    label_balance_text,
    label_problem,
    layer_sizes,
)
from vae_keras.writeup.vocabulary import counted

__all__ = [
    "begin",
    "fitted_mlp_config",
    "best_named",
    "completed",
    "epoch_curves",
    "ranked",
    "ranking_text",
    "not_learned_note",
    "training_curves",
    "run_outcome",
    "images_per_second",
    "timed_epochs",
    "conditional_text",
    "reconstruction_text",
    "sample_spread_text",
    "showcase",
    "showcase_text",
    "showcase_problem",
    "sample_spread",
    "fallback_variants",
    "label_effect_text",
    "validation_text",
    "KINGMA_WELLING_COLUMNS",
    "kingma_welling_evidence",
    "kingma_welling_reference",
    "manifold_distance_text",
    "manifold_distances",
    "with_run_settings",
    "within_tolerance",
    "paired_evidence",
    "Grid",
    "best_by_line",
    "by_latent_size",
    "collapsed_seeds",
    "collapsed_seeds_text",
    "decoder_pairs",
    "encoder_pair_text",
    "family_evidence",
    "family_mse_text",
    "log_px_ranking_text",
    "unfinished_text",
    "generated_classes",
    "blur_evidence",
    "gradient_check_text",
    "gradient_line",
    "gradient_rows",
    "keras_check_text",
    "keras_differences",
    "keras_gradient_rows",
    "keras_line",
    "over_tolerance",
    "reconstruction_pair",
    "training_lines",
    "benchmark_text",
    "burda_config",
    "iwae_text",
    "last_tenth_gain",
    "protocol_rows",
    "result_row",
    "training_curve",
    "floor_run_text",
    "predicted_std_text",
    "uniform_note",
    "code_gain",
    "collapsed",
    "collapsed_text",
    "unit_normal_text",
    "collapse_finding",
    "collapse_rows",
    "gaussian_baseline",
    "learned_problem",
    "factorised_bits_per_dim",
    "mean_image_mse",
    "setup",
    "seed_everything",
    "Output",
    "SMALL_PROFILES",
    "dataset_label",
    "family_of",
    "budget_text",
    "claim_statement",
    "counted",
    "progress",
    "fmt",
    "Table",
    "column_header",
    "Variant",
    "base_config",
    "evaluate_variant",
    "BatchLossRecorder",
    "count_spikes",
    "SEED_METRICS",
    "train_variants",
    "seeds_for",
    "mean_sd",
    "claims_gap",
    "samples_by_variant",
    "reconstructions_by_variant",
    "digit_classifier",
    "manifold_classes",
    "prior_sample_digits",
    "nearest_distances",
    "sharpness",
    "interpolate",
    "diverse_decodes",
    "decode_as_every_label",
    "prepend_column",
    "latent_grid",
    "decode_manifold",
    "predicted_std",
    "edge_correlation",
    "effective_beta",
    "validation_turn",
    "continuous_entropy_floor",
    "epochs_for_examples",
    "explain_gaps",
    "iwae_verdict",
    "negative_elbo_by_split",
    "reproduction_summary",
    "reproduction_table",
    "load_splits",
    "split_table",
    "examples_per_class",
    "label_shares",
    "usable_components",
    "training_components",
    "total_variance",
    "pca_reconstructions",
    "whitening_noise",
    "find_distractor_crops",
    "DIGIT_FAMILIES",
    "data_title",
    "image_noun",
    "is_family",
    "label_balance_text",
    "label_problem",
    "layer_sizes",
]
