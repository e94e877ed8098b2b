"""The hub's in-memory picture: one keyed map per topic, each with its own sequence number."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from shared.protocol.state import TOPICS, SnapshotChunk, StateValue, Update, UpdateBatch


class TopicState:
    """A keyed map with a sequence number that grows by one with every change."""

    __slots__ = ("items", "name", "seq")

    def __init__(self, name: str) -> None:
        self.name = name
        self.seq = 0
        self.items: dict[str, StateValue] = {}

    def set(self, key: str, value: StateValue | None) -> Update:
        """Apply one change and return it as an update with its sequence number."""
        self.seq += 1
        if value is None:
            self.items.pop(key, None)
        else:
            self.items[key] = value
        return Update(self.seq, key, value)


class StateStore:
    """Every topic's map; changes are collected and published in per-topic batches."""

    def __init__(self, topics: tuple[str, ...] = TOPICS) -> None:
        self.topics = {name: TopicState(name) for name in topics}
        self._pending: dict[str, list[Update]] = {}

    def set(self, topic: str, key: str, value: StateValue | None) -> None:
        """Change ``key`` in ``topic`` (None removes it); the change is queued for publication."""
        update = self.topics[topic].set(key, value)
        self._pending.setdefault(topic, []).append(update)

    def set_many(self, topic: str, changes: Iterable[tuple[str, StateValue | None]]) -> None:
        """:meth:`set` for many keys of one topic (the per-batch unit positions)."""
        state = self.topics[topic]
        items = state.items
        queued = self._pending.setdefault(topic, [])
        seq = state.seq
        for key, value in changes:
            seq += 1
            if value is None:
                items.pop(key, None)
            else:
                items[key] = value
            queued.append(Update(seq, key, value))
        state.seq = seq

    def get(self, topic: str, key: str) -> StateValue | None:
        """Current value, or None."""
        return self.topics[topic].items.get(key)

    def take_batches(self) -> list[UpdateBatch]:
        """The queued changes, one batch per topic, and clear the queue."""
        batches = [UpdateBatch(t, u) for t, u in self._pending.items()]
        self._pending = {}
        return batches

    def seqs(self) -> dict[str, int]:
        """Latest sequence number of every topic."""
        return {name: t.seq for name, t in self.topics.items()}

    def snapshot(
        self, topics: list[str], *, epoch: str, chunk_items: int = 2000
    ) -> Iterator[SnapshotChunk]:
        """The current state of ``topics`` in chunks; the last chunk carries the sequence
        numbers the snapshot is consistent with."""
        wanted = [t for t in (topics or list(self.topics)) if t in self.topics]
        seqs = {t: self.topics[t].seq for t in wanted}
        # taken now (references, not copies): the chunks may be sent while the picture moves
        every = [(name, k, v) for name in wanted for k, v in self.topics[name].items.items()]
        return self._chunks(every, seqs, epoch, chunk_items)

    @staticmethod
    def _chunks(
        every: list[tuple[str, str, StateValue]],
        seqs: dict[str, int],
        epoch: str,
        chunk_items: int,
    ) -> Iterator[SnapshotChunk]:
        for start in range(0, len(every), chunk_items):
            part = every[start : start + chunk_items]
            last = start + chunk_items >= len(every)
            yield SnapshotChunk(part, last, seqs, epoch)
        if not every:
            yield SnapshotChunk([], True, seqs, epoch)
