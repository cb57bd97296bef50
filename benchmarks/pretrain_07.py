"""Trains notebook 07's models ahead, one process per latent size at once, into the run folder that
`vae-keras run --only 07` will use; the runner's own pass then finds them trained and evaluated.

Each worker executes notebook 07 with one latent size (``latent_sizes=[z]``) and otherwise exactly the
parameters the runner passes it (``runner.parameters_for``), so its run folders hold the configs the full
notebook asks for (``train.train`` refuses a folder of another config). A worker's later cells may fail
(plots of a one-size grid, or GPU memory shared by several workers): only its trainings are kept.

    python -m benchmarks.pretrain_07 PROFILE DATASET RUN_DIR

Used by ``benchmarks/gpu_notebook07.sh``; on one H200 the five workers took 270 s (2026-12-04).
"""

import subprocess
import sys
from pathlib import Path

NAME = "07_latent_dimensions"


def main(argv):
    if len(argv) not in (3, 4):
        print(__doc__, file=sys.stderr)
        return 2
    profile, dataset, out = argv[:3]
    from vae_keras.writeup import runner

    chosen, _ = runner.parameters_for(profile, NAME, dataset=dataset, out=out)
    logs = Path(chosen["out_dir"]) / "pretrain"
    logs.mkdir(parents=True, exist_ok=True)
    if len(argv) == 3:  # the master: one worker per latent size, all at once
        runner.ensure_kernel()  # once, before the workers look it up
        workers = {}
        for z in chosen["latent_sizes"]:
            with open(logs / f"z{z}.log", "w") as log:
                workers[z] = subprocess.Popen(
                    [sys.executable, "-m", "benchmarks.pretrain_07", profile, dataset, out, str(z)],
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    cwd=runner.PROJECT_ROOT,
                )
        codes = {z: worker.wait() for z, worker in workers.items()}
        print(f"pretrain_07: worker exit codes by latent size: {codes}; logs in {logs}", flush=True)
        return 0
    import papermill

    z = int(argv[3])
    print(f"pretrain_07: z={z} with {chosen}", flush=True)
    try:
        papermill.execute_notebook(
            str(runner.NOTEBOOKS_DIR / f"{NAME}.ipynb"),
            str(logs / f"z{z}.ipynb"),
            parameters={**chosen, "latent_sizes": [z]},
            kernel_name=runner.KERNEL_NAME,
            progress_bar=False,
            log_output=True,
            cwd=str(runner.PROJECT_ROOT),
        )
    except Exception as error:  # noqa: BLE001 - a later cell's failure leaves the trainings in place
        print(f"pretrain_07: z={z}: {type(error).__name__}: {error}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
