"""A search's options, a hit and an answer, each declared once.

`SearchRequest` holds every search option with its type, default, bounds and help. The HTTP API takes
it as the POST body and as GET query parameters, the CLI's `search` and `sql-params` flags are made
from it (app/cli/search.py), the service runs it, and `sql_arguments` turns it into the named
arguments of the `search.*` SQL functions, which `sql-params` prints for psql. Adding an option means
a field here, the SQL that uses it, and a test.

Bounds that depend on the settings (MAX_LIMIT, MAX_OFFSET, MAX_QUERY_CHARS) are checked by the service,
the same on every path.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, field_validator

from app.config import Settings
from app.errors import InvalidQuery
from app.search.filters import parse_filters_json

MAX_RRF_K = 100_000  # far past any useful k; keeps it an integer for SQL
MAX_LEG_WEIGHT = 1000
MAX_FILTERS_CHARS = 10_000  # filters given as JSON text (a query parameter, a CLI flag)


class Fusion(StrEnum):
    rrf = "rrf"
    minmax = "minmax"


class Syntax(StrEnum):
    web = "web"  # "phrases", -exclusions and OR, as websearch_to_tsquery reads them
    plain = "plain"  # every character is text


class Mode(StrEnum):
    hybrid = "hybrid"
    keyword = "keyword"
    semantic = "semantic"
    sparse = "sparse"  # the learned sparse leg alone (bge-m3 lexical weights)


@dataclass(frozen=True)
class DefaultSetting:
    """Field metadata: a None value means this Settings attribute's value."""

    name: str


@dataclass(frozen=True)
class ShortFlag:
    """Field metadata: the CLI's short spelling of the option (`-k` for `--limit`)."""

    flag: str


# The SQL functions' arguments that come from the settings only (no request changes them).
SETTING_ARGUMENTS: dict[str, str] = {
    "k1": "bm25_k1",
    "b": "bm25_b",
    "rank_window": "rank_window",
    "deep_window": "deep_rank_window",
    "ef_search": "hnsw_ef_search",
    "exact_below": "exact_search_below",
}


