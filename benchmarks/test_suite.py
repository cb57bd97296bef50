"""Where the test suite's time goes: ``make test``'s pytest command, each test's wall and CPU seconds.

    python -m benchmarks.test_suite --label after          # the suite as `make test` runs it
    python -m benchmarks.test_suite --quick --out /tmp/x   # one small test file (for the test of this script)

Runs pytest (by default ``-n 2 --dist loadfile --no-loadscope-reorder``, the Makefile's ``test`` target) in a
child process with this module as a pytest plugin: every test's setup, call and teardown are timed together, in wall
seconds and in CPU seconds of the worker process that ran it, its threads and the processes it started and waited
for (kernels, training subprocesses), so a module fixture's cost lands on the first test that uses it. The load
average is sampled every 5 s while the suite runs: on a busy machine wall seconds grow with the load, CPU seconds
much less. Pass pytest's arguments after ``--`` to time something else (``-- -m slow -n 2 --dist loadfile``).

Writes ``benchmarks/results/test_suite.json`` (``--out DIR``): one entry per ``--label`` (earlier labels and other
keys of the file are kept), each with the machine, the load, the command, the totals (wall; CPU of pytest and all
its children), the pytest summary, the slowest tests by wall and by CPU, each test file's seconds, and when each
worker ran its last test.
"""

import argparse
import json
import os
import re
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from benchmarks import common

#: Where a pytest worker appends its tests' times (set by ``main`` for the child pytest only).
RECORD_VARIABLE = "VAE_KERAS_TEST_TIMES"
TARGET_SECONDS = 360  # issue 29: `make test` at or under 6 minutes on an idle 2-core machine
DEFAULT_ARGS = ("-n", "2", "--dist", "loadfile", "--no-loadscope-reorder")
SUMMARY = re.compile(r"\d+ (passed|failed|errors?)\b")  # pytest's last line, whatever a kernel logged after it
QUICK_ARGS = ("-p", "no:xdist", "tests/test_environment.py")


def _cpu_seconds(who):
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item, nextitem):
    """pytest hook (this module is loaded with ``-p benchmarks.test_suite``): times one test, fixtures included."""
    started, wall = time.time(), time.perf_counter()
    cpu = _cpu_seconds(resource.RUSAGE_SELF) + _cpu_seconds(resource.RUSAGE_CHILDREN)
    try:
        return (yield)
    finally:
        path = os.environ.get(RECORD_VARIABLE)
        if path:
            cpu = _cpu_seconds(resource.RUSAGE_SELF) + _cpu_seconds(resource.RUSAGE_CHILDREN) - cpu
            record = {
                "test": item.nodeid,
                "file": item.nodeid.split("::")[0],
                "wall_seconds": round(time.perf_counter() - wall, 3),
                "cpu_seconds": round(cpu, 3),
                "worker": os.environ.get("PYTEST_XDIST_WORKER", "main"),
                "started": round(started, 3),
            }
            with open(path, "a") as handle:  # one short line per write: the workers' lines do not interleave
                handle.write(json.dumps(record) + "\n")


def load_summary(samples):
    """The mean, least and most of the 1-minute load averages sampled while the suite ran."""
    return {
        "one_minute_mean": round(sum(samples) / len(samples), 2),
        "one_minute_min": min(samples),
        "one_minute_max": max(samples),
        "samples": len(samples),
    }


def summarize(records, top):
    """Totals, the slowest ``top`` tests by wall and by CPU, and each file's seconds, from the plugin's records."""

    def rounded(seconds):
        return round(seconds, 1)

    files = {}
    for record in records:
        entry = files.setdefault(record["file"], {"tests": 0, "wall_seconds": 0.0, "cpu_seconds": 0.0})
        entry["tests"] += 1
        entry["wall_seconds"] += record["wall_seconds"]
        entry["cpu_seconds"] += record["cpu_seconds"]
    by_file = {
        name: {**entry, "wall_seconds": rounded(entry["wall_seconds"]), "cpu_seconds": rounded(entry["cpu_seconds"])}
        for name, entry in sorted(files.items(), key=lambda pair: -pair[1]["cpu_seconds"])
    }
    fields = ("test", "wall_seconds", "cpu_seconds", "worker")
    first = min((r["started"] for r in records), default=0.0)
    workers = {}
    for record in records:  # when each worker ran its first and last test: an early finisher idled at the end
        entry = workers.setdefault(record["worker"], {"tests": 0, "busy_seconds": 0.0, "last_end": 0.0})
        entry["tests"] += 1
        entry["busy_seconds"] += record["wall_seconds"]
        entry["last_end"] = max(entry["last_end"], record["started"] - first + record["wall_seconds"])
    return {
        "workers": {
            name: {**entry, "busy_seconds": rounded(entry["busy_seconds"]), "last_end": rounded(entry["last_end"])}
            for name, entry in sorted(workers.items())
        },
        "tests_timed": len(records),
        "tests_wall_seconds": rounded(sum(r["wall_seconds"] for r in records)),
        "tests_cpu_seconds": rounded(sum(r["cpu_seconds"] for r in records)),
        "slowest_by_wall": [{k: r[k] for k in fields} for r in sorted(records, key=lambda r: -r["wall_seconds"])[:top]],
        "slowest_by_cpu": [{k: r[k] for k in fields} for r in sorted(records, key=lambda r: -r["cpu_seconds"])[:top]],
        "files": by_file,
    }


