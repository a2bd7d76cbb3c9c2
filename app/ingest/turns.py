"""Two batches written side by side, their documents still numbered in the input's order.

An ingest writes each batch in a transaction of its own, and two at once: one batch's postings,
passages and statistics are written while the next batch stages and upserts its documents. The
documents' ids come from one sequence at the upsert, so the upserts take turns: batch k takes its write
locks and upserts only once every batch before it has (or has failed). Ids then follow the input, and
equal scores break their ties the same way on every load. The turn is waited for before the batch
takes a connection: a batch that waits holds no lock the batch before it could wait for (two ids
whose lock keys collide are locked in input order), and no connection it could need (a pool of one
connection writes the batches one after the other)."""

from __future__ import annotations

import threading


class UpsertTurns:
    """Batch k's turn (k = 0, 1, ...) comes once batches 0..k-1 are done."""

    def __init__(self) -> None:
        self._next = 0  # every batch before this one is done
        self._done: set[int] = set()
        self._changed = threading.Condition()

    def turn(self, k: int) -> Turn:
        return Turn(self, k)

    def wait(self, k: int) -> None:
        with self._changed:
            self._changed.wait_for(lambda: self._next >= k)

    def done(self, k: int) -> None:
        """Batch k upserted, or will not (it failed): later batches may go. Idempotent."""
        with self._changed:
            if k >= self._next:
                self._done.add(k)
            while self._next in self._done:
                self._done.discard(self._next)
                self._next += 1
            self._changed.notify_all()


class Turn:
    """One batch's place in the order: `wait()` before its connection, `done()` after its upsert."""

    def __init__(self, turns: UpsertTurns, k: int) -> None:
        self._turns = turns
        self.k = k

    def wait(self) -> None:
        self._turns.wait(self.k)

    def done(self) -> None:
        self._turns.done(self.k)
