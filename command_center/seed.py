"""``command-center seed-demo``: load the fictional Hengshui sample resources into a hub.

Every resource goes through the hub like any registration (validated, stored, audited,
published), marked ``sample`` so no one mistakes it for the city's real register. Running it
again updates the same resources instead of adding copies.
"""

from __future__ import annotations

import asyncio
import json
import sys
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

from shared.client import HubClient
from shared.domain import sample_data
from shared.identity import Bundle
from shared.protocol import Error, ResourceUpsert


async def seed(bundle: Bundle, *, timeout: float = 60.0, show: bool = False) -> dict[str, Any]:
    """Send every sample resource; returns counts by type and any refusals."""
    data = sample_data()
    refused: list[str] = []
    with tempfile.TemporaryDirectory(prefix="seed-") as tmp:
        async with HubClient(bundle, Path(tmp) / "outbox.db") as client:
            try:
                await client.wait_online(min(timeout, 10.0))
            except TimeoutError:
                return {
                    "ok": False,
                    "error": f"no answer from the hub at {bundle.endpoints.request}",
                }
            msgs = [client.make(ResourceUpsert, sample=True, **_fields(r)) for r in data.resources]
            done = 0

            def on_ack(ref: str, status: str, latency: float) -> None:
                nonlocal done
                done += 1
                if show:
                    end = "\n" if done == len(msgs) else ""
                    print(
                        f"\r  seeding sample resources: {done}/{len(msgs)}",
                        end=end,
                        file=sys.stderr,
                    )

            def on_error(error: Error) -> None:
                refused.append(f"{error.ref}: {error.detail}")
                on_ack(error.ref or "", "refused", 0.0)

            client.on_ack.append(on_ack)
            client.on_error.append(on_error)
            await client.submit(*msgs)
            if not await client.drain(timeout):
                return {"ok": False, "error": f"the hub did not take all resources in {timeout} s"}
    kinds = Counter(r.resource_type for r in data.resources)
    return {
        "ok": not refused,
        "resources": len(data.resources) - len(refused),
        "by_type": dict(sorted(kinds.items())),
        "population_cells": len(data.population.cells),
        "refused": refused,
        "note": "FICTIONAL sample data, marked sample=true",
    }


def _fields(r: Any) -> dict[str, Any]:
    return {f: getattr(r, f) for f in r.__struct_fields__}


def run(bundle: Bundle, *, as_json: bool) -> int:
    """Execute ``seed-demo``; returns the exit status."""
    out = asyncio.run(seed(bundle, show=not as_json and sys.stderr.isatty()))
    if as_json:
        print(json.dumps(out, ensure_ascii=False))
    elif out["ok"]:
        print(
            f"seeded {out['resources']} fictional sample resources "
            f"({', '.join(f'{k} {v}' for k, v in out['by_type'].items())})"
        )
    else:
        print(f"command-center: seed-demo: {out.get('error') or out['refused']}", file=sys.stderr)
    return 0 if out["ok"] else 1
