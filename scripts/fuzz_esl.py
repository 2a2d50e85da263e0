"""Coverage-guided fuzzing (atheris) of what reads bytes from a switch: the ESL frame
reader, the plain event decoder, the call-event normalizer and ecallmgr's intake peek.

    .venv/bin/pip install atheris   # or: pip install -e '.[fuzz]'
    .venv/bin/python scripts/fuzz_esl.py -max_total_time=300

Any exception other than FrameError is a crash (atheris stops and saves the input);
libFuzzer's last line gives the runs and the peak RSS (``-rss_limit_mb`` bounds it).
docs/reliability.md has the figures of the last run.
"""

from __future__ import annotations

import sys

import atheris

with atheris.instrument_imports():
    from kazoo_tasks.esl.frames import FrameError, FrameReader, parse_event_plain
    from kazoo_tasks.events import call_event_from_plain
    from workers.ecallmgr.intake import peek_header


def one_input(data: bytes) -> None:
    provider = atheris.FuzzedDataProvider(data)
    cut = provider.ConsumeIntInRange(0, len(data))
    raw = provider.ConsumeBytes(len(data))
    reader = FrameReader()
    try:
        for chunk in (raw[:cut], raw[cut:]):
            for frame in reader.feed(chunk):
                event = parse_event_plain(frame.body)
                call_event_from_plain(event, "fs1", 0.0)
    except FrameError:
        pass
    event = parse_event_plain(raw)
    call_event_from_plain(event, "fs1", 0.0)
    end = raw.find(b"\n\n")
    peek_header(raw, b"Unique-ID: ", len(raw) if end < 0 else end)


if __name__ == "__main__":
    atheris.Setup(sys.argv, one_input)
    atheris.Fuzz()