def run_suite(pytest_args, top=20):
    """Runs pytest with ``pytest_args`` and this plugin; returns the measured entry (without the machine)."""
    command = [sys.executable, "-m", "pytest", "-p", "benchmarks.test_suite", "-q", "-p", "no:cacheprovider"]
    command += list(pytest_args)
    with tempfile.TemporaryDirectory() as scratch:
        record_file = Path(scratch) / "times.jsonl"
        record_file.touch()
        # The child is its own pytest run: no xdist worker identity inherited from a pytest that started it.
        env = {key: value for key, value in os.environ.items() if not key.startswith("PYTEST_XDIST")}
        env = {**env, RECORD_VARIABLE: str(record_file)}
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(common.PROJECT_ROOT), env.get("PYTHONPATH")]))
        cpu_before = _cpu_seconds(resource.RUSAGE_CHILDREN)
        load, start = [os.getloadavg()[0]], time.perf_counter()
        with open(Path(scratch) / "output.txt", "w+") as output:  # a file, not a pipe: nothing blocks pytest
            process = subprocess.Popen(command, cwd=common.PROJECT_ROOT, env=env, stdout=output, stderr=output)
            while process.poll() is None:
                try:
                    process.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    load.append(os.getloadavg()[0])
            wall = time.perf_counter() - start
            output.seek(0)
            printed = output.read()
        load.append(os.getloadavg()[0])
        cpu = _cpu_seconds(resource.RUSAGE_CHILDREN) - cpu_before
        records = [json.loads(line) for line in record_file.read_text().splitlines() if line.strip()]
    lines = printed.strip().splitlines()
    return {
        "pytest_command": "python -m pytest " + " ".join(pytest_args),
        "returncode": process.returncode,
        "summary": next((line for line in reversed(lines) if SUMMARY.search(line)), lines[-1] if lines else ""),
        "failures": [line for line in lines if line.startswith(("FAILED ", "ERROR "))],
        "wall_seconds": round(wall, 1),
        "cpu_seconds": round(cpu, 1),
        "target_seconds": TARGET_SECONDS,
        "load": load_summary(load),
        **summarize(records, top),
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--label", default="latest", help="name of this measurement in the results (default: latest)")
    parser.add_argument("--quick", action="store_true", help="time one small test file instead (seconds)")
    parser.add_argument("--top", type=common.positive_int, default=20, help="how many slowest tests to list")
    parser.add_argument("pytest_args", nargs="*", help=f"pytest's arguments (default: {' '.join(DEFAULT_ARGS)})")
    common.add_output_argument(parser)
    args = parser.parse_args(argv)
    pytest_args = args.pytest_args or (QUICK_ARGS if args.quick else DEFAULT_ARGS)
    common.set_environment_defaults()
    entry = run_suite(pytest_args, args.top)
    entry = {"machine": common.machine_info(), **entry}
    path = Path(args.out) / ("test_suite.json" if not args.quick else "test_suite_quick.json")
    previous = json.loads(path.read_text()) if path.is_file() else {}
    runs = {**previous.get("runs", {}), args.label: entry}
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({**previous, "benchmark": "test_suite", "runs": runs}, indent=2) + "\n")
    print(
        f"{entry['summary']}\n{entry['wall_seconds']} s wall, {entry['cpu_seconds']} s CPU "
        f"(target {TARGET_SECONDS} s idle), load {entry['load']['one_minute_mean']}; results in {path}"
    )
    return path


if __name__ == "__main__":
    main()
