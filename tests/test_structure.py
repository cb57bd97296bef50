"""The package's structure, measured: import cycles, module and function sizes, and the two wings.

Imports are read from the source (``ast``), at module level and inside functions alike, so a cycle
hidden behind a function-level import counts as a cycle.
"""

import ast
import subprocess
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "vae_keras"
MAX_MODULE_LINES = 600
MAX_FUNCTION_LINES = 80
#: The writeup wing: what turns runs into pages. The library never imports it.
WRITEUP = ("vae_keras.writeup", "vae_keras.studies")
#: The one door between the wings: the library's command line hands ``run``, ``publish`` and ``progress`` to the
#: writeup's ``commands`` module, imported in one function. No other arrow runs from the library into the writeup.
DOOR = ("vae_keras.cli", "vae_keras.writeup.commands")


def _modules():
    """``{dotted name: path}`` of every module of the package."""
    modules = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        modules[name] = path
    return modules


def _package(name, path):
    return name if path.name == "__init__.py" else name.rsplit(".", 1)[0]


def _named(node, package):
    """The dotted names one import statement in ``package`` names (``from x import y``: x and x.y)."""
    if isinstance(node, ast.Import):
        return {alias.name for alias in node.names}
    base = node.module or ""
    if node.level:
        parts = package.split(".")
        base = ".".join(parts[: len(parts) - node.level + 1] + ([base] if base else []))
    return {base} | {f"{base}.{alias.name}" for alias in node.names}


def _imports(name, path, known):
    """The package modules ``name`` imports, anywhere in its source (``from x import y`` counts y when it is a
    module)."""
    package = _package(name, path)
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            found |= _named(node, package)
    return {module for module in found if module in known and module != name}


def _graph():
    modules = _modules()
    return {name: _imports(name, path, modules) for name, path in modules.items()}


def _cycles(graph):
    """Strongly connected components with more than one module (Tarjan), each sorted."""
    index, low, stack, on_stack, result, counter = {}, {}, [], set(), [], [0]

    def visit(node):
        index[node] = low[node] = counter[0]
        counter[0] += 1
        stack.append(node)
        on_stack.add(node)
        for target in graph[node]:
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                result.append(sorted(component))

    for node in graph:
        if node not in index:
            visit(node)
    return result


def _is_package_of(parent, child):
    return child.startswith(parent + ".")


def test_the_cycle_finder_finds_a_cycle_through_a_function_level_import(tmp_path):
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert _cycles(graph) == [["a", "b", "c"]]
    source = tmp_path / "m.py"
    source.write_text("def f():\n    from vae_keras.writeup import report\n")
    known = {"vae_keras.writeup.report", "vae_keras.writeup"}
    assert _imports("vae_keras.m", source, known) == known


def test_no_import_cycles():
    graph = _graph()
    # A package's __init__ importing its own submodules (and they importing a sibling through it) is not a
    # cycle between concerns; every other strongly connected set of modules is.
    for name in graph:
        graph[name] = {t for t in graph[name] if not (_is_package_of(name, t) or _is_package_of(t, name))}
    assert _cycles(graph) == []


def _in_writeup(name):
    return any(name == wing or name.startswith(wing + ".") for wing in WRITEUP)


def _crossings(graph):
    """``{library module: [writeup modules it imports]}``; the door's target counts without its parent packages."""
    crossing = {}
    for name, targets in graph.items():
        if _in_writeup(name):
            continue
        found = {t for t in targets if _in_writeup(t)}
        if name == DOOR[0] and DOOR[1] in found:  # importing a module imports its packages: one arrow
            found -= {t for t in found if _is_package_of(t, DOOR[1])}
        if found:
            crossing[name] = sorted(found)
    return crossing


def test_the_library_imports_the_writeup_wing_only_through_its_door():
    assert _crossings(_graph()) == {DOOR[0]: [DOOR[1]]}, "the library imports the writeup wing beside its door"


def test_the_crossing_check_catches_a_second_arrow():
    graph = {
        "vae_keras.cli": {"vae_keras.writeup", "vae_keras.writeup.commands"},
        "vae_keras.evaluate": {"vae_keras.writeup.results"},
        "vae_keras.writeup.runner": {"vae_keras.train"},
    }
    assert _crossings(graph) == {"vae_keras.cli": [DOOR[1]], "vae_keras.evaluate": ["vae_keras.writeup.results"]}


def test_the_door_is_one_import_inside_one_function():
    name, path = DOOR[0], _modules()[DOOR[0]]
    tree = ast.parse(path.read_text())
    doors = [
        node
        for node in ast.walk(tree)
        if isinstance(node, (ast.Import, ast.ImportFrom)) and any(map(_in_writeup, _named(node, _package(name, path))))
    ]
    assert len(doors) == 1, f"{name} imports the writeup wing in {len(doors)} places"
    assert doors[0] not in tree.body, f"{name} imports the writeup wing at module level"


