"""Keep CPython's full garbage collections short in long-running servers.

A full (oldest-generation) collection walks every container object the process tracks, and the event
loop stands still while it does. At start-up the API holds ~133,000 of them (modules, classes, FastAPI's
routes and models, pydantic's validators) that live as long as the process. With 1,000 live-event
streams connected, a full collection took ~190 ms of CPU and every webhook and push waited behind it
(issue 13: those pauses made the p99 of `bench/push.py`, 210 to 330 ms). `gc.freeze()` moves what
exists after start-up into a generation the collector never walks, as Instagram did for its Django
workers; what is created later is collected as before. A full collection then walks the streams' own
objects only (~290 per stream: 95 to 125 ms at 1,000 streams).
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator


@contextlib.contextmanager
def startup_objects_frozen() -> Iterator[None]:
    """Freeze every tracked object for the duration of the block, and unfreeze them on exit, so that a
    process which starts apps one after another (tests) can still collect the older ones.

    No collection first: the API's start-up leaves ~15 garbage objects, and a full collection of a test
    process would cost every app start ~65 ms. Freezing and unfreezing only move lists (no walk)."""
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()