class SearchRequest(BaseModel):
    """One search: the query and every option. Unknown fields are refused (422), not ignored, so a
    misspelt one (`filter` for `filters`) does not silently give unfiltered results."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    q: str = Field(min_length=1, description="The query text (Chinese, English or mixed).")
    mode: Mode = Field(
        default=Mode.hybrid,
        description="`hybrid` (keyword + semantic, fused), `keyword` (BM25), `semantic` (dense vectors), "
        "`sparse` (the learned sparse leg alone).",
    )
    limit: Annotated[int, ShortFlag("-k")] = Field(
        default=10,
        ge=1,
        description="Hits per page (at most MAX_LIMIT); pages are stable slices of one ranked list.",
    )
    offset: int = Field(default=0, ge=0, description="Hits to skip (page * limit; at most MAX_OFFSET).")
    rrf_k: Annotated[int | None, DefaultSetting("rrf_k")] = Field(
        default=None,
        ge=1,
        le=MAX_RRF_K,
        description="RRF k: score = sum of weight / (k + rank); default: the RRF_K setting.",
    )
    keyword_weight: float = Field(
        default=1.0, ge=0, le=MAX_LEG_WEIGHT, description="Weight of the keyword leg in the fusion."
    )
    semantic_weight: float = Field(
        default=1.0, ge=0, le=MAX_LEG_WEIGHT, description="Weight of the semantic leg in the fusion."
    )
    sparse: Annotated[bool | None, DefaultSetting("hybrid_sparse")] = Field(
        default=None,
        description="Hybrid: fuse the learned sparse leg (bge-m3 lexical weights) too; needs a model with "
        "a sparse head; default: the HYBRID_SPARSE setting.",
    )
    sparse_weight: float = Field(
        default=1.0, ge=0, le=MAX_LEG_WEIGHT, description="Weight of the sparse leg in the fusion."
    )
    title_weight: Annotated[float | None, DefaultSetting("title_weight")] = Field(
        default=None,
        ge=0,
        le=100,
        description="A title token counts this many times in BM25; default: the TITLE_WEIGHT setting.",
    )
    fusion: Fusion = Field(
        default=Fusion.rrf,
        description="`rrf`, or `minmax`: each leg's scores scaled to [0, 1] over its window, then a "
        "weighted mean.",
    )
    min_score: float | None = Field(
        default=None,
        allow_inf_nan=False,
        description="Drop hybrid hits whose fused score is lower (most useful with `minmax`).",
    )
    syntax: Syntax = Field(
        default=Syntax.web,
        description='`web`: `"exact phrase"` (its words adjacent and in order, required), `-word` and '
        '`-"phrase"` (no hit holds them, semantic hits included) and `OR`, as PostgreSQL\'s '
        "`websearch_to_tsquery` reads them; a quote without its pair, a lone `-` or operators only are "
        "read as plain text. `plain`: every character is text.",
    )
    pinyin: bool = Field(
        default=True,
        description="Keyword and hybrid: a query of Latin letters that spells pinyin (`beijing daxue`, "
        "`beijingdaxue`) or initials (`bjdx`) also finds the documents whose PINYIN_FIELDS read that way, "
        "ranked in the keyword leg after the documents holding every word of the query (the shortest "
        "field first).",
    )
    total: bool = Field(
        default=False,
        description="Count the documents the query matches under the filters (`total`; the matched set: "
        "README, Facets). Facets count it too.",
    )
    facets: str | None = Field(
        default=None,
        max_length=MAX_FILTERS_CHARS,
        description="Metadata fields whose values to count over the whole matched set, comma-separated "
        "(`brand,type`; dotted for nested fields; at most 10). A field's own filter does not narrow its "
        "own counts; every other filter does.",
    )
    facet_size: int = Field(
        default=10, ge=1, le=100, description="Values per facet, the most frequent first."
    )
    facet_ranges: dict[str, list[float]] | None = Field(
        default=None,
        description='Numeric facets counted in buckets: `{"price": [100, 500, 1000]}` counts `{"lt": 100}`, '
        '`{"gte": 100, "lt": 500}`, ... (each bucket is also its filter). The fields must be in `facets`.',
    )
    filters: dict[str, Any] | None = Field(
        default=None,
        description="Metadata filters, a JSON object (JSON text in a query parameter or a flag): "
        '`{"brand": "Velorim"}` equality, `{"type": {"any": ["Kids bikes", "Road Bikes"]}}` any of, '
        '`{"price": {"gte": 100, "lte": 500}}` numeric range, `{"released": {"gte": "2024-01-01"}}` date '
        'range on ISO-8601 strings, `{"url": {"exists": true}}`; dotted keys reach nested fields '
        '(`"specs.material": "alloy"`). Every leg applies them; equality uses the GIN index on metadata, '
        "and a selective filter makes the semantic leg exact.",
    )

    def __init__(self, q: str | None = None, mode: Mode | str | None = None, /, **options: Any) -> None:
        """`SearchRequest("北京", Mode.keyword, limit=5)`: the query and mode may come first."""
        if q is not None:
            options["q"] = q
        if mode is not None:
            options["mode"] = mode
        super().__init__(**options)

    @field_validator("filters", "facet_ranges", mode="before")
    @classmethod
    def _filters_from_json(cls, value: object, info: ValidationInfo) -> object:
        """Filters (and facet ranges) as JSON text (a query parameter, a CLI flag) are parsed here, once
        for every path."""
        if not isinstance(value, str):
            return value
        if len(value) > MAX_FILTERS_CHARS:
            raise ValueError(f"{info.field_name} longer than {MAX_FILTERS_CHARS} characters")
        try:
            return parse_filters_json(value, str(info.field_name))
        except InvalidQuery as exc:
            raise ValueError(str(exc)) from exc

    def setting_or_value(self, name: str, settings: Settings) -> Any:
        """The option's value, or the setting it defaults to when left out."""
        value = getattr(self, name)
        if value is None and name in OPTION_SETTINGS:
            return getattr(settings, OPTION_SETTINGS[name])
        return value


# Each option that falls back to a setting, and that setting (read once from the fields' metadata).
OPTION_SETTINGS: dict[str, str] = {
    name: meta.name
    for name, field in SearchRequest.model_fields.items()
    for meta in field.metadata
    if isinstance(meta, DefaultSetting)
}


def options_table() -> str:
    """README's table of search options: name, default, bounds and help, from the model."""
    lines = ["| option | default | bounds | meaning |", "|---|---|---|---|"]
    for name, field in SearchRequest.model_fields.items():
        if name == "q":
            continue
        setting = OPTION_SETTINGS.get(name)
        if setting:
            default = f"`{setting.upper()}`"
        elif field.default is None:
            default = "none"
        else:
            value = getattr(field.default, "value", field.default)
            default = f"`{str(value).lower()}`" if isinstance(value, bool) else f"`{value}`"
        low = next((m.ge for m in field.metadata if hasattr(m, "ge")), None)
        high = next((m.le for m in field.metadata if hasattr(m, "le")), None)
        bounds = " to ".join(str(b) for b in (low, high) if b is not None)
        if low is not None and high is None:
            bounds = f"at least {low}"
        lines.append(f"| `{name}` | {default} | {bounds} | {field.description} |")
    return "\n".join(lines)


