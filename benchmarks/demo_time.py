"""Wall time of the demo: ``vae-keras run --profile demo`` from an empty run folder.

    python -m benchmarks.demo_time            # the demo profile, as `make demo` runs it
    python -m benchmarks.demo_time --quick    # the smoke profile (for the test of this script)

Writes ``benchmarks/results/demo_time.json``: the total wall time, each notebook's seconds and
status, the load average before and after (a busy machine makes every number slower), how
many claims ended in each verdict, and how many lines the run printed (blank and repeated ones too;
issue 28's target: fewer than 40, none repeated). The target is at most 300 s on a 2-core machine with the
virtual environment already set up.
"""

import argparse
import os
import subprocess
import sys
import tempfile
import time

from benchmarks import common

TARGET_SECONDS = 300


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="time the smoke profile instead (seconds)")
    parser.add_argument("--keep", default="", help="run folder to keep (default: a temporary folder)")
    common.add_output_argument(parser)
    args = parser.parse_args(argv)
    profile = "smoke" if args.quick else "demo"
    common.set_environment_defaults()

    import json

    with tempfile.TemporaryDirectory() as scratch:
        out = args.keep or os.path.join(scratch, "demo")
        command = [sys.executable, "-m", "vae_keras", "run", "--profile", profile, "--out", out]
        if args.quick:
            command += ["--only", "01"]
        load_before = list(os.getloadavg())
        start = time.perf_counter()
        completed = subprocess.run(command, cwd=common.PROJECT_ROOT, capture_output=True, text=True)
        seconds = time.perf_counter() - start
        load_after = list(os.getloadavg())
        if completed.returncode != 0:
            sys.stderr.write(completed.stdout[-4000:] + completed.stderr[-4000:])
            raise SystemExit(f"`{' '.join(command)}` failed with exit status {completed.returncode}")
        printed = (completed.stdout + completed.stderr).splitlines()
        status = json.loads(open(os.path.join(out, "status.json")).read())
        results = json.loads(open(os.path.join(out, "results.json")).read())
    from vae_keras.writeup import claims

    path = common.write_results(
        "demo_time" if not args.quick else "demo_time_quick",
        {
            "profile": profile,
            "wall_seconds": round(seconds, 1),
            "target_seconds": TARGET_SECONDS,
            "meets_target": seconds <= TARGET_SECONDS,
            "load_average_before": load_before,
            "load_average_after": load_after,
            "notebooks": {
                name: {"status": entry["status"], "seconds": entry.get("seconds")} for name, entry in status.items()
            },
            "verdicts": claims.count(results["claims"]),
            "terminal": {
                "lines": len(printed),
                "blank_lines": sum(1 for line in printed if not line.strip()),
                "repeated_lines": sum(1 for line in set(printed) if line.strip() and printed.count(line) > 1),
                "printed": printed,
            },
        },
        args.out,
    )
    print(
        f"{profile} profile: {seconds:.1f} s wall time (target {TARGET_SECONDS} s), {len(printed)} lines printed; "
        f"results in {path}"
    )
    return path


if __name__ == "__main__":
    main()
