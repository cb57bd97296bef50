"""The environment a vae-keras process starts with: defined once, set where processes start, never on import."""

import os
import subprocess
import sys
from pathlib import Path

from vae_keras import environment


def _fresh_process(code, **preset):
    """Runs ``code`` in a new interpreter whose environment has none of the defaults but those in ``preset``."""
    env = {name: value for name, value in os.environ.items() if name not in environment.defaults()}
    env.update(preset)
    result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout.strip()


def test_importing_the_package_sets_no_environment_variable():
    code = (
        "import os; before = dict(os.environ); "
        "import vae_keras, vae_keras.cli, vae_keras.writeup.runner, vae_keras.environment, vae_keras.writeup.kernels; "
        "print(sorted(set(os.environ.items()) ^ set(before.items())))"
    )
    assert _fresh_process(code) == "[]"


def test_the_command_line_sets_the_defaults_and_keeps_what_the_user_chose():
    code = (
        "import os; from vae_keras import cli; cli.main(['--version']); "
        "print(os.environ['TF_ENABLE_ONEDNN_OPTS'], os.environ['TF_CPP_MIN_LOG_LEVEL'], os.environ['KERAS_HOME'])"
    )
    onednn, log_level, keras_home = _fresh_process(code).splitlines()[-1].split()
    assert (onednn, log_level, keras_home) == ("1", "2", str(environment.PROJECT_ROOT / ".cache" / "keras"))
    assert _fresh_process(code, TF_ENABLE_ONEDNN_OPTS="0", KERAS_HOME="/elsewhere").splitlines()[-1].split()[::2] == [
        "0",
        "/elsewhere",
    ]


def test_defaults_keep_caches_in_a_checkout_only(tmp_path):
    in_checkout = environment.defaults()
    assert in_checkout["TF_ENABLE_ONEDNN_OPTS"] == "1" and in_checkout["TF_CPP_MIN_LOG_LEVEL"] == "2"
    cache = environment.PROJECT_ROOT / ".cache"
    assert in_checkout["MPLCONFIGDIR"] == str(cache / "matplotlib")
    assert in_checkout["JUPYTER_RUNTIME_DIR"] == str(cache / "jupyter" / "runtime")
    installed = environment.defaults(project_root=tmp_path)  # no pyproject.toml: an installed package
    assert set(installed) == {"TF_ENABLE_ONEDNN_OPTS", "TF_CPP_MIN_LOG_LEVEL", "PYTHONUNBUFFERED"}


def test_apply_fills_only_what_is_missing():
    env = {"TF_CPP_MIN_LOG_LEVEL": "0"}
    assert environment.apply(env) is env
    assert env["TF_CPP_MIN_LOG_LEVEL"] == "0" and env["TF_ENABLE_ONEDNN_OPTS"] == "1"


def test_apply_creates_the_cache_folders_it_sets_and_only_those(tmp_path):
    """IPython warns that a missing IPYTHONDIR 'is not a writable location' and falls back to a temporary
    folder (seen in a new worktree): the folders apply sets must exist; a user's folder is left alone."""
    (tmp_path / "pyproject.toml").write_text("")
    users = tmp_path / "mine" / "matplotlib"
    env = environment.apply({"MPLCONFIGDIR": str(users)}, project_root=tmp_path)
    for name in environment.FOLDERS:
        if name != "MPLCONFIGDIR":
            assert Path(env[name]).is_dir(), name
    assert env["IPYTHONDIR"] == str(tmp_path / ".cache" / "ipython")
    assert not users.exists()
