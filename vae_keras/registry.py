"""One registry per concept: the names a user may pass, and what each name stands for.

The project has three pluggable concepts, each with one `Registry`:

- likelihoods: `vae_keras.likelihoods.LIKELIHOODS` (name -> `Likelihood` class);
- architectures: `vae_keras.models.ARCHITECTURES` (name -> `Architecture`);
- datasets: `vae_keras.data.DATASET_SOURCES` (name -> `DatasetSource`).

Config validation, the command line's help and the error messages all read the registry, so adding an
entry is one registration beside the code it names (see ARCHITECTURE.md). This module imports nothing
heavy: the registries themselves live beside their entries.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator


class Registry:
    """Names to entries for one concept, with the errors a user should see.

    Args:
        concept: what the entries are, for messages (``"likelihood"``).
        argument: the argument or setting that takes a name (default: ``concept``).
    """

    def __init__(self, concept: str, argument: str | None = None):
        self.concept = concept
        self.argument = argument or concept
        self._entries: dict[str, object] = {}

    def register(self, name: str, entry=None):
        """Adds ``entry`` under ``name``; without ``entry``, returns a decorator that registers its target.

        Raises:
            ValueError: if ``name`` is not a non-empty string or is taken.
        """
        if not isinstance(name, str) or not name:
            raise ValueError(f"A {self.concept} name must be a non-empty string. Received: name={name!r}")
        if entry is None:

            def decorator(target):
                self.register(name, target)
                return target

            return decorator
        if name in self._entries:
            raise ValueError(
                f"A {self.concept} named {name!r} is already registered ({self._entries[name]!r}). Choose another name."
            )
        self._entries[name] = entry
        return entry

    def get(self, name):
        """The entry registered as ``name``.

        Raises:
            ValueError: naming the argument, the value received and the accepted names.
        """
        if not isinstance(name, str) or name not in self._entries:
            raise ValueError(f"Unknown {self.concept}. Received: {self.argument}={name!r}. Accepted: {self.choices()}")
        return self._entries[name]

    def names(self, where: Callable[[object], bool] | None = None) -> tuple[str, ...]:
        """The registered names in registration order, optionally only those whose entry satisfies ``where``."""
        return tuple(name for name, entry in self._entries.items() if where is None or where(entry))

    def choices(self) -> str:
        """The names as a comma-separated list, for help texts and messages."""
        return ", ".join(self._entries)

    def __getitem__(self, name):
        return self._entries[name]

    def __contains__(self, name) -> bool:
        return name in self._entries

    def __iter__(self) -> Iterator[str]:
        return iter(self._entries)

    def __len__(self) -> int:
        return len(self._entries)

    def items(self):
        return self._entries.items()

    def __repr__(self) -> str:
        return f"Registry({self.concept!r}: {self.choices()})"
