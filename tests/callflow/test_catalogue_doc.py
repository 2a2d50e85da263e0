"""docs/callflows.md's table of Kazoo's 78 modules says what is true: every Kazoo module
once, "implemented" exactly for the installed ones (with a test file that exists and names
the module), "left out" exactly for those the API refuses with a reason, and the counts
in its text."""

from __future__ import annotations

import re
from pathlib import Path

from callflow import registry
from callflow.kazoo_modules import KAZOO_MODULES, LEFT_OUT

ROOT = Path(__file__).resolve().parents[2]


def catalogue() -> dict[str, tuple[str, str]]:
    text = (ROOT / "docs" / "callflows.md").read_text()
    section = text[text.index("## Kazoo's catalogue") : text.index("## Writing a module")]
    rows = re.findall(r"^\| `([a-z_]+)` \| ([a-z ]+) \| (.*) \|$", section, flags=re.M)
    return {name: (status, detail) for name, status, detail in rows}


def test_given_the_catalogue_table_then_it_matches_the_installed_modules():
    table = catalogue()
    installed = set(registry.module_names())

    assert sorted(table) == sorted(KAZOO_MODULES)
    implemented = {name for name, (status, _) in table.items() if status == "implemented"}
    assert implemented == installed & set(KAZOO_MODULES)
    assert {name for name, (status, _) in table.items() if status == "left out"} == set(LEFT_OUT)
    for name in implemented:
        test_file = ROOT / table[name][1].strip("`")
        assert test_file.is_file(), name
        assert f'"{name}"' in test_file.read_text(), f"{test_file} does not use {name}"


def test_given_the_catalogue_text_then_its_counts_are_the_tables():
    table = catalogue()
    text = (ROOT / "docs" / "callflows.md").read_text()
    statuses = [status for status, _ in table.values()]
    implemented, left_out = statuses.count("implemented"), statuses.count("left out")
    expected = (
        f"**{implemented} of 78 are implemented**, {left_out} are left out on\n"
        f"purpose and {statuses.count('not yet')} are not implemented yet"
    )
    assert expected in text
