"""``kazoo-tasks bench --plot FILE.png``: the setup-latency distribution of a run as a
picture (matplotlib's Agg renderer, no display needed)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from kazoo_tasks.bench.metrics import percentile

MARKS = ((50, "tab:green"), (90, "tab:orange"), (99, "tab:red"))
"""The percentiles drawn over the histogram, and their colours."""


def require_matplotlib() -> None:
    """Raise ImportError with the extra to install when matplotlib is missing."""
    try:
        import matplotlib  # noqa: F401
    except ImportError as error:
        raise ImportError("pictures need matplotlib: pip install 'kazoo-tasks[plot]'") from error


def setup_latency_png(setups: Sequence[float], path: Path, title: str) -> None:
    """Write a histogram of ``setups`` (seconds, park to first command) with its p50, p90
    and p99 marked to ``path`` (PNG)."""
    from matplotlib.figure import Figure

    values = [s * 1000 for s in setups]
    figure = Figure(figsize=(8, 4.5), dpi=100, layout="constrained")
    axes = figure.add_subplot()
    axes.hist(values, bins=min(max(len(values) // 5, 10), 80), color="tab:blue", alpha=0.8)
    for q, colour in MARKS:
        mark = percentile(values, q)
        if mark is not None:
            axes.axvline(mark, color=colour, linestyle="--", label=f"p{q} {mark:.1f} ms")
    axes.set_xlabel("call setup, CHANNEL_PARK to first command (ms)")
    axes.set_ylabel("calls")
    axes.set_title(title)
    if values:
        axes.legend()
    figure.savefig(path, format="png")
