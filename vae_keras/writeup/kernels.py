"""How ``vae-keras run`` starts a notebook's Jupyter kernel: registered, with its environment, its stderr piped.

* ``ensure_kernel`` registers this interpreter as the ``vae-keras`` kernel (``make kernel`` calls it too).
* ``kernel_environment(backend)`` is what a notebook's kernel starts with: this process's environment, the
  defaults of ``vae_keras.environment`` where it lacks them, and ``KERAS_BACKEND`` when the profile picks
  one. The runner's own environment is never changed.
* ``kernel_manager(env, stderr)`` is the kernel-manager class papermill is given to start a kernel that way.
* ``StderrPipe`` carries a kernel's own stderr (TensorFlow's C++ log, Jupyter's warnings) line by line to a
  function, as the kernel writes it: the runner's console filters it.
"""

import os
import subprocess
import sys
import threading
from pathlib import Path

from vae_keras import environment

KERNEL_NAME = "vae-keras"
DISPLAY_NAME = "vae-keras (.venv)"


def ensure_kernel(kernel_name=KERNEL_NAME):
    """Registers this interpreter as the ``vae-keras`` kernel if it is missing or stale.

    A kernelspec hard-codes its interpreter's path, which breaks when a checkout
    moves; re-registering keeps papermill on the interpreter of this package.
    """
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

    try:
        spec = KernelSpecManager().get_kernel_spec(kernel_name)
        if spec.argv and Path(spec.argv[0]).exists() and Path(spec.argv[0]).resolve() == Path(sys.executable).resolve():
            return kernel_name
    except NoSuchKernel:
        pass
    install = ["install", "--sys-prefix", "--name", kernel_name, "--display-name", DISPLAY_NAME]
    subprocess.run([sys.executable, "-m", "ipykernel", *install], check=True, capture_output=True)
    return kernel_name


def kernel_environment(backend=None, base=None):
    """The environment a notebook's kernel starts with (see the module docstring).

    Args:
        backend: ``KERAS_BACKEND`` for the kernel; ``None`` keeps the environment's choice.
        base: the environment to start from (default: this process's); it is not changed.
    """
    env = environment.apply(dict(os.environ if base is None else base))
    if backend is not None:
        env["KERAS_BACKEND"] = backend
    return env


def kernel_manager(env, stderr=None):
    """A ``jupyter_client.AsyncKernelManager`` class whose kernels start with ``env`` and, unless ``stderr`` is
    ``None``, write their stderr to the file descriptor ``stderr``.

    papermill passes it on to nbclient (``kernel_manager_class``), which instantiates it itself; the class
    carries the settings, in ``launch_options``.
    """
    from jupyter_client import AsyncKernelManager

    class KernelManager(AsyncKernelManager):
        #: What ``start_kernel`` passes on to ``jupyter_client.launch_kernel``.
        launch_options = {"env": dict(env), **({"stderr": stderr} if stderr is not None else {})}

        async def start_kernel(self, **kw):
            return await super().start_kernel(**{**kw, **self.launch_options})

    return KernelManager


class StderrPipe:
    """A pipe for a kernel's stderr: ``with StderrPipe(on_line) as pipe:`` start the kernel with ``pipe.fd``.

    A thread calls ``on_line(line)`` for each line as it arrives; leaving the block (after the kernel has
    stopped) closes this end and waits for the last lines.
    """

    def __init__(self, on_line):
        self.on_line = on_line
        self.fd = None
        self._thread = None

    def __enter__(self):
        read, self.fd = os.pipe()
        self._thread = threading.Thread(target=self._pump, args=(read,), name="kernel-stderr", daemon=True)
        self._thread.start()
        return self

    def _pump(self, read):
        with open(read, encoding="utf-8", errors="replace") as stream:
            for line in stream:
                self.on_line(line)

    def __exit__(self, *exc):
        os.close(self.fd)
        # A process the kernel started may still hold the pipe: its lines are not waited for.
        self._thread.join(timeout=10)
        return False
