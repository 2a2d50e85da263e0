"""The Grafana dashboard (docs/grafana-dashboard.json) is built on metrics that exist."""

from __future__ import annotations

import json
import re
from pathlib import Path

from prometheus_client.metrics import MetricWrapperBase

from kazoo_tasks import metrics

DASHBOARD = Path(__file__).resolve().parents[1] / "docs" / "grafana-dashboard.json"
SUFFIXES = ("_total", "_bucket", "_count", "_sum")


def defined() -> set[str]:
    """The names of every metric kazoo_tasks.metrics declares."""
    return {value._name for value in vars(metrics).values() if isinstance(value, MetricWrapperBase)}


def test_given_the_dashboard_when_its_queries_are_read_then_each_names_a_declared_metric():
    dashboard = json.loads(DASHBOARD.read_text())
    expressions = [t["expr"] for p in dashboard["panels"] for t in p["targets"]]
    named = {
        re.sub("|".join(f"{s}$" for s in SUFFIXES), "", name)
        for expr in expressions
        for name in re.findall(r"\bkazoo_[a-z_]+", expr)
    }

    assert named and named <= defined(), named - defined()
    assert defined() <= named, f"metrics no panel shows: {defined() - named}"