def validation_message(exc: ValidationError, spell: Callable[[str], str] = str) -> str:
    """A request's validation errors in one line, each after the option's name as `spell` writes it
    (`--rrf-k` on the command line)."""
    parts = []
    for error in exc.errors():
        where = ".".join(str(p) for p in error["loc"])
        parts.append(f"{spell(where)}: {error['msg']}" if where else str(error["msg"]))
    return "; ".join(parts)


def sql_arguments(req: SearchRequest, settings: Settings) -> dict[str, Any]:
    """The named arguments of the `search.*` functions for this request: every option (settings where
    it was left out) and the settings-only ones. The service and `sql-params` both use this."""
    args = {name: req.setting_or_value(name, settings) for name in SearchRequest.model_fields if name != "q"}
    args.update({arg: getattr(settings, setting) for arg, setting in SETTING_ARGUMENTS.items()})
    return args


class Hit(BaseModel):
    """One hit, as the API returns it and the CLI prints it."""

    id: str
    title: str
    url: str | None
    snippet: str = Field(description="The passage holding the most query terms, plain text.")
    highlight: str = Field(description="The same passage as HTML: query terms in <mark>, the rest escaped.")
    score: float = Field(
        description="Fused score in hybrid mode, BM25 in keyword mode (0 for a pinyin-only match), cosine "
        "in semantic, lexical matching score in sparse."
    )
    keyword_rank: int | None = None
    keyword_score: float | None = Field(default=None, description="BM25 score of the keyword leg.")
    semantic_rank: int | None = None
    semantic_score: float | None = Field(default=None, description="Cosine similarity of the semantic leg.")
    metadata: dict[str, Any] = {}
    passage_start: int | None = Field(
        default=None, description="Where the best-matching passage starts in the text (semantic leg)."
    )
    sparse_rank: int | None = None
    sparse_score: float | None = Field(
        default=None, description="Lexical matching score (dot product of lexical weights) of the sparse leg."
    )
    pinned: bool = Field(
        default=False, description="An admin pinned it to the top of this query's results (curations)."
    )
    pinyin_score: float | None = Field(
        default=None,
        description="Set when only the query's pinyin found the document (keyword leg): 1 / the syllables of "
        "its pinyin fields.",
    )


class FacetCount(BaseModel):
    value: Any = Field(description="A value of the field (a range facet's bucket: its filter).")
    count: int


class SearchResult(BaseModel):
    """One answer: a page of hits and how it was made."""

    query: str
    mode: Mode
    terms: list[str] = Field(description="The tokens the query became.")
    limit: int
    offset: int
    hits: list[Hit] = []
    degraded: bool = Field(
        default=False, description="True when a leg was unavailable and results come from the others."
    )
    degraded_reason: str | None = None
    complete: bool = Field(
        default=True,
        description="False when the semantic or sparse leg could not return every matching document.",
    )
    synonyms: dict[str, list[str]] = Field(
        default={},
        description="The query's terms that have synonyms (search.synonyms), with every form searched for "
        "each; the keyword leg scores a term's forms as one term.",
    )
    pinyin: str | None = Field(
        default=None,
        description="The query read as pinyin (a tsquery over the `pinyin` column), when it spells pinyin.",
    )
    total: int | None = Field(
        default=None, description="Documents the query matches under the filters (with `total` or `facets`)."
    )
    facets: dict[str, list[FacetCount]] = Field(
        default={}, description="Each asked field's values over the matched set, with counts."
    )
    counts_capped: bool = Field(
        default=False,
        description="True when the query matches too many documents to count them all (FACET_MAX_DOCS): "
        "total and counts are estimates from a uniform sample of FACET_SAMPLE_DOCS of them.",
    )
    fusion: dict[str, Any] = Field(default={}, description="The parameters that produced the scores.")
    search_id: str | None = Field(
        default=None,
        description="This answer's id (API answers): a click on one of its hits names it (POST /events).",
    )
    cached: bool = Field(
        default=False,
        description="True when this answer was kept from an identical earlier search (ANSWER_CACHE_SIZE): "
        "no write, synonym or curation has changed since.",
    )
    timings_ms: dict[str, float] = {}
