"""``kazoo-tasks bench --metrics-plot``: the roles' ``/metrics`` scraped during a run, and
the dashboard's main panels computed from them as Prometheus would (counter rates over a
window, ``histogram_quantile`` over bucket deltas), for a picture where no Grafana runs."""

from __future__ import annotations

import math
import threading
import time
import urllib.error
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass

from kazoo_tasks.testing.scrape import Samples, scrape

WINDOW = 3.0
"""Seconds each rate and quantile looks back (Grafana's ``[1m]`` over a shorter run)."""

Series = tuple[list[float], list[float]]
"""Seconds since the first scrape, and the values."""


@dataclass(frozen=True)
class Scrape:
    """Every role's samples at one moment, summed where two roles share a name."""

    at: float
    samples: Samples


class MetricsRecorder:
    """Scrapes ``urls`` every ``every`` seconds from a thread until :meth:`stop`."""

    def __init__(self, urls: list[str], every: float = 1.0) -> None:
        self.urls = urls
        self.every = every
        self.scrapes: list[Scrape] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="metrics-recorder", daemon=True)

    def start(self) -> MetricsRecorder:
        self._thread.start()
        return self

    def stop(self) -> list[Scrape]:
        """Stop scraping; the scrapes taken."""
        self._stop.set()
        self._thread.join()
        return self.scrapes

    def _run(self) -> None:
        while not self._stop.wait(self.every):
            merged: Samples = defaultdict(float)
            for url in self.urls:
                try:
                    for key, sample in scrape(url).items():
                        merged[key] += sample
                except (OSError, urllib.error.URLError):
                    continue  # a role not serving yet (or gone): the others still count
            self.scrapes.append(Scrape(time.monotonic(), dict(merged)))


def _matching(samples: Samples, name: str, labels: dict[str, str]) -> float:
    wanted = set(labels.items())
    return sum(v for (n, ls), v in samples.items() if n == name and wanted <= ls)


def _windows(scrapes: list[Scrape], window: float) -> list[tuple[Scrape, Scrape]]:
    """For each scrape, the earliest one at most ``window`` seconds before it."""
    pairs, start = [], 0
    for end, last in enumerate(scrapes):
        while last.at - scrapes[start].at > window:
            start += 1
        if start < end:
            pairs.append((scrapes[start], last))
    return pairs


def gauge(scrapes: list[Scrape], name: str, **labels: str) -> Series:
    """``sum(name{labels})`` at each scrape."""
    origin = scrapes[0].at if scrapes else 0.0
    return (
        [s.at - origin for s in scrapes],
        [_matching(s.samples, name, labels) for s in scrapes],
    )


def rate(scrapes: list[Scrape], name: str, window: float = WINDOW, **labels: str) -> Series:
    """``sum(rate(name{labels}[window]))``: per second over the last ``window`` seconds."""
    origin = scrapes[0].at if scrapes else 0.0
    xs, ys = [], []
    for first, last in _windows(scrapes, window):
        delta = _matching(last.samples, name, labels) - _matching(first.samples, name, labels)
        xs.append(last.at - origin)
        ys.append(max(delta, 0.0) / (last.at - first.at))
    return xs, ys


def bucket_quantile(q: float, buckets: list[tuple[float, float]]) -> float:
    """Prometheus' ``histogram_quantile``: ``buckets`` are (upper bound, cumulative count)
    sorted by bound, the last one +Inf; linear within the bucket the rank falls in; NaN
    with no observations."""
    if not buckets or buckets[-1][1] <= 0:
        return math.nan
    rank = q * buckets[-1][1]
    lower, below = 0.0, 0.0
    for bound, count in buckets:
        if count >= rank:
            if math.isinf(bound):
                return lower
            return lower + (bound - lower) * (rank - below) / (count - below or 1.0)
        lower, below = bound, count
    return lower


def _buckets(
    samples: Samples, name: str, match: Callable[[dict[str, str]], bool]
) -> dict[float, float]:
    counts: dict[float, float] = defaultdict(float)
    for (n, ls), v in samples.items():
        labels = dict(ls)
        if n == f"{name}_bucket" and match(labels):
            counts[float(labels["le"])] += v
    return counts


def quantile(
    scrapes: list[Scrape], name: str, q: float, window: float = WINDOW, **labels: str
) -> Series:
    """``histogram_quantile(q, sum by (le) (rate(name_bucket{labels}[window])))``, in
    milliseconds; windows without observations are left out."""
    origin = scrapes[0].at if scrapes else 0.0
    wanted = set(labels.items())

    def match(found: dict[str, str]) -> bool:
        return wanted <= set(found.items())

    xs, ys = [], []
    for first, last in _windows(scrapes, window):
        before = _buckets(first.samples, name, match)
        after = _buckets(last.samples, name, match)
        deltas = sorted((le, after[le] - before.get(le, 0.0)) for le in after)
        value = bucket_quantile(q, deltas)
        if not math.isnan(value):
            xs.append(last.at - origin)
            ys.append(value * 1000)
    return xs, ys


def busiest(scrapes: list[Scrape], name: str, label: str, most: int) -> list[str]:
    """The ``most`` values of ``label`` on ``name`` that grew most over the scrapes (the
    busiest tasks, for a panel)."""
    grew: dict[str, float] = defaultdict(float)
    for sign, moment in ((-1, scrapes[0]), (1, scrapes[-1])) if scrapes else ():
        for (n, ls), v in moment.samples.items():
            labels = dict(ls)
            if n == name and label in labels:
                grew[labels[label]] += sign * v
    return sorted((k for k, v in grew.items() if v > 0), key=lambda k: -grew[k])[:most]
