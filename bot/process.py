"""How a long-running server process runs: its event loop, and its heap once loaded.

Kept free of Praatmee's other modules, so any server script (the benchmarks'
anchors too) can run the same way as ``praatmee serve``.
"""

from __future__ import annotations

import asyncio
import gc
from collections.abc import Coroutine
from typing import Any, TypeVar

__all__ = ["run_service", "settle_heap"]

T = TypeVar("T")


def run_service(main: Coroutine[Any, Any, T]) -> T:
    """Run a long-running server's main coroutine on uvloop, asyncio's own loop without it.

    uvloop's sockets and callbacks take about a third less CPU per web request than
    asyncio's loop; the code is the same on both (the tests run on asyncio's).
    """
    try:
        import uvloop
    except ImportError:  # not built for this platform
        return asyncio.run(main)
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        return runner.run(main)


def settle_heap() -> None:
    """Once a long-running service is open: exempt what it loaded from garbage collection,
    and collect the young objects of each request in larger, rarer rounds.

    The NLU and crisis models and the dialogues live as long as the process; without
    this, every full collection walks those millions of objects again (pauses of a
    tenth of a second under load). Only for a process that serves one service until it
    exits (``praatmee serve``): what is frozen is never collected.
    """
    gc.collect()
    gc.freeze()
    # Each web request allocates thousands of short-lived objects; collecting the youngest
    # generation every 700 allocations (the default) cost about a tenth of the throughput.
    gc.set_threshold(50_000, 20, 100)
