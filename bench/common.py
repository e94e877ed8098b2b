"""What every benchmark shares: its log line, the ``--smoke`` switch, and failing loudly.

A benchmark measures something happening: a message stored, a marker moved, an alarm shown.
When the hub refuses what a benchmark sends, or what it waits for does not happen, the
benchmark ends at once with exit status 1 and one line naming why (``[bench] FAILED: …``,
the hub's code and reason for a refusal), instead of waiting out its deadline and printing
no figure, or a figure of nothing.

* in this process: raise :class:`BenchFailure` (:func:`refused`, :func:`accepted`,
  :class:`Refusals` for clients); the benchmark's ``main`` runs under :func:`run`;
* in a child process: its target is decorated :func:`child`, and the parent waits for it
  with :func:`get` or :func:`join`, which end the parent as soon as a child has failed.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import multiprocessing as mp
import os
import queue
import sys
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeVar

T = TypeVar("T")


class BenchFailure(Exception):
    """What the benchmark measures was refused, or did not happen."""


def log(msg: str) -> None:
    print(f"[bench] {msg}", file=sys.stderr, flush=True)


def parser(name: str) -> argparse.ArgumentParser:
    """The command line of ``./run bench NAME``, with ``--smoke``."""
    ap = argparse.ArgumentParser(prog=f"./run bench {name}")
    ap.add_argument(
        "--smoke",
        action="store_true",
        help="tiny sizes, a few seconds: runs every step once (CI), figures not comparable",
    )
    return ap


def refused(reply: object, what: str) -> None:
    """End the benchmark when ``reply`` (an answer of the hub) is a refusal of ``what``."""
    from shared.protocol import Error

    if isinstance(reply, Error):
        raise BenchFailure(f"{what} refused by the hub: {reply.code}: {reply.detail}")


def accepted(error: object, what: str) -> None:
    """The answer of ``submit_and_wait``: None when stored; a refusal ends the benchmark."""
    if error is not None:
        refused(error, what)
        raise BenchFailure(f"{what} not stored: {error}")


class Refusals:
    """Final refusals of what the watched clients sent. One that says "later" (busy,
    throttled, store unavailable) the client sends again by itself, and is not one. Child
    processes in :attr:`children` are watched too: one that failed ends the benchmark."""

    def __init__(self, *clients: Any) -> None:
        self.seen: list[tuple[str, Any]] = []
        self.children: list[Any] = []
        for c in clients:
            self.watch(c)

    def watch(self, client: Any) -> Any:
        from shared.client.client import RETRYABLE

        device = client.bundle.device

        def on_error(error: Any) -> None:
            if error.code not in RETRYABLE:
                self.seen.append((device, error))

        client.on_error.append(on_error)
        return client

    def check(self) -> None:
        """End the benchmark if anything watched was refused, or a child failed."""
        check_children(self.children, "meanwhile")
        if self.seen:
            device, e = self.seen[0]
            more = f" (and {len(self.seen) - 1} more)" if len(self.seen) > 1 else ""
            raise BenchFailure(
                f"a message from {device} refused by the hub: {e.code}: {e.detail} "
                f"(message {e.ref}){more}"
            )

    async def until(
        self, predicate: Callable[[], object], timeout: float, what: str, step: float = 0.01
    ) -> None:
        """Wait for ``predicate()``; a refusal meanwhile, or ``timeout``, ends the benchmark."""
        deadline = time.monotonic() + timeout
        while not predicate():
            self.check()
            if time.monotonic() > deadline:
                raise BenchFailure(f"{what}: did not happen in {timeout:g} s")
            await asyncio.sleep(step)
        self.check()

    async def within(self, awaitable: Awaitable[T], timeout: float, what: str) -> T:
        """Await ``awaitable``; a refusal meanwhile, or ``timeout``, ends the benchmark."""
        task = asyncio.ensure_future(awaitable)
        try:
            await self.until(task.done, timeout, what)
        finally:
            if not task.done():
                task.cancel()
        return task.result()


def _end(exc: BenchFailure) -> None:
    print(f"[bench] FAILED: {exc}", file=sys.stderr, flush=True)
    for p in mp.active_children():  # this process's own children (multiprocessing)
        p.terminate()


def run(main: Callable[[], None]) -> None:
    """Run a benchmark's ``main``: a :class:`BenchFailure` ends it with exit status 1 and
    its line (after the ``finally`` blocks on the way have stopped the hubs)."""
    try:
        main()
    except BenchFailure as exc:
        _end(exc)
        sys.exit(1)


def child(target: Callable[..., None]) -> Callable[..., None]:
    """A child process's target: a :class:`BenchFailure` in it ends the process at once with
    exit status 1 and its line, and so the parent waiting in :func:`get` or :func:`join`."""

    @functools.wraps(target)
    def wrapped(*args: Any, **kwargs: Any) -> None:
        try:
            target(*args, **kwargs)
        except BenchFailure as exc:
            _end(exc)
            os._exit(1)  # no teardown (Qt's, a queue's feeder): nothing of it is wanted now

    return wrapped


def check_children(procs: Sequence[Any], what: str) -> None:
    """End the benchmark if one of ``procs`` has ended with a failure."""
    for p in procs:
        if p.exitcode not in (None, 0):
            raise BenchFailure(
                f"{what}: the child process {p.name} ended with exit status {p.exitcode}"
                " (its reason above)"
            )


def get(q: Any, procs: Sequence[Any], timeout: float, what: str) -> Any:
    """The next result on ``q``, which ``procs`` fill; ends the benchmark at once when one of
    them has failed, or ended without a result, and after ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return q.get(timeout=0.1)
        except queue.Empty:
            pass
        check_children(procs, what)
        if procs and all(p.exitcode is not None for p in procs):
            try:
                return q.get(timeout=2.0)  # put just before it ended
            except queue.Empty:
                raise BenchFailure(f"{what}: the child processes ended without it") from None
        if time.monotonic() > deadline:
            raise BenchFailure(f"{what}: nothing in {timeout:g} s")


def join(procs: Sequence[Any], timeout: float, what: str) -> None:
    """Wait for ``procs`` to end; a failure of any ends the benchmark at once."""
    deadline = time.monotonic() + timeout
    while any(p.exitcode is None for p in procs):
        check_children(procs, what)
        if time.monotonic() > deadline:
            raise BenchFailure(f"{what}: not done in {timeout:g} s")
        for p in procs:
            if p.exitcode is None:
                p.join(0.1)
                break
    check_children(procs, what)


def wait_event(event: Any, procs: Sequence[Any], timeout: float, what: str) -> None:
    """Wait for a multiprocessing ``event`` that ``procs`` set; as :func:`join`."""
    deadline = time.monotonic() + timeout
    while not event.wait(0.1):
        check_children(procs, what)
        if all(p.exitcode is not None for p in procs):
            raise BenchFailure(f"{what}: the child processes ended without it")
        if time.monotonic() > deadline:
            raise BenchFailure(f"{what}: not in {timeout:g} s")
