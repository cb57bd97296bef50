"""The writeup wing's subcommands of ``vae-keras``: ``run``, ``progress`` and ``publish``.

This module is the one door between the two wings. The library's command line (``vae_keras.cli``) imports it, in
one function and only when the command line is built; no other library module imports anything of the writeup
wing (``tests/test_structure.py`` holds both to it). Building the parsers reads the profiles' names
(``catalogue``) and nothing heavier; each command imports what it runs when it runs.

    vae-keras run --profile NAME|FILE [--dataset NAME] [--only 02,05] [--out DIR]
    vae-keras progress OUT
    vae-keras publish OUT [--add] [--only 06,07]
"""

import sys


def add_parsers(commands):
    """Adds the writeup's subcommands to ``commands`` (the command line's ``add_subparsers`` object)."""
    _add_run(commands)
    _add_publish(commands)
    progress = commands.add_parser(
        "progress", help="how far a `vae-keras run` folder has got: epochs per run, time trained, time left"
    )
    progress.add_argument("out", help="the run folder (written by `vae-keras run --out DIR`)")


def _add_run(commands):
    from vae_keras.writeup import catalogue  # the profiles in params/, read without Keras

    run = commands.add_parser("run", help="execute the study notebooks with papermill and build the HTML report")
    profiles = ", ".join(catalogue.list_profiles())
    run.add_argument("--profile", required=True, help=f"{profiles} (params/*.yaml), or a YAML path")
    run.add_argument("--dataset", help="dataset for every notebook (default: the profile's, else svhn)")
    run.add_argument("--only", help="comma-separated notebook numbers or names, e.g. 02,05")
    run.add_argument("--out", help="output folder (default: runs/<profile>)")
    run.add_argument("--keep-going", action="store_true", help="run the other notebooks after a failure")
    run.add_argument("--resume", action="store_true", help="skip notebooks already completed in --out")
    run.add_argument(
        "--verbose",
        action="store_true",
        help="print everything the kernels print (each notebook's parameters, its cells' output, TensorFlow's "
        "start-up log); default: one line per notebook and per trained model",
    )


def _add_publish(commands):
    publish = commands.add_parser(
        "publish", help="copy a finished run's writeup into docs/ and its headline numbers into the README"
    )
    publish.add_argument("run_dir", help="the run folder (written by `vae-keras run --out DIR`)")
    publish.add_argument("--docs", default=None, help="where the writeup goes (default: docs/ of the project)")
    publish.add_argument(
        "--readme", default=None, help="the README whose results block is rendered (default: the project's)"
    )
    publish.add_argument(
        "--add",
        action="store_true",
        help="add the run's completed notebooks to the published writeup, keeping the published pages of the "
        "others (same profile and dataset); without it, docs/ is replaced",
    )
    publish.add_argument(
        "--only",
        default=None,
        help="with --add: take only these notebooks from the run (numbers or names, e.g. 06,07)",
    )


def run(args):
    """``vae-keras run``; returns the exit status (1 when a notebook failed, after the report)."""
    from vae_keras.writeup import runner

    try:
        runner.run(
            args.profile,
            dataset=args.dataset,
            only=args.only,
            out=args.out,
            keep_going=args.keep_going,
            resume=args.resume,
            verbose=args.verbose,
        )
    except runner.NotebookFailedError as error:
        failed = str(error).count(" failed in cell ")
        print(f"vae-keras run: {failed} notebook{'s' if failed != 1 else ''} failed (FAILED above)", file=sys.stderr)
        return 1
    return 0


def progress(args):
    """``vae-keras progress``: reads files only, imports no Keras (safe while the run goes on)."""
    from vae_keras.writeup import progress as progress_lib

    print(progress_lib.format_summary(progress_lib.summarize(args.out)))
    return 0


def publish(args):
    """``vae-keras publish``: the writeup into ``docs/``, its headline numbers into the README."""
    from vae_keras.writeup import publish as publish_lib

    docs, size = publish_lib.publish(
        args.run_dir,
        docs_dir=args.docs or publish_lib.DOCS_DIR,
        readme=args.readme or publish_lib.README,
        add=args.add,
        only=args.only,
    )
    print(f"Published {docs} ({size / 2**20:.1f} MB) and the results block of {args.readme or publish_lib.README}")
    return 0


#: ``{subcommand: handler(args) -> exit status}``; ``vae_keras.cli.main`` dispatches to these.
HANDLERS = {"run": run, "progress": progress, "publish": publish}
