"""The ``vae-keras`` command (also ``python -m vae_keras``).

Subcommands:

* ``vae-keras train [--config FILE] [--SETTING VALUE ...] [--out RUN_DIR]``
* ``vae-keras evaluate RUN_DIR [--k 5000] [--split test] [--max-examples N]``:
  writes ``RUN_DIR/metrics-<split>-k<K>.json``
* ``vae-keras run --profile NAME|FILE [--dataset NAME] [--only 02,05] [--out DIR]``: ``NAME`` a profile in
  ``params/`` (``vae-keras run --help`` lists them)
* ``vae-keras progress OUT``: how far a run folder has got (reads files only; safe while it runs)
* ``vae-keras publish OUT``: the writeup into ``docs/``, its headline numbers into the README

``train`` and ``evaluate`` are the library's; ``run``, ``progress`` and ``publish`` belong to the writeup wing and
are defined there (``vae_keras.writeup.commands``, imported in ``_writeup`` only: the one door between the wings).

Each setting of ``vae_keras.config.ExperimentConfig`` is a flag
(``--latent-dim 20``); flags override the config file. Errors in the input
print one clear line and exit with status 2; a diverged run exits with 3.

``main`` sets the process's environment defaults (``vae_keras.environment``) before anything imports
TensorFlow, and logs the package's own messages (``vae_keras.*``) at INFO, other libraries' at WARNING.
"""

import argparse
import difflib
import logging
import sys
from pathlib import Path

from vae_keras import config as config_lib
from vae_keras import environment

EXIT_BAD_INPUT = 2
EXIT_DIVERGED = 3


def _setting_flags(parser, list_choices):
    group = parser.add_argument_group("settings (override the config file)")
    for name, (kind, default, help_text) in config_lib.field_help(list_choices).items():
        shown = ",".join(map(str, default)) if isinstance(default, tuple) else default
        group.add_argument(
            f"--{name.replace('_', '-')}",
            dest=name,
            default=None,
            metavar=str(getattr(kind, "__name__", "LIST")).upper(),
            help=f"{help_text} (default: {shown})",
        )


def build_parser(list_choices=True):
    """The command line. ``list_choices=False`` leaves the registries' names out of the settings' help:
    ``main`` lists them only for ``vae-keras train --help`` (read from the registering modules' source,
    without importing Keras: ``config.field_help``)."""
    parser = argparse.ArgumentParser(prog="vae-keras", description="Variational autoencoders in Keras 3.")
    parser.add_argument("--version", action="store_true", help="print the version and exit")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    _add_train(commands, list_choices)
    _add_evaluate(commands)
    _writeup().add_parsers(commands)  # run, publish, progress
    return parser


def _writeup():
    """The writeup wing's subcommands (``run``, ``publish``, ``progress``: ``vae_keras.writeup.commands``).

    The one door from the library into the writeup wing, and the only import of it here: the wing is imported
    when the command line is built, never on ``import vae_keras.cli``.
    """
    from vae_keras.writeup import commands

    return commands


def _backend_flag(parser, auto):
    """Adds ``--keras-backend`` to ``parser``; ``auto`` says what its default, ``auto``, chooses."""
    parser.add_argument(
        "--keras-backend", default="auto", metavar="BACKEND", help=f"auto, tensorflow or jax (default: auto: {auto})"
    )


def _add_train(commands, list_choices):
    train = commands.add_parser("train", help="train a VAE; resumes an unfinished run folder")
    train.add_argument("--config", help="a JSON or YAML file of settings")
    train.add_argument("--out", help="run folder (default: runs/<dataset>-<architecture>-<likelihood>-z<latent_dim>)")
    train.add_argument(
        "--no-resume", action="store_true", help="fail instead of resuming if the run folder holds a run"
    )
    _backend_flag(
        train,
        "KERAS_BACKEND if set, else JAX for dense models and TensorFlow for convolutional ones, the faster on a CPU",
    )
    _setting_flags(train, list_choices)


def _add_evaluate(commands):
    evaluate = commands.add_parser("evaluate", help="ELBO, importance-weighted log p(x) and bits/dim of a run")
    evaluate.add_argument("run_dir", help="a run folder written by `vae-keras train`")
    evaluate.add_argument("--k", type=int, default=5000, help="importance samples per example (default: 5000)")
    evaluate.add_argument("--split", help="split to evaluate (default: the run's test split)")
    evaluate.add_argument("--batch-size", type=int, help="examples per compiled call (default: automatic)")
    evaluate.add_argument(
        "--max-examples",
        type=int,
        default=0,
        help="evaluate a random subset of N examples, drawn with --seed (default: 0, all)",
    )
    evaluate.add_argument(
        "--seed", type=int, default=0, help="seed of the subset, the binarisation or dequantisation, and the draws"
    )
    _backend_flag(evaluate, "the backend the run trained on, recorded in its state.json")


