"""Worker scaling and load sweep: ``kazoo-tasks bench`` for each number of worker processes
and each call rate, one JSON line per run, and a PNG of the sweep.

    .venv/bin/python scripts/bench_sweep.py --workers 1,2,4 --rates 25,50,100,150 \\
        --calls 600 --json docs/bench-sweep.jsonl --png docs/bench-sweep.png

Each run is a whole ``kazoo-tasks bench`` (its own namespace, stack and clean-up) on the
services ``KAZOO_*`` names (embedded ones when unset). The picture has three panels:
completed calls/s against the rate asked, setup p99 against the rate asked (one line per
worker count), and our own CPU per call (ecallmgr + workers + changes) per worker count.
On a 2-core machine more worker processes show their overhead, not a speed-up; on a bigger
machine the same command shows the scaling. docs/performance.md quotes a run.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from kazoo_tasks.progress import progress_bar, say

OWN_ROLES = ("ecallmgr", "workers", "changes")
"""The roles whose CPU is ours (the emulator stands for the switch)."""


def run_bench(calls: int, rate: float, workers: int, extra: Sequence[str]) -> dict[str, Any]:
    """One ``kazoo-tasks bench`` run; its JSON line as a dict."""
    command = [
        sys.executable,
        "-m",
        "kazoo_tasks",
        "bench",
        "--calls",
        str(calls),
        "--rate",
        str(rate),
        "--workers",
        str(workers),
        *extra,
    ]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed:\n{done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def own_cpu_ms(result: dict[str, Any]) -> float:
    """Our roles' CPU per call (ms) in one bench result."""
    per_call = result.get("cpu_ms_per_call") or {}
    return round(sum(per_call.get(role) or 0.0 for role in OWN_ROLES), 2)


def plot(results: list[dict[str, Any]], path: Path) -> None:
    """Draw the sweep (three panels) to ``path``."""
    from matplotlib.figure import Figure

    figure = Figure(figsize=(13, 4.2), dpi=100, layout="constrained")
    rate_axes, setup_axes, cpu_axes = figure.subplots(1, 3)
    counts = sorted({r["workers"] for r in results})
    for workers in counts:
        runs = sorted(
            (r for r in results if r["workers"] == workers), key=lambda r: r["rate_asked"]
        )
        asked = [r["rate_asked"] for r in runs]
        label = f"{workers} worker process{'es' if workers > 1 else ''}"
        rate_axes.plot(asked, [r["calls_per_s"] for r in runs], marker="o", label=label)
        setup_axes.plot(asked, [r["setup_ms_p99"] for r in runs], marker="o", label=label)
    top = max(r["rate_asked"] for r in results)
    rate_axes.plot([0, top], [0, top], color="grey", linestyle=":", label="as asked")
    rate_axes.set(xlabel="calls/s asked", ylabel="calls/s completed", title="throughput")
    setup_axes.set(xlabel="calls/s asked", ylabel="setup p99 (ms)", title="setup latency p99")
    setup_axes.set_yscale("log")
    for axes in (rate_axes, setup_axes):
        axes.grid(alpha=0.3)
        axes.legend()
    cpu = [
        sum(own_cpu_ms(r) for r in results if r["workers"] == n)
        / sum(1 for r in results if r["workers"] == n)
        for n in counts
    ]
    cpu_axes.bar([str(n) for n in counts], cpu, color="tab:blue")
    cpu_axes.set(
        xlabel="worker processes",
        ylabel="ecallmgr + workers + changes, ms per call",
        title="our CPU per call",
    )
    figure.savefig(path)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", default="1,2,4", help="worker process counts")
    parser.add_argument("--rates", default="25,50,100,150", help="calls/s asked")
    parser.add_argument("--calls", type=int, default=600, help="calls per run")
    parser.add_argument("--json", type=Path, help="write the JSON lines here too")
    parser.add_argument("--png", type=Path, help="draw the sweep here")
    parser.add_argument("bench_args", nargs="*", help="more `kazoo-tasks bench` options")
    args = parser.parse_args()
    counts = [int(n) for n in args.workers.split(",")]
    rates = [float(r) for r in args.rates.split(",")]
    results = []
    with progress_bar("sweep", len(counts) * len(rates)) as bar:
        for workers in counts:
            for rate in rates:
                bar.update(len(results), f"{workers} worker(s) at {rate:g}/s")
                result = run_bench(args.calls, rate, workers, args.bench_args)
                result["own_cpu_ms_per_call"] = own_cpu_ms(result)
                results.append(result)
                print(json.dumps(result), flush=True)
        bar.update(len(results), "sweep done")
    if args.json:
        args.json.write_text("".join(json.dumps(r) + "\n" for r in results))
    if args.png:
        plot(results, args.png)
        say(f"sweep plot: {args.png}")


if __name__ == "__main__":
    main()
