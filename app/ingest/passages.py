"""Split long bodies into overlapping passages for embedding (a model reads only so many tokens well).

A passage ends at a sentence boundary (。！？.!?; or a newline) in its last fifth when there is one, and
the next passage starts `overlap` characters before that end, so a sentence cut by one passage is whole
in the next. Offsets are character offsets into the body.
"""

from __future__ import annotations

BOUNDARIES = "。！？!?；;\n.…"


def split_passages(body: str, max_chars: int, overlap: int) -> list[tuple[int, int]]:
    """(start, end) spans covering `body`; one span for a body of at most `max_chars`."""
    if max_chars < 1 or not 0 <= overlap < max_chars:
        raise ValueError("need max_chars >= 1 and 0 <= overlap < max_chars")
    if len(body) <= max_chars:
        return [(0, len(body))]
    spans: list[tuple[int, int]] = []
    start = 0
    while True:
        end = min(start + max_chars, len(body))
        if end < len(body):
            floor = start + (max_chars * 4) // 5
            cut = max(body.rfind(ch, floor, end) for ch in BOUNDARIES)
            if cut >= floor:
                end = cut + 1
        spans.append((start, end))
        if end >= len(body):
            return spans
        start = max(end - overlap, start + 1)
