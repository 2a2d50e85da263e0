"""The examples of docs/callflows.md's IVR and time-of-day sections are valid as written:
each callflow node saves (its module's schema loads its data) and each temporal rule
loads through the API's schema."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from callflow.flow_tree import load_node
from schemas.temporal_rules import TemporalRuleSchema

DOC = Path(__file__).resolve().parents[2] / "docs" / "callflows.md"


def section_examples() -> list[dict]:
    text = DOC.read_text()
    section = text[text.index("### IVR: `menu`") : text.index("**Testing at a chosen time.**")]
    return [json.loads(block) for block in re.findall(r"```json\n(.*?)```", section, flags=re.S)]


def test_given_the_ivr_and_time_sections_then_they_hold_node_and_rule_examples():
    examples = section_examples()
    assert {e["module"] for e in examples if "module" in e} == {
        "menu",
        "collect_dtmf",
        "temporal_route",
    }
    assert any("cycle" in e for e in examples)


@pytest.mark.parametrize(
    "example", section_examples(), ids=lambda e: e.get("module", e.get("name"))
)
def test_given_an_example_of_the_guide_when_loaded_then_it_is_valid(example):
    if "module" in example:
        load_node(example)
    else:
        TemporalRuleSchema().load(example)