def _settings_from_args(args):
    """The config file's settings with the flags on top, not yet validated (that imports Keras)."""
    values = config_lib.read_settings(args.config) if args.config else {}
    if not isinstance(values, dict):
        config_lib.ExperimentConfig.from_dict(values)  # raises the "must be a mapping" error
    values = dict(values)
    for name in config_lib.field_help(list_choices=False):
        if getattr(args, name) is not None:
            values[name] = getattr(args, name)
    return values


def _train(args):
    from vae_keras import backends

    settings = _settings_from_args(args)
    architecture = settings.get("architecture", config_lib.ExperimentConfig.architecture)
    backend, reason = backends.choose(args.keras_backend, architecture)
    config = config_lib.ExperimentConfig.from_dict(settings)
    print(f"Keras backend: {backend} ({reason})", flush=True)
    from vae_keras import train, validation

    run_dir = Path(args.out) if args.out else config_lib.default_run_dir(config)
    validation.check_out(run_dir, "--out")
    train.train(config, run_dir, resume=not args.no_resume)
    print(f"Run folder: {run_dir}")
    return 0


def _evaluate(args):
    from vae_keras import backends

    if args.k < 1:
        raise ValueError(f"`--k` must be an integer >= 1. Received: --k {args.k}")
    if args.batch_size is not None and args.batch_size < 1:
        raise ValueError(f"`--batch-size` must be an integer >= 1. Received: --batch-size {args.batch_size}")
    if args.max_examples < 0:
        raise ValueError(
            f"`--max-examples` must be an integer >= 0 (0: all). Received: --max-examples {args.max_examples}"
        )
    backend, reason = backends.for_run(args.keras_backend, args.run_dir)
    print(f"Keras backend: {backend} ({reason})", flush=True)
    from vae_keras import evaluate

    metrics = evaluate.evaluate_run(
        args.run_dir,
        num_samples=args.k,
        split=args.split,
        batch_size=args.batch_size,
        max_examples=args.max_examples,
        seed=args.seed,
        verbose=1 if sys.stdout.isatty() else 2,
    )
    bits = metrics["bits_per_dim"]
    n = metrics["num_examples"]
    print(f"Split {metrics['split']!r}, {n} examples, k={metrics['num_samples']}:")
    if metrics["subset"]:
        print(f"  subset: {metrics['subset']} (--max-examples {args.max_examples}, --seed {args.seed})")
    print(f"  inputs: {metrics['input_protocol']}")
    print(f"  ELBO                    {metrics['elbo']:.3f} ± {metrics['elbo_stderr']:.3f} nats")
    print(
        f"  log p(x) (IW, k={metrics['num_samples']:<5}) {metrics['log_px']:.3f} ± {metrics['log_px_stderr']:.3f} nats"
    )
    print(f"  (± standard error over {n} images)")
    print(f"  bits/dim                {'n/a' if bits is None else f'{bits:.4f}'} ({metrics['bits_per_dim_protocol']})")
    name = evaluate.metrics_filename(metrics["split"], metrics["num_samples"], n if metrics["subset"] else None)
    print(f"Wrote {Path(args.run_dir) / name}")
    return 0


def _reject_unknown_arguments(parser, args, unknown):
    """Exits with status 2, naming the unknown arguments and the closest flag of the command."""
    command_parser = parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction) and args.command in action.choices:
            command_parser = action.choices[args.command]
    flags = sorted(command_parser._option_string_actions)
    message = f"unrecognized arguments: {' '.join(unknown)}."
    for token in unknown:
        close = difflib.get_close_matches(token.split("=")[0], flags, n=1) if token.startswith("-") else []
        if close:
            message += f" Did you mean {close[0]} (instead of {token.split('=')[0]})?"
    command = f"vae-keras {args.command}" if args.command else "vae-keras"
    command_parser.error(f"{message} `{command} --help` lists the accepted flags.")


def main(argv=None):
    """Entry point; returns the exit status."""
    environment.apply()
    # Other libraries' INFO lines (JAX's "Unable to initialize backend 'tpu'") are not for this terminal.
    logging.basicConfig(level=logging.WARNING, format="%(name)s: %(message)s")
    logging.getLogger("vae_keras").setLevel(logging.INFO)
    arguments = sys.argv[1:] if argv is None else list(argv)
    parser = build_parser(list_choices="train" in arguments and ("-h" in arguments or "--help" in arguments))
    args, unknown = parser.parse_known_args(argv)
    if unknown:
        _reject_unknown_arguments(parser, args, unknown)
    if args.version:
        from vae_keras import __version__

        print(__version__)
        return 0
    if args.command is None:
        parser.print_help()
        return EXIT_BAD_INPUT
    handlers = {"train": _train, "evaluate": _evaluate, **_writeup().HANDLERS}
    try:
        return handlers[args.command](args)
    except (ValueError, FileNotFoundError) as error:
        print(f"vae-keras {args.command}: error: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except RuntimeError as error:
        from vae_keras import train  # imported late: `vae-keras --help` should not load a backend

        if isinstance(error, train.TrainingDivergedError):
            print(f"vae-keras {args.command}: error: {error}", file=sys.stderr)
            return EXIT_DIVERGED
        raise


if __name__ == "__main__":
    sys.exit(main())
