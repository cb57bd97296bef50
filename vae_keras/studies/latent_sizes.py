"""How big should z be (notebook 07)? A grid of latent sizes, decoders and encoders, read line by line.

Each function reads a ``Grid`` whose axes are ``latent_size``, ``decoder`` and ``encoder``: the lines along the
latent size (one per decoder and encoder), ranked by test log p(x); the models whose KL fell below the ledger's
floor; the evidence of the claims about reconstructions and decoders; and what each finding means, in words.
"""

from vae_keras import plots
from vae_keras.studies.variants import claims_gap, mean_sd
from vae_keras.writeup.claims import KL_FLOOR
from vae_keras.writeup.vocabulary import counted


def unfinished_text(trained, completed, num_epochs, num_seeds):
    """Which models did not finish (every seed diverged), or that all did, in words."""
    failed = [name for name in trained if name not in completed]
    if not failed:
        seeds = f"every seed ({num_seeds})." if num_seeds > 1 else "their one seed."
        return f"All {len(trained)} models finished their {counted(num_epochs, 'epoch')} with {seeds}"
    ends = [
        f"**{n}** ({trained[n].row['status']} after {counted(int(trained[n].row['epochs']), 'epoch')})" for n in failed
    ]
    return (
        f"{len(failed)} of {len(trained)} models did not finish (every seed diverged) and are left out below: "
        + "; ".join(ends)
        + "."
    )


def log_px_ranking_text(grid):
    """Test log p(x) of every finished model, best first within each decoder and encoder, with the gap between
    the best and the second latent size set against the seed-to-seed spread."""
    lines = []
    for label, fixed in grid.lines("latent_size"):
        runs = sorted((run for _, run in grid.along("latent_size", **fixed) if run), key=_log_px, reverse=True)
        if not runs:
            lines.append(f"* **{label}**: no model finished.")
            continue
        line = f"* **{label}**: " + "; ".join(
            f"z={run.config.latent_dim} {mean_sd(run.values('test_log_px'), '.2f')}" for run in runs
        )
        if len(runs) > 1:
            best, second = (f"z={run.config.latent_dim}" for run in runs[:2])
            gap = claims_gap(runs[0].values("test_log_px"), runs[1].values("test_log_px"), best, second, False)
            line += f" (best {best} against {second}: {gap})"
        lines.append(line + ".")
    lead = "Test log p(x) in nats, best first, within each decoder and encoder (mean ± sd over seeds):"
    return lead + "\n\n" + "\n".join(lines)


def _log_px(run):
    return run.row["test_log_px"]


def collapsed_seeds(variants):
    """``{name: [(seed, test KL)]}`` of the seeds whose test KL is below the ledger's floor (z carries almost
    nothing), for the variants that have such a seed."""
    found = {
        name: [
            (row["seed"], row["test_kl"])
            for row in variant.seed_rows
            if row.get("status") == "completed" and row["test_kl"] < KL_FLOOR
        ]
        for name, variant in variants.items()
    }
    return {name: low for name, low in found.items() if low}


def collapsed_seeds_text(collapsed, completed, num_seeds):
    """The ``collapsed_seeds`` in words, or the lowest KL when no model collapsed; ``""`` with no model."""
    if collapsed:
        models = "; ".join(
            f"**{name}** "
            + ", ".join(f"{kl:.2f} nats" + (f" (seed {seed})" if num_seeds > 1 else "") for seed, kl in low)
            for name, low in collapsed.items()
        )
        return (
            f"**Test KL below {KL_FLOOR:g} nat** (z carries almost nothing: posterior collapse, or too little "
            f"training to use z) in {len(collapsed)} of {len(completed)} finished models: {models}. Their "
            "reconstructions and log-likelihoods come from the decoder alone."
        )
    if not completed:
        return ""
    lowest = min(completed, key=lambda name: completed[name].row["test_kl"])
    return (
        f"No model collapsed: every finished model has a test KL of at least {KL_FLOOR:g} nat (the lowest is "
        f"{completed[lowest].row['test_kl']:.2f} nats, {lowest})."
    )


