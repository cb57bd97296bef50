"""The README's profile table says what ``params/`` sets: every ``name=value`` it quotes is read and checked.

A row's settings are ``;``-separated segments; a segment that starts with a notebook number (``05 ...``) quotes
that notebook's value (its override in the profile's ``notebooks:`` section, else the profile's own).
"""

import ast
import re
from pathlib import Path

import pytest

from vae_keras.writeup import catalogue

README = Path(__file__).resolve().parents[1] / "README.md"
HEADER = "| profile | for | what it sets"
SETTING = re.compile(r"`(\w+)=([^`]+)`")


def _table_rows(text):
    """``{profile: settings cell}`` of the README's profile table."""
    lines = text[text.index(HEADER) :].splitlines()
    rows = {}
    for line in lines[2:]:
        if not line.startswith("|"):
            break
        cells = [cell.strip() for cell in line.strip("|").split("|")]
        rows[cells[0].strip("`")] = cells[2]
    return rows


def _quoted(cell):
    """``[(notebook number or None, name, value)]`` of every ``name=value`` in a settings cell."""
    quoted = []
    for segment in cell.split(";"):
        number = re.match(r"\s*(\d\d)\s", segment)
        for name, value in SETTING.findall(segment):
            try:
                value = ast.literal_eval(value)
            except (ValueError, SyntaxError):
                pass  # a word, e.g. jax
            quoted.append((number.group(1) if number else None, name, value))
    return quoted


def _value(profile, number, name):
    """What ``profile`` sets ``name`` to, for notebook ``number`` (``None``: the profile's own value)."""
    if number is not None:
        overrides = profile.get("notebooks", {})
        notebook = [key for key in overrides if key.startswith(f"{number}_")]
        if notebook and name in overrides[notebook[0]]:
            return overrides[notebook[0]][name]
    if name not in profile:
        raise AssertionError(f"{name} is not set by the profile" + (f" for notebook {number}" if number else ""))
    return profile[name]


def test_the_table_lists_every_profile():
    assert sorted(_table_rows(README.read_text())) == catalogue.list_profiles()


@pytest.mark.parametrize("profile", catalogue.list_profiles())
def test_every_number_the_readme_quotes_is_the_profiles(profile):
    quoted = _quoted(_table_rows(README.read_text())[profile])
    assert quoted, f"the README's row for {profile} quotes no setting"
    parameters = catalogue.load_profile(profile)
    for number, name, value in quoted:
        assert _value(parameters, number, name) == value, (profile, number, name)


def test_the_check_reads_notebook_overrides_and_catches_a_wrong_number():
    cell = "`num_epochs=20`; 05 `num_epochs=100`, `hidden_width=1024`; 07 `num_seeds=1`"
    profile = {"num_epochs": 20, "num_seeds": 3, "notebooks": {"05_svhn_results": {"num_epochs": 100}}}
    profile["hidden_width"] = 1024
    assert [_value(profile, n, k) == v for n, k, v in _quoted(cell)] == [True, True, True, False]
    with pytest.raises(AssertionError, match="seed is not set"):
        _value(profile, None, "seed")
