"""``python -m vae_keras`` is the same as the ``vae-keras`` command."""

from vae_keras import cli

if __name__ == "__main__":
    raise SystemExit(cli.main())
