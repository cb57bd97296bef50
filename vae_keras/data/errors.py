"""The two errors a dataset source raises, shared by every module of `vae_keras.data`."""


class DatasetUnavailableError(FileNotFoundError):
    """No source could provide the dataset; the message says how to add one."""


class DatasetFileError(ValueError):
    """A dataset file exists but is truncated, corrupt or not the expected file."""
