"""Extract the expected dates of Kazoo's temporal-route unit tests as data.

Kazoo's ``applications/callflow/test/cf_temporal_route_tests.erl`` pins, for hundreds of
rules, "the next date the rule occurs after <date>" (``next_rule_date``). This script
reads that file (pass its path, e.g. from ``git show HEAD:...`` of 2600hz/kazoo) and
writes each case with concrete dates as JSON, for tests/callflow/test_temporal.py to
check our evaluator against. Only the data is taken (rule, search date, expected date);
list comprehensions over a variable are skipped (the test spells those out itself).

    python scripts/kazoo_temporal_vectors.py cf_temporal_route_tests.erl \
        > tests/callflow/data/kazoo_temporal_vectors.json
"""

from __future__ import annotations

import json
import re
import sys

MONTHS = {
    "JAN": 1, "FEB": 2, "MAR": 3, "APR": 4, "MAY": 5, "JUN": 6,
    "JUL": 7, "AUG": 8, "SEP": 9, "OCT": 10, "NOV": 11, "DEC": 12,
}  # fmt: skip
DATE = r"\{\s*(\d{4})\s*,\s*\?([A-Z]{3})\s*,\s*(\d+)\s*\}"
CASE = re.compile(
    rf"\?_assertEqual\(\s*{DATE}\s*,\s*cf_temporal_route:next_rule_date\(#rule\{{(.*?)\}}\s*,"
    rf"\s*{DATE}\s*\)\s*\)"
)
FIELD = re.compile(r"(\w+)\s*=\s*(<<\"\w+\">>|\[[^\]]*\]|\{[^}]*\}|[\w?]+)")


def _value(text: str) -> object:
    text = text.strip()
    if text.startswith("<<"):
        return text[3:-3]
    if text.startswith("["):
        items = [i.strip() for i in text[1:-1].split(",") if i.strip()]
        return [_value(i) for i in items]
    if text.startswith("{"):
        year, month, day = (p.strip() for p in text[1:-1].split(","))
        return [int(year), MONTHS[month[1:]] if month.startswith("?") else int(month), int(day)]
    if text.startswith("?"):
        return MONTHS[text[1:]]
    return int(text)


def _date(groups: tuple[str, str, str]) -> list[int]:
    return [int(groups[0]), MONTHS[groups[1]], int(groups[2])]


def main(path: str) -> None:
    text = open(path, encoding="utf-8").read()
    section = ""
    cases = []
    for line in text.splitlines():
        if found := re.match(r"^(\w+)_test_\(\)", line):
            section = found.group(1)
        match = CASE.search(line)
        if not match:
            continue
        groups = match.groups()
        rule = {name: _value(value) for name, value in FIELD.findall(groups[3])}
        cases.append(
            {
                "section": section,
                "rule": rule,
                "after": _date(groups[4:7]),
                "expected": _date(groups[0:3]),
            }
        )
    source = "2600hz/kazoo applications/callflow/test/cf_temporal_route_tests.erl"
    lines = ",\n".join(f"  {json.dumps(case)}" for case in cases)
    sys.stdout.write(f'{{"source": {json.dumps(source)},\n "cases": [\n{lines}\n]}}\n')


if __name__ == "__main__":
    main(sys.argv[1])
