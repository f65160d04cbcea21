"""A process-wide stop request that reaches the native solvers (SIGINT/SIGTERM handling).

Python runs signal handlers in the main thread only, between bytecodes. The CLI therefore
computes a run in a worker thread (:func:`planner.cli._interruptible`) while the main thread
waits; when a signal arrives the main thread calls :func:`request_stop`, which

1. sets a flag that every solver wrapper checks before it starts (:func:`check`), and
2. calls the stop function each running solver registered with :func:`stoppable`: CP-SAT's
   ``CpSolver.stop_search``, SCIP's ``MPSolver.InterruptSolve`` (OR-Tools ``pywraplp``).

The solvers then return at their next check (milliseconds), the worker unwinds with
:class:`StopRequested`, and the process exits with 130/143 only after the native threads
have ended. (Exiting while a C++ ``std::thread`` is still joinable ends the process with
``terminate called without an active exception``, exit code 134.)

Library code never installs signal handlers; without the CLI nothing here is ever called and
:func:`check` is a no-op.
"""

from __future__ import annotations

import itertools
import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

log = logging.getLogger(__name__)

__all__ = ["StopRequested", "check", "request_stop", "reset", "stop_requested", "stoppable"]

_lock = threading.Lock()
_hooks: dict[int, Callable[[], object]] = {}
_ids = itertools.count()
_requested = threading.Event()


class StopRequested(KeyboardInterrupt):
    """Raised in the computing thread after a stop request.

    A ``KeyboardInterrupt``, so that no ``except Exception`` swallows it.
    """


def request_stop() -> None:
    """Ask every running solver to stop, and every solver about to start not to.

    Safe to call repeatedly and from any thread (the CLI calls it again while it waits, which
    also reaches a solver that registered just after the first call).
    """
    _requested.set()
    with _lock:
        hooks = list(_hooks.values())
    for hook in hooks:
        try:
            hook()
        except Exception as exc:  # noqa: BLE001 - a solver that has just finished may refuse; nothing to stop then
            log.debug("stop hook %r failed: %s", hook, exc)


def stop_requested() -> bool:
    """Whether :func:`request_stop` was called since the last :func:`reset`."""
    return _requested.is_set()


def check() -> None:
    """Raise :class:`StopRequested` when a stop was requested (call between stages and solves)."""
    if _requested.is_set():
        raise StopRequested("stop requested")


def reset() -> None:
    """Forget an earlier stop request (the CLI calls this before each computation)."""
    _requested.clear()


@contextmanager
def stoppable(stop: Callable[[], object]) -> Iterator[None]:
    """Register ``stop`` (the solver's own interrupt) for the duration of the block.

    Raises :class:`StopRequested` on entry when a stop is already requested, so that no new
    solve starts after a signal.

    Examples
    --------
    >>> calls = []
    >>> with stoppable(lambda: calls.append("stop")):
    ...     pass
    >>> calls
    []
    """
    check()
    key = next(_ids)
    with _lock:
        _hooks[key] = stop
    try:
        if _requested.is_set():  # requested between check() and registration
            stop()
        yield
    finally:
        with _lock:
            _hooks.pop(key, None)


def exit_on_signal_while_starting() -> None:
    """Until :func:`planner.cli.main` installs its handlers: SIGINT/SIGTERM end the process with 130/143.

    ``import planner`` takes about a second (pydantic, pandas). A signal in that time would
    otherwise kill the CLI by the default action (no exit code of its own) or raise
    ``KeyboardInterrupt`` inside an import. Nothing has been read or written yet, and no native
    thread runs, so ``os._exit`` is safe. Called by ``planner/__init__.py`` only when the process
    is the ``planner`` command (never in a notebook or a library user's program).
    """
    import os
    import signal

    def _exit(signum: int, frame: object) -> None:
        os.write(2, b"interrupted; no output was written (an earlier run in the output folder is left as it was)\n")
        os._exit(128 + signum)

    if threading.current_thread() is threading.main_thread():
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, _exit)
