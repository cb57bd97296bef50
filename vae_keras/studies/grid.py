"""A crossed design of variants (every latent size with every decoder and encoder), looked up by its settings.

A ``Grid`` names each cell's variant from its settings (``"z={latent_size} {decoder} {encoder}"``), so the run
folders keep those names, and a notebook asks for a cell by its settings instead of formatting a name:
``grid.run(latent_size=2, decoder="bernoulli", encoder="mlp")``.
"""

import itertools

import numpy as np


class Grid:
    """Every combination of the values of some axes, one variant each.

    Args:
        axes: ``{axis: {value: changes}}`` in order; a cell's variant applies the changes of its value on
            every axis, in that order.
        name: a ``str.format`` pattern naming a cell's variant from its values, by axis name.

    Example::

        axes = {"latent_size": {2: {"latent_dim": 2}}, "decoder": {"bernoulli": {"likelihood": "bernoulli"}}}
        grid = Grid(axes, "z={latent_size} {decoder}")
        trained, table = studies.train_variants(base, grid.variants(), output)
        grid.attach(trained)
        grid.run(latent_size=2, decoder="bernoulli")  # the Variant, or None when it did not complete
    """

    def __init__(self, axes, name):
        self.axes = {axis: dict(values) for axis, values in axes.items()}
        self.name = name
        self.trained = {}

    def cells(self):
        """``[{axis: value}]`` of every cell, the last axis varying fastest."""
        return [dict(zip(self.axes, values)) for values in itertools.product(*self.axes.values())]

    def name_of(self, **cell):
        return self.name.format(**cell)

    def variants(self):
        """``{name: changes}`` of every cell, for ``train_variants``."""
        variants = {}
        for cell in self.cells():
            changes = {}
            for axis, value in cell.items():
                changes.update(self.axes[axis][value])
            variants[self.name_of(**cell)] = changes
        return variants

    def attach(self, trained):
        """Keeps ``trained`` (``{name: Variant}`` from ``train_variants``) for the look-ups below."""
        self.trained = dict(trained)
        return self

    def run(self, **cell):
        """The completed ``Variant`` of one cell (every axis given), ``None`` when it did not complete."""
        if set(cell) != set(self.axes):
            raise ValueError(f"A cell names every axis ({', '.join(self.axes)}). Received: {cell}")
        variant = self.trained.get(self.name_of(**cell))
        return variant if variant is not None and variant.vae is not None else None

    def along(self, axis, **fixed):
        """``[(value, Variant or None)]`` along ``axis``, the other axes fixed."""
        return [(value, self.run(**{**fixed, axis: value})) for value in self.axes[axis]]

    def series(self, metric, axis, **fixed):
        """``metric`` of each cell along ``axis`` (NaN where a cell did not complete), for a curve."""
        return [np.nan if run is None else run.row[metric] for _, run in self.along(axis, **fixed)]

    def lines(self, axis):
        """``[(label, fixed)]`` of every combination of the other axes, e.g. ``("bernoulli mlp", {"decoder":
        "bernoulli", "encoder": "mlp"})``: one line each along ``axis``."""
        others = [other for other in self.axes if other != axis]
        combinations = itertools.product(*(self.axes[other] for other in others))
        return [(" ".join(map(str, values)), dict(zip(others, values))) for values in combinations]

    def select(self, label, **fixed):
        """``{label formatted by the cell: Variant}`` of the completed cells that match ``fixed``, in grid order."""
        chosen = {}
        for cell in self.cells():
            run = self.run(**cell)
            if run is not None and all(cell[axis] == value for axis, value in fixed.items()):
                chosen[label.format(**cell)] = run
        return chosen
