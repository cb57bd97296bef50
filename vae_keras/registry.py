"""One registry per concept: the names a user may pass, and what each name stands for.

The project has three pluggable concepts, each with one `Registry`:

- likelihoods: `vae_keras.likelihoods.LIKELIHOODS` (name -> `Likelihood` class);
- architectures: `vae_keras.models.ARCHITECTURES` (name -> `Architecture`);
- datasets: `vae_keras.data.DATASET_SOURCES` (name -> `DatasetSource`).

Config validation, the command line's help and the error messages all read the registry, so adding an
entry is one registration beside the code it names (see ARCHITECTURE.md). This module imports nothing
heavy: the registries themselves live beside their entries. ``declared_names`` reads the names a module
registers from its source, so that ``vae-keras train --help`` lists them without importing Keras.
"""

from __future__ import annotations

import ast
import importlib.util
from collections.abc import Callable, Iterator
from pathlib import Path


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


def declared_names(module: str, attribute: str) -> tuple[str, ...]:
    """The names ``module`` puts in its ``attribute``, read from its source without running it.

    ``attribute`` is either a ``Registry`` filled by ``attribute.register("name", ...)`` calls (decorators
    too) with literal names, or a tuple or list of literal names (``ACTIVATIONS = ("relu", ...)``).
    Names registered at run time, by other modules or under computed names, are not seen: read the
    registry itself once its module is imported.

    Returns:
        The names in source order, which is the order a registry holds them in.

    Raises:
        ValueError: if ``module`` has no Python source.
    """
    spec = importlib.util.find_spec(module)
    if spec is None or not spec.origin or not spec.origin.endswith(".py"):
        raise ValueError(f"`module` must name a module with Python source. Received: module={module!r}")
    tree = ast.parse(Path(spec.origin).read_text(encoding="utf-8"), spec.origin)
    for node in tree.body:
        targets = node.targets if isinstance(node, ast.Assign) else []
        if any(isinstance(target, ast.Name) and target.id == attribute for target in targets):
            if isinstance(node.value, (ast.Tuple, ast.List)):
                return tuple(ast.literal_eval(node.value))
    calls = [node for node in ast.walk(tree) if _registers_a_literal_name(node, attribute)]
    return tuple(call.args[0].value for call in sorted(calls, key=lambda call: (call.lineno, call.col_offset)))


def _registers_a_literal_name(node, attribute):
    """Whether ``node`` is the call ``attribute.register("name", ...)``."""
    return (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "register"
        and isinstance(node.func.value, ast.Name)
        and node.func.value.id == attribute
        and bool(node.args)
        and isinstance(node.args[0], ast.Constant)
        and isinstance(node.args[0].value, str)
    )
