"""What every server, cluster and stack the tests start has in common: ``start()``
returns the started object, ``stop()`` stops it, and ``with`` does both."""

from __future__ import annotations

import abc
from types import TracebackType
from typing import Self


class Started(abc.ABC):
    """A thing started by :meth:`start` and stopped by :meth:`stop`; ``with thing as t``
    starts it, gives the started object and stops it on the way out, whatever happened."""

    @abc.abstractmethod
    def start(self) -> Self:
        """Start and wait until ready; returns ``self``."""

    @abc.abstractmethod
    def stop(self) -> None:
        """Stop whatever :meth:`start` started (nothing when it is not running)."""

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