def family_evidence(grid):
    """``{line label: {"latent_sizes", "pixel_mse", "kl", "mean_image_mse"}}`` of each decoder and encoder's
    finished models, the evidence of the claims that more latent dimensions reconstruct better."""
    evidence = {}
    for label, fixed in grid.lines("latent_size"):
        members = [run for _, run in grid.along("latent_size", **fixed) if run]
        if members:
            evidence[label] = {
                "latent_sizes": [run.config.latent_dim for run in members],
                "pixel_mse": [run.row["pixel_mse"] for run in members],
                "kl": [run.row["test_kl"] for run in members],
                "mean_image_mse": members[0].row["mean_image_mse"],
            }
    return evidence


def family_mse_text(evidence):
    """``family_evidence`` in words: each line's pixel MSE by latent size."""
    if not evidence:
        return "No model finished, so there is no reconstruction error to compare."
    families = "; ".join(
        f"**{label}** " + ", ".join(f"z={z} {mse:.4f}" for z, mse in zip(e["latent_sizes"], e["pixel_mse"]))
        for label, e in evidence.items()
    )
    return f"Pixel MSE by latent size (mean over seeds): {families}."


def decoder_pairs(grid, encoder="conv"):
    """The Bernoulli and the Gaussian model of ``encoder`` at every latent size where both finished.

    Returns:
        ``(evidence, text)``: the evidence of the ``gaussian_like_bernoulli`` claim, and the pairs in words.
    """
    sizes, pairs = [], []
    for size in grid.axes["latent_size"]:
        bernoulli = grid.run(latent_size=size, decoder="bernoulli", encoder=encoder)
        gaussian = grid.run(latent_size=size, decoder="gaussian", encoder=encoder)
        if bernoulli and gaussian:
            sizes.append(size)
            pairs.append((bernoulli.row, gaussian.row))
    evidence = {
        "latent_sizes": sizes,
        "bernoulli_mse": [b["pixel_mse"] for b, _ in pairs],
        "gaussian_mse": [g["pixel_mse"] for _, g in pairs],
        "bernoulli_kl": [b["test_kl"] for b, _ in pairs],
        "gaussian_kl": [g["test_kl"] for _, g in pairs],
        "mean_image_mse": pairs[0][0]["mean_image_mse"] if pairs else None,
    }
    name = "convolutional" if encoder == "conv" else encoder.upper()
    if not pairs:
        return evidence, f"No latent size has both a finished Bernoulli and a finished Gaussian {name} model."
    text = "; ".join(
        f"z={z} {b['pixel_mse']:.4f} vs {g['pixel_mse']:.4f} (KL {b['test_kl']:.1f} vs {g['test_kl']:.1f} nats)"
        for z, (b, g) in zip(sizes, pairs)
    )
    return evidence, f"Pixel MSE, Bernoulli against Gaussian ({name} encoder): {text}."


def encoder_pair_text(conv, mlp, latent_dim):
    """The convolutional and the MLP model at one latent size, both Bernoulli: test log p(x) and KL."""
    return (
        f"At z={latent_dim} with the Bernoulli decoder: test log p(x) "
        f"{mean_sd(conv.values('test_log_px'), '.2f')} (convolutional) against "
        f"{mean_sd(mlp.values('test_log_px'), '.2f')} nats (MLP); KL "
        f"{mean_sd(conv.values('test_kl'), '.2f')} against {mean_sd(mlp.values('test_kl'), '.2f')} nats."
    )


def best_by_line(grid, metric="test_log_px"):
    """``{line label: name of its best finished model by metric}`` (higher is better), lines with none left
    out."""
    best = {}
    for label, fixed in grid.lines("latent_size"):
        runs = [run for _, run in grid.along("latent_size", **fixed) if run]
        if runs:
            best[label] = max(runs, key=lambda run: run.row[metric]).name
    return best


def by_latent_size(latent_sizes, series, y_label, title):
    """A figure of ``{label: one value per latent size}`` against the latent sizes, on a logarithmic axis."""
    return plots.curves(latent_sizes, series, "latent size", y_label, log_x=True, markers=True, title=title)