def test_importing_the_command_line_loads_no_writeup_module():
    code = f"import sys, vae_keras.cli; print(sorted(m for m in sys.modules if m.startswith({WRITEUP!r})))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split()[-1] == "[]"


def _sizes():
    sizes = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        relative = path.relative_to(PACKAGE.parent).as_posix()
        text = path.read_text()
        sizes[relative] = len(text.splitlines())
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                sizes[f"{relative}:{node.name}"] = node.end_lineno - node.lineno + 1
    return sizes


def _limit(key):
    return MAX_FUNCTION_LINES if ":" in key else MAX_MODULE_LINES


def test_no_module_over_600_lines_and_no_function_over_80():
    over = {key: size for key, size in _sizes().items() if size > _limit(key)}
    assert over == {}, "modules or functions over the limits"


def test_the_size_check_measures_functions_and_modules(tmp_path, monkeypatch):
    body = "".join(f"    x = {i}\n" for i in range(MAX_FUNCTION_LINES))  # with its def line: one over
    (tmp_path / "vae_keras").mkdir()
    (tmp_path / "vae_keras" / "m.py").write_text(f"def long():\n{body}\n\ndef short():\n    pass\n")
    monkeypatch.setattr(sys.modules[__name__], "PACKAGE", tmp_path / "vae_keras")
    sizes = _sizes()
    assert sizes["vae_keras/m.py:long"] == MAX_FUNCTION_LINES + 1 and sizes["vae_keras/m.py:short"] == 2
    assert [key for key, size in sizes.items() if size > _limit(key)] == ["vae_keras/m.py:long"]


#: Notebooks hold narrative and calls (issue 28): no code cell over this many lines, no line over 110 characters.
MAX_NOTEBOOK_CELL_LINES = 25
MAX_NOTEBOOK_LINE_LENGTH = 110


def _notebook_cells(source):
    """``[(first line number, [lines])]`` of the code cells of a jupytext percent source (``# %%`` markers)."""
    cells, current, start, kind = [], [], 0, None
    for number, line in enumerate(source.splitlines(), 1):
        if line.startswith("# %%"):
            if kind == "code":
                cells.append((start, current))
            current, start = [], number + 1
            kind = "markdown" if "[markdown]" in line or "[md]" in line else "code"
        elif kind is not None:
            current.append(line)
    if kind == "code":
        cells.append((start, current))
    return [(start, _trimmed(lines)) for start, lines in cells]


def _trimmed(lines):
    """A cell's lines without the blank lines around it (the separators between cells)."""
    while lines and not lines[-1].strip():
        lines = lines[:-1]
    while lines and not lines[0].strip():
        lines = lines[1:]
    return lines


def test_the_notebook_cell_reader_counts_the_lines_of_code_cells():
    source = "# ---\n# header\n# ---\n\n# %% [markdown]\n# # Title\n\n# %%\na = 1\n\nb = 2\n\n# %% tags=[]\nc = 3\n"
    assert _notebook_cells(source) == [(9, ["a = 1", "", "b = 2"]), (14, ["c = 3"])]


def test_no_notebook_code_cell_over_25_lines_and_no_line_over_110_characters():
    notebooks = sorted((PACKAGE.parent / "notebooks").glob("[0-9][0-9]_*.py"))
    assert notebooks, "no notebook sources found"
    long_cells, long_lines = [], []
    for path in notebooks:
        text = path.read_text()
        long_cells += [
            f"{path.name}:{start} ({len(lines)} lines)"
            for start, lines in _notebook_cells(text)
            if len(lines) > MAX_NOTEBOOK_CELL_LINES
        ]
        long_lines += [
            f"{path.name}:{number}"
            for number, line in enumerate(text.splitlines(), 1)
            if len(line) > MAX_NOTEBOOK_LINE_LENGTH
        ]
    assert long_cells == [], "code cells over 25 lines: move their analysis into vae_keras/studies"
    assert long_lines == [], "lines over 110 characters"


def test_ruff_checks_and_formats_the_notebook_sources():
    import pytest

    ruff = Path(sys.executable).parent / "ruff"
    if not ruff.exists():
        pytest.skip(f"ruff is not installed beside {sys.executable}")
    root = PACKAGE.parent
    for command in (["check", "notebooks"], ["format", "--check", "notebooks"]):
        result = subprocess.run([str(ruff), *command], cwd=root, capture_output=True, text=True)
        assert result.returncode == 0, result.stdout + result.stderr
    listed = subprocess.run([str(ruff), "check", "--show-files", "notebooks"], cwd=root, capture_output=True, text=True)
    checked = {Path(line).name for line in listed.stdout.splitlines()}
    assert {path.name for path in (root / "notebooks").glob("[0-9][0-9]_*.py")} <= checked  # none excluded
    assert not any(name.endswith(".ipynb") for name in checked)  # the generated notebooks are not linted
