"""Hypothesis strategies the fuzz tests share (HYPOTHESIS_EXAMPLES raises the example count)."""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

EXAMPLES = int(os.environ.get("HYPOTHESIS_EXAMPLES", "100"))
FUZZ = settings(
    max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)

# Every code point, lone surrogates included, with the characters that break naive query builders
# (quotes, tsquery operators, backslashes, NUL) and Chinese text made likely.
SPECIAL = st.sampled_from(
    list("'\"\\&|!():*<>-\x00 \t\n　，。北京大学的 ") + ["' OR 1=1 --", "'); DROP TABLE documents; --"]
)
TEXT = st.lists(st.one_of(st.characters(exclude_categories=()), SPECIAL), max_size=200).map("".join)
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=20,
)
FILTER_KEYS = st.sampled_from(["brand", "price", "a.b", "", "any", "gte", "$x", "'", "北京"]) | st.text(
    max_size=8
)
FILTERS = st.dictionaries(
    FILTER_KEYS,
    JSON
    | st.dictionaries(
        st.sampled_from(["any", "gte", "gt", "lte", "lt", "exists", "eq", "x"]), JSON, max_size=3
    ),
    max_size=4,
)
