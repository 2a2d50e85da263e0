"""Pictures of a bench run (matplotlib's Agg renderer, no display needed): ``--plot``, the
setup-latency distribution; ``--metrics-plot``, the dashboard's main panels from the
roles' ``/metrics`` scraped during the run."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from kazoo_tasks.bench.dashboard import Scrape, Series, busiest, gauge, quantile, rate
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


def dashboard_png(scrapes: list[Scrape], path: Path, title: str, tasks: int = 4) -> None:
    """Write the dashboard's main panels over ``scrapes`` to ``path`` (PNG): calls ended
    and commands sent per second, calls up, setup p50/p99, ESL events read per second and
    task latency p99 of the ``tasks`` busiest tasks."""
    from matplotlib.figure import Figure

    top = busiest(scrapes, "kazoo_task_duration_seconds_count", "task", tasks)
    panels: list[tuple[str, str, list[tuple[str, Series]]]] = [
        ("Calls ended per second", "calls/s",
         [("ended", rate(scrapes, "kazoo_calls_ended_total"))]),
        ("Call setup (park → first command)", "ms",
         [("p50", quantile(scrapes, "kazoo_call_setup_seconds", 0.5)),
          ("p99", quantile(scrapes, "kazoo_call_setup_seconds", 0.99))]),
        ("Calls up", "calls", [("up", gauge(scrapes, "kazoo_calls_active"))]),
        ("Commands sent per second", "commands/s",
         [("sent", rate(scrapes, "kazoo_esl_commands_total", outcome="sent"))]),
        ("ESL events read per second", "events/s",
         [("read", rate(scrapes, "kazoo_esl_events_received_total"))]),
        ("Task latency p99", "ms",
         [(task.rsplit(".", 1)[-1],
           quantile(scrapes, "kazoo_task_duration_seconds", 0.99, task=task)) for task in top]),
    ]  # fmt: skip
    figure = Figure(figsize=(12, 9), dpi=100, layout="constrained")
    figure.suptitle(title)
    for axes, (name, unit, lines) in zip(figure.subplots(3, 2).flat, panels, strict=True):
        for label, (xs, ys) in lines:
            axes.plot(xs, ys, label=label)
        axes.set_title(name)
        axes.set_ylabel(unit)
        axes.set_xlabel("seconds")
        axes.grid(alpha=0.3)
        if len(lines) > 1:
            axes.legend(fontsize="small")
    figure.savefig(path, format="png")
