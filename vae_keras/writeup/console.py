"""What ``vae-keras run`` prints: a line per notebook, a line per trained model, errors, the report's path.

The notebooks a run skips share one line, before the others start.

A notebook reports each model it trains with ``studies.page.progress`` (``[NN_name] run: 20 epochs, test ELBO
...``, on its stderr); ``Console`` prints that line, under the notebook's own line, without the prefix. Of
the rest of a kernel's output it prints only errors, each line once per notebook. It leaves out what every
kernel prints while it starts: absl's notice and TensorFlow's INFO and WARNING lines (the oneDNN and CPU
feature notices; ``TF_CPP_MIN_LOG_LEVEL=2`` asks for neither), and ipykernel's warning that the local
kernel's sockets are not encrypted. Paths are shown relative to the working directory when inside it.

``Console(verbose=True)`` (``vae-keras run --verbose``) prints each notebook's parameters, and the runner
then lets papermill log every cell's output and the kernels write to the terminal, as before.
"""

import re
import sys
import threading
from pathlib import Path

#: Lines of a kernel's stderr left out unless ``verbose``: every kernel prints them as it starts.
NOISE = (
    re.compile(r"^WARNING: All log messages before absl::InitializeLog\(\) is called are written to STDERR$"),
    re.compile(r"^[IW]\d{4} \d\d:\d\d:\d+\.\d+\s+\d+ \S+:\d+\] "),  # absl's INFO and WARNING lines
    re.compile(r"^To enable the following instructions: .*rebuild TensorFlow with the appropriate compiler flags"),
    re.compile(r"^\[IPKernelApp\] WARNING \| Kernel is running over TCP without encryption\."),
    re.compile(r"^\[IPKernelApp\] ERROR \| KeyboardInterrupt caught in kernel"),  # stopped after a failed cell
)
#: A line of a cell's output that reports an error (the rest of the cells' output is left out).
ERROR = re.compile(r"Traceback \(most recent call last\)|\b\w*(Error|Exception)\b|^[EF]\d{4} \d\d:\d\d:\d+\.\d+ ")


def is_noise(line):
    """Whether a kernel's stderr ``line`` is start-up noise (``NOISE``)."""
    return any(pattern.search(line) for pattern in NOISE)


def skipped_line(skipped):
    """One line for the notebooks a run skips, ``{name: reason}``: those with the same reason together."""
    reasons = {}
    for name, reason in skipped.items():
        reasons.setdefault(reason, []).append(name)
    return "Skipped: " + "; ".join(f"{', '.join(names)} ({reason})" for reason, names in reasons.items())


def shown_path(path):
    """``path`` relative to the working directory when inside it, else as it is."""
    path = Path(path)
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


class Console:
    """The runner's terminal: see the module docstring.

    Args:
        verbose: print each notebook's parameters; the runner also lets everything else through.
        out, err: the streams (default: ``sys.stdout`` and ``sys.stderr``, as they are when writing).
    """

    def __init__(self, verbose=False, out=None, err=None):
        self.verbose = verbose
        self._out, self._err = out, err
        self._lock = threading.Lock()  # kernel lines arrive from a thread
        self._notebook = None
        self._seen = set()

    def say(self, line, error=False):
        """Prints one line (to stderr when ``error``)."""
        stream = (self._err or sys.stderr) if error else (self._out or sys.stdout)
        with self._lock:
            print(line, file=stream, flush=True)

    def notebook(self, step, name, parameters=None):
        """The line of notebook ``name`` as it starts: ``step`` (``[2/7] 02_fixed_vs_fitted_variance``), with its
        ``parameters`` when verbose."""
        self._notebook, self._seen = name, set()
        shown = f" with {parameters}" if self.verbose and parameters is not None else ""
        self.say(f"{step}{shown}")

    def kernel_line(self, line):
        """A line of the kernel's own stderr: printed unless it is ``NOISE``, blank or printed already."""
        line = line.rstrip()
        if self.verbose or (line and not is_noise(line)):
            self._once(line, error=True)

    def cell_line(self, line):
        """A line of the cells' stderr: a trained model (``[NN_name] ...``), shown indented, or an error."""
        line = line.rstrip()
        prefix = f"[{self._notebook}] "
        if line.startswith(prefix):
            self._once("  " + line[len(prefix) :])
        elif ERROR.search(line) and not is_noise(line):
            self._once(line, error=True)

    def _once(self, line, error=False):
        if not self.verbose:
            with self._lock:
                if line in self._seen:
                    return
                self._seen.add(line)
        self.say(line, error=error)

    def cell_stream(self):
        """A file-like object for papermill's ``stderr_file``: whole lines go to ``cell_line``."""
        return LineWriter(self.cell_line)


class LineWriter:
    """A writable text stream that calls ``on_line`` with each complete line; ``close`` passes on the rest."""

    def __init__(self, on_line):
        self.on_line = on_line
        self._pending = ""

    def write(self, text):
        *lines, self._pending = (self._pending + text).split("\n")
        for line in lines:
            self.on_line(line)
        return len(text)

    def flush(self):
        """Nothing: a line is passed on once it is complete."""

    def close(self):
        if self._pending:
            self.on_line(self._pending)
        self._pending = ""
