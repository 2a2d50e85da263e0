"""docs/configuration.md lists every setting: each field of ``Settings`` has its
``KAZOO_<FIELD>`` row in the table, and every variable the table names is a field."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

from kazoo_tasks.config import ENV_PREFIX, Settings

DOC = Path(__file__).resolve().parents[1] / "docs" / "configuration.md"


def documented_variables() -> set[str]:
    """The ``KAZOO_*`` names in the first column of the table's rows."""
    names: set[str] = set()
    for line in DOC.read_text().splitlines():
        if line.startswith("| `KAZOO_"):
            first_column = line.split("|")[1]
            names.update(re.findall(r"`(KAZOO_[A-Z0-9_]+)`", first_column))
    return names


def test_given_the_settings_when_the_configuration_doc_is_read_then_every_field_has_its_row():
    expected = {ENV_PREFIX + f.name.upper() for f in dataclasses.fields(Settings)}

    documented = documented_variables()

    assert sorted(expected - documented) == [], "settings missing from docs/configuration.md"
    assert sorted(documented - expected) == [], "documented variables that are no setting"
