"""How fast ``vae-keras`` answers when it has no work to do: ``train --help``, ``run --help``, ``--version``.

    python -m benchmarks.cli_startup            # 10 rounds
    python -m benchmarks.cli_startup --quick    # 1 round (for the test of this script)

Each command runs in a fresh process (the ``vae-keras`` script of this interpreter), the commands interleaved
and their order rotated each round. Writes ``benchmarks/results/cli_startup.json``: every wall time, their
median, what each command printed on stderr (TensorFlow's log lines would show there), and which of Keras,
TensorFlow and JAX building its output imported (measured once, in a separate process). The target of issue 28 is
under 1 s for ``train --help`` with no TensorFlow line; it took 8 s and printed 4 when the help imported Keras.
"""

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

from benchmarks import common

COMMANDS = {"train_help": ["train", "--help"], "run_help": ["run", "--help"], "version": ["--version"]}
TARGET_SECONDS = 1.0
#: Runs ``cli.main`` on the arguments, then prints the heavy modules it imported.
IMPORTS = (
    "import sys\nfrom vae_keras import cli\ntry:\n    cli.main(sys.argv[1:])\nexcept SystemExit:\n    pass\n"
    "print('IMPORTED', *[m for m in ('keras', 'tensorflow', 'jax') if m in sys.modules])"
)


def _command():
    script = Path(sys.executable).with_name("vae-keras")
    return [str(script)] if script.is_file() else [sys.executable, "-m", "vae_keras"]


def measure(rounds):
    """``{name: {"seconds": [...], "median_seconds", "stdout_lines", "stderr_lines", "imported": [...]}}``."""
    results = {name: {"seconds": []} for name in COMMANDS}
    names = list(COMMANDS)
    for round_index in range(rounds):
        for name in names[round_index % len(names) :] + names[: round_index % len(names)]:
            start = time.perf_counter()
            done = subprocess.run([*_command(), *COMMANDS[name]], capture_output=True, text=True, timeout=300)
            results[name]["seconds"].append(time.perf_counter() - start)
            results[name]["stdout_lines"] = len(done.stdout.splitlines())
            results[name]["stderr_lines"] = len(done.stderr.splitlines())
            results[name]["stderr"] = done.stderr[-2000:]
    for name, arguments in COMMANDS.items():
        done = subprocess.run([sys.executable, "-c", IMPORTS, *arguments], capture_output=True, text=True, timeout=300)
        results[name]["imported"] = done.stdout.split("IMPORTED")[-1].split()
        results[name]["median_seconds"] = statistics.median(results[name]["seconds"])
    return results


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one round (seconds)")
    parser.add_argument("--rounds", type=common.positive_int, default=10, help="rounds of the three commands")
    common.add_output_argument(parser)
    args = parser.parse_args(argv)
    commands = measure(1 if args.quick else args.rounds)
    train_help = commands["train_help"]
    path = common.write_results(
        "cli_startup_quick" if args.quick else "cli_startup",
        {
            "commands": commands,
            "target_seconds": TARGET_SECONDS,
            "meets_target": train_help["median_seconds"] < TARGET_SECONDS
            and train_help["stderr_lines"] == 0
            and not train_help["imported"],
        },
        args.out,
    )
    for name, result in commands.items():
        imported = ", ".join(result["imported"]) or "no Keras, TensorFlow or JAX"
        print(
            f"vae-keras {' '.join(COMMANDS[name]):14} median {result['median_seconds']:.2f} s over "
            f"{len(result['seconds'])}, {result['stderr_lines']} stderr lines, imported {imported}"
        )
    return path


if __name__ == "__main__":
    main()
