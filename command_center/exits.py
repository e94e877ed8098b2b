"""Exit codes of every ``command-center`` command: one table, documented in
``docs/record-integrity.md`` (a test keeps the two the same)."""

from __future__ import annotations

OK = 0
"""Done (for a read, the answer is on standard output)."""
REFUSED = 1
"""The hub (or the far platform) refused it; the reason is on standard error."""
NO_ANSWER = 2
"""The hub did not answer in time; what was sent stays queued in the outbox."""
AUDIT_BROKEN = 3
"""``audit verify``: the audit chain is broken (each problem is listed)."""
BAD_INPUT = 4
"""A value, file, bundle or configuration this command cannot use (the message says which)."""
NO_HUB = 5
"""The data folder holds no hub (a mistyped ``--data-dir``)."""
HUB_RUNNING = 6
"""``serve``: another hub already runs on this data folder (its pid and endpoints are named)."""
NOT_FOUND = 7
"""A read found nothing under that id (an incident, a response)."""

NAMES = {
    OK: "ok",
    REFUSED: "refused",
    NO_ANSWER: "no answer",
    AUDIT_BROKEN: "audit chain broken",
    BAD_INPUT: "bad input",
    NO_HUB: "no hub in the data folder",
    HUB_RUNNING: "a hub already runs on the data folder",
    NOT_FOUND: "not found",
}
