"""Work in a warm child process, stopped at a hard time limit (used for PDF layout).

Why: a thread cannot be stopped, and some documents (a hostile SVG logo, an enormous answer)
can keep WeasyPrint busy for minutes; a worker held that long holds up every other clinic's
briefs. The child stays alive between calls, so its parsed stylesheets and loaded fonts stay
warm; one that overruns its limit is killed and replaced.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import threading
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Any

log = logging.getLogger(__name__)


class TimeLimitExceeded(RuntimeError):
    """The work took longer than its limit and was stopped."""


class ChildFailed(RuntimeError):
    """The child process died, or the work raised there (the message says what)."""


def _loop(conn: Connection, work: Callable[..., Any]) -> None:
    """The child's loop: do the work the parent sends, send back the result or the error."""
    while True:
        try:
            kwargs = conn.recv()
        except EOFError:
            return  # the parent is gone
        try:
            conn.send((True, work(**kwargs)))
        except Exception as exc:  # reported to the parent, which records it
            conn.send((False, f"{type(exc).__name__}: {exc}"))


class _Child:
    """One child process doing one kind of work, and the pipe to it."""

    def __init__(self, work: Callable[..., Any]) -> None:
        self.owner = os.getpid()
        context = multiprocessing.get_context("spawn")
        self.conn, theirs = context.Pipe()
        self.process = context.Process(target=_loop, args=(theirs, work), daemon=True)
        self.process.start()
        theirs.close()

    def stop(self) -> None:
        self.process.kill()
        self.process.join(5)
        self.conn.close()


_lock = threading.Lock()
_children: dict[Callable[..., Any], _Child] = {}


def call(work: Callable[..., Any], limit: float, /, **kwargs: Any) -> Any:
    """work(**kwargs) in its child process; TimeLimitExceeded past `limit` seconds.

    work must be a module-level function (the child imports it by name); one call at a time
    per process, as an in-process render would be.
    """
    with _lock:
        child = _children.get(work)
        # A child belongs to the process that started it: after a fork, start one of our own.
        if child is None or child.owner != os.getpid() or not child.process.is_alive():
            child = _children[work] = _Child(work)
        try:
            child.conn.send(kwargs)
            if not child.conn.poll(limit):
                raise TimeLimitExceeded(f"stopped after {limit:g} s (the time limit)")
            ok, value = child.conn.recv()
        except (TimeLimitExceeded, EOFError, OSError) as exc:
            child.stop()
            del _children[work]
            if isinstance(exc, TimeLimitExceeded):
                log.error("%s stopped at its time limit of %g s", work.__name__, limit)
                raise
            raise ChildFailed(f"the child process died: {exc!r}") from exc
    if not ok:
        raise ChildFailed(str(value))
    return value
