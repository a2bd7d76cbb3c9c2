"""The runs `eval` can score: each search mode, and hybrid with the learned sparse leg fused in.
(Kept free of heavy imports: the CLI's argument parser reads the names.)"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class EvalMode:
    name: str
    mode: str  # a search Mode value
    sparse: bool = False  # the request's `sparse` flag (hybrid: fuse the sparse leg)

    @property
    def needs_model(self) -> bool:
        return self.mode != "keyword"

    @property
    def needs_sparse(self) -> bool:
        return self.mode == "sparse" or self.sparse


EVAL_MODES: dict[str, EvalMode] = {
    m.name: m
    for m in (
        EvalMode("keyword", "keyword"),
        EvalMode("semantic", "semantic"),
        EvalMode("sparse", "sparse"),
        EvalMode("hybrid", "hybrid"),
        EvalMode("hybrid+sparse", "hybrid", sparse=True),
    )
}


def chosen_modes(names: list[str] | None) -> list[EvalMode]:
    """The modes named (all of them for none or "all"), in the table's order."""
    if not names or "all" in names:
        return list(EVAL_MODES.values())
    return [EVAL_MODES[n] for n in EVAL_MODES if n in names]
