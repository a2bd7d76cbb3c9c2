"""Upsert turns: batch k goes once every batch before it is done, whatever order they finish in."""

from __future__ import annotations

import threading

from app.ingest.turns import UpsertTurns


def _goes(turns: UpsertTurns, k: int) -> bool:
    waiter = threading.Thread(target=turns.wait, args=(k,), daemon=True)
    waiter.start()
    waiter.join(0.2)
    return not waiter.is_alive()


def test_a_batch_waits_for_every_batch_before_it() -> None:
    turns = UpsertTurns()
    assert _goes(turns, 0)
    assert not _goes(turns, 2)
    turns.done(1)  # out of order (batch 0 failed late, say): batch 2 still waits for 0
    assert not _goes(turns, 2)
    turns.done(0)
    assert _goes(turns, 2)
    turns.done(0)  # again: nothing changes
    assert not _goes(turns, 3)
    turns.turn(2).done()
    assert _goes(turns, 3)
