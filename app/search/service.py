"""One search: validate, tokenise, embed (off the event loop), call the `search.*` SQL function.

The API and the CLI both come through here, and here only calls the SQL functions analysts call,
so psql, the CLI and HTTP always agree.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor, wait
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np
import psycopg
from pgvector import SparseVector
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb
from psycopg_pool import ConnectionPool

from app.config import Settings
from app.db import ReadPools, domain_errors, pipeline, query
from app.embedding.loader import ModelHolder
from app.embedding.sparse import sparse_embedder
from app.errors import EmptyQuery, InvalidQuery, ModelMismatch, ModelUnavailable
from app.ingest.documents import clean_text
from app.search.answer_cache import AnswerCache, answer_key
from app.search.facets import FacetPlan, facet_plan, read_rows
from app.search.filters import normalize_filters
from app.search.highlight import snippet
from app.search.request import (
    FacetCount,
    Fusion,
    Hit,
    Mode,
    SearchRequest,
    SearchResult,
    Syntax,
    sql_arguments,
)
from app.search.synonyms import expand
from app.search.syntax import parse, plain, text_condition
from app.search.terms import bounded_terms
from app.text import analyzer, query_terms
from app.text.pinyin import pinyin_query

# search.facets' rows, or the counting of them on a spare connection
FacetRows = list[dict[str, Any]] | Future[list[dict[str, Any]]]


class SearchService:
    def __init__(
        self, pool: ConnectionPool, models: ModelHolder, settings: Settings, reads: ReadPools | None = None
    ) -> None:
        self.pool = pool
        self.reads = reads or ReadPools(pool)  # searches read from replicas when there are some
        # facet counts run here, on a spare connection, while the search runs on its own
        self._counter = ThreadPoolExecutor(
            max_workers=max(settings.db_pool_max, 1), thread_name_prefix="facets"
        )
        self.models = models
        self.settings = settings
        self.answers = AnswerCache(settings.answer_cache_size)
        self._rules = True  # whether the database held a synonym rule or a curation at the last search

    def validate(self, req: SearchRequest) -> None:
        s = self.settings
        if not req.q.strip():
            raise EmptyQuery("the query is empty")
        if len(req.q) > s.max_query_chars:
            raise InvalidQuery(f"the query is longer than {s.max_query_chars} characters")
        if not 1 <= req.limit <= s.max_limit:
            raise InvalidQuery(f"limit must be between 1 and {s.max_limit}")
        if not 0 <= req.offset <= s.max_offset:
            raise InvalidQuery(f"offset must be between 0 and {s.max_offset}")

    def uses_sparse(self, req: SearchRequest) -> bool:
        """Does this request run the learned sparse leg?"""
        if req.mode is Mode.sparse:
            return True
        wanted = req.setting_or_value("sparse", self.settings)
        return req.mode is Mode.hybrid and wanted and req.sparse_weight > 0

    def search(
        self,
        req: SearchRequest,
        embedding: np.ndarray | None = None,
        sparse_query: SparseVector | None = None,
        *,
        snippets: bool = True,
    ) -> SearchResult:
        """Run one search. Raises InvalidQuery/EmptyQuery for bad input, ModelUnavailable in semantic
        or sparse mode without a model; hybrid without a model answers from the keyword leg, marked
        degraded. The sparse leg needs a model with a sparse head (bge-m3): InvalidQuery otherwise.

        `embedding`/`sparse_query` may carry the query's encodings already computed (evaluation
        encodes in batches); `snippets` False skips snippet building (evaluation needs only ids).
        """
        self.validate(req)
        text, filters = read_query(req)
        pinyin = (filters or {}).get("pinyin")
        counts = facet_plan(req, filters)
        started = time.perf_counter()
        key = answer_key(req, embedding, sparse_query, snippets) if self.answers.size else None
        version = ""
        if key is not None:
            version = self._answers_version()
            kept = self.answers.get(key, version)
            if kept is not None:
                ms = _ms(started)
                return kept.model_copy(update={"cached": True, "timings_ms": {"cache": ms, "total": ms}})
        terms = query_terms(text)
        if len(set(terms)) > self.settings.max_query_terms:
            with self.reads.connection() as conn:
                terms = bounded_terms(conn, terms, self.settings.max_query_terms)
        result = SearchResult(
            query=req.q, mode=req.mode, terms=terms, limit=req.limit, offset=req.offset, pinyin=pinyin
        )
        timings = result.timings_ms
        timings["tokenize"] = _ms(started)
        dense_needed = req.mode in (Mode.semantic, Mode.hybrid)
        sparse_needed = self.uses_sparse(req)
        if not dense_needed:
            embedding = None
        if not sparse_needed:
            sparse_query = None
        model_name: str | None = None  # the model this request's vectors come from (checked below)
        if (dense_needed and embedding is None) or (sparse_needed and sparse_query is None):
            try:
                t0 = time.perf_counter()
                model_name = self.models.get().name
                embedding, sparse_query = self._encode(
                    text, sparse_needed, req.mode is Mode.sparse or bool(req.sparse)
                )
                embedding = embedding if dense_needed else None
                timings["embed"] = _ms(t0)
            except ModelUnavailable as exc:
                if req.mode is not Mode.hybrid:
                    raise
                result.degraded = True
                result.degraded_reason = f"model legs unavailable, keyword results only: {exc}"
        vectors = embedding is not None or (sparse_query is not None and sparse_query.indices())
        if not terms and not pinyin and not vectors:
            raise EmptyQuery("the query has no searchable words (only punctuation, spaces or symbols)")

        params = statement_parameters(req, self.settings, terms, embedding, sparse_query, filters, snippets)
        result.fusion = self._fusion(req, params)
        with ExitStack() as beside:  # the facet counts' spare connection, until they are read
            t0 = time.perf_counter()
            try:
                ran = self._run(req.mode, params, model_name, counts, beside)
            except ModelSwitched as exc:
                # A reembed swapped the vectors under this process: load the new model; hybrid answers
                # from the keyword leg meanwhile, the vector modes say why they cannot.
                if req.mode is not Mode.hybrid or not terms:
                    raise ModelUnavailable(str(exc)) from exc
                result.degraded = True
                result.degraded_reason = f"model legs unavailable, keyword results only: {exc}"
                params = statement_parameters(req, self.settings, terms, None, None, filters, snippets)
                result.fusion = self._fusion(req, params)
                ran = self._run(req.mode, params, None, counts, beside)
            timings["database"] = _ms(t0)
            rows, result.complete, result.synonyms, counting, seen = ran
            t0 = time.perf_counter()
            from_passage = req.mode is Mode.semantic
            marked = terms + [form for forms in result.synonyms.values() for form in forms]
            result.hits = [self._hit(row, marked, from_passage) for row in rows]
            timings["highlight"] = _ms(t0)
            if counts is not None:  # counted on the spare connection while the hits were highlighted
                t0 = time.perf_counter()
                facet_rows = counting.result() if isinstance(counting, Future) else counting
                result.total, facets, result.counts_capped = read_rows(facet_rows)
                result.facets = {f: [FacetCount.model_construct(**v) for v in vs] for f, vs in facets.items()}
                timings["facets_wait"] = _ms(t0)
        timings["total"] = _ms(started)
        # kept only if the search's own connection saw the version looked up (a replica behind another
        # could otherwise file an older answer under a newer version)
        if key is not None and seen == version and result.complete and not result.degraded:
            self.answers.put(key, version, result.model_copy())
        return result

    def _answers_version(self) -> str:
        """The database's answer version now (search.answers_version()): a kept answer made under another
        is not given again."""
        with domain_errors(), self.reads.connection() as conn:
            row = conn.execute(query("answers_version")).fetchone()
        return str(row[0]) if row else ""

    def _run(
        self,
        mode: Mode,
        params: dict[str, Any],
        model_name: str | None,
        counts: FacetPlan | None,
        beside: ExitStack,
    ) -> tuple[list[dict[str, Any]], bool, dict[str, list[str]], FacetRows, str]:
        """The search statement, whether the vector legs saw every match, the synonyms the keyword leg
        searched, with `counts` the total and facet rows (search.facets: still being counted on a spare
        connection `beside` keeps open, taken after the search's own, or counted after the search on its
        connection when none is free), and the answer version this connection saw before the statement.
        The synonyms, the curation in force and the version are read on the same connection before the
        statement runs (or, while there are no rules, with it: run_ahead), so a rule or a curation
        applies from the next search on."""
        # facet counts start beside the statement, so they need the context first
        ahead = counts is None and not self._rules
        with self.checked_cursor(None if ahead else model_name) as cur:
            spare = beside.enter_context(self._beside(counts))
            keyword_leg = mode in (Mode.keyword, Mode.hybrid) and params["terms"]
            context_params = {"terms": params["terms"] if keyword_leg else None, "q": params["q"]}
            early = self._ahead(cur.connection, model_name, context_params, mode, params) if ahead else None
            context = (
                early.context if early else cur.execute(query("search_context"), context_params).fetchone()
            )
            assert context is not None
            self._rules = bool(context["rules"])
            groups: dict[str, list[str]] = dict(context["synonyms"] or {})
            plain = context["pinned"] is None and context["hidden"] is None
            if early is not None and plain and not groups:
                return early.rows, early.complete, groups, [], str(context["version"])
            if groups:
                terms, groups = expand(params["terms"], groups)
                params = {**params, "terms": terms, "filters": with_synonyms(params["filters"], groups)}
            facet_params = (
                None
                if counts is None
                else facet_parameters(
                    mode, params, counts, groups, self.settings, context["pinned"], context["hidden"]
                )
            )
            facet_rows: FacetRows = []
            if facet_params is not None and spare is not None:  # counted while the search runs
                facet_rows = self._counter.submit(facet_rows_on, spare, model_name, facet_params)
            try:
                if plain:
                    rows = cur.execute(query(f"search_{mode.value}"), params).fetchall()
                else:
                    extra = len(context["pinned"] or []) + len(context["hidden"] or [])
                    rows = curated(cur, mode, params, extra)
                complete = legs_complete(mode, rows, lambda: cur.execute(query("search_complete")).fetchone())
            except BaseException:
                if isinstance(facet_rows, Future):  # the spare connection is free again before a retry
                    wait([facet_rows])
                raise
            if facet_params is not None and spare is None:
                facet_rows = cur.execute(query("search_facets"), facet_params).fetchall()
            return rows, complete, groups, facet_rows, str(context["version"])

    def _ahead(
        self,
        conn: psycopg.Connection[Any],
        model_name: str | None,
        context_params: dict[str, Any],
        mode: Mode,
        params: dict[str, Any],
    ) -> Ahead:
        """run_ahead; for a first page of hybrid search (no sparse leg) when a second connection is free
        at once, its two legs side by side (hybrid_side_by_side): the same rows, sooner. Not with read
        replicas, where the spare connection may read another replica than the search's."""
        if mode is Mode.hybrid and not self.reads.replicas and legs_apart(params):
            with self.reads.spare() as other:
                if other is not None:
                    return hybrid_side_by_side(conn, other, self._counter, model_name, context_params, params)
        return run_ahead(conn, model_name, context_params, mode, params)

    @contextmanager
    def _beside(self, counts: FacetPlan | None) -> Iterator[psycopg.Connection[Any] | None]:
        """A spare connection for the facet counts, when there are some to make."""
        if counts is None:
            yield None
        else:
            with self.reads.spare() as conn:
                yield conn

    @contextmanager
    def checked_cursor(
        self, model_name: str | None, stored_vector: bool = False
    ) -> Iterator[psycopg.Cursor[dict[str, Any]]]:
        """A cursor on a read connection, after checking, when the caller's vectors were made here
        (`model_name`), that the database still holds that model's vectors: ModelSwitched otherwise,
        with the recorded model loading in the background. With a `stored_vector` to read and search
        with, no model to compare but the switch's lock held all the same."""
        try:
            with domain_errors(), self.reads.connection() as conn, ExitStack() as checked:
                cur = checked.enter_context(conn.cursor(row_factory=dict_row))
                if model_name is not None or stored_vector:
                    # in a transaction: in autocommit the check would end, and free the swap, before
                    # the statements it vouches for
                    checked.enter_context(conn.transaction())
                    cur.execute(query("check_model"), {"model": model_name})
                yield cur
        except ModelMismatch as exc:
            raise model_switched(self.pool, self.models, exc) from exc

    def _encode(self, text: str, sparse: bool, required: bool) -> tuple[np.ndarray, SparseVector | None]:
        """The query's dense vector, and its lexical weights when the sparse leg runs (one pass). A
        model without a sparse head is refused when the request asked for the leg, and otherwise (the
        HYBRID_SPARSE default) the leg is left out."""
        model = self.models.get()
        sparse_model = sparse_embedder(model) if sparse else None
        if sparse_model is None:
            if not sparse or not required:
                return model.encode_queries([text])[0], None
            raise InvalidQuery(
                f"the sparse leg needs a model with a sparse head (bge-m3); {model.name} has none"
            )
        dense, lexical = sparse_model.encode_queries_with_sparse([text])
        return dense[0], SparseVector(lexical[0], sparse_model.sparse_dim)

    @staticmethod
    def _hit(row: dict[str, Any], terms: list[str], from_passage: bool) -> Hit:
        """In semantic mode the snippet is the best passage; otherwise the window richest in terms. The
        row comes from our own SQL, typed as Hit's fields: built without validating it again."""
        start = row.get("passage_start") if from_passage else None
        body = row.pop("body")
        row.pop("ordinality", None)  # the hybrid statement's order
        snip = snippet(body, terms, start_at=start) if body is not None else None
        row["snippet"] = snip.text if snip else ""
        row["highlight"] = snip.html if snip else ""
        row["metadata"] = row["metadata"] or {}
        return Hit.model_construct(**row)

    @staticmethod
    def _fusion(req: SearchRequest, params: dict[str, Any]) -> dict[str, Any]:
        """The parameters that produced the scores, so every hit can be explained."""
        bm25 = {"k1": params["k1"], "b": params["b"], "title_weight": params["title_weight"]}
        if req.mode is Mode.keyword:
            return {"method": "bm25", **bm25}
        if req.mode is Mode.semantic:
            return {"method": "cosine", "ef_search": params["ef_search"]}
        if req.mode is Mode.sparse:
            return {"method": "lexical weights (dot product)", "ef_search": params["ef_search"]}
        explain: dict[str, Any] = {"method": req.fusion.value}
        if req.fusion is Fusion.rrf:
            explain["k"] = params["rrf_k"]
        window = "rank_window" if req.offset + req.limit <= params["rank_window"] else "deep_window"
        return explain | {
            "keyword_weight": params["keyword_weight"],
            "semantic_weight": params["semantic_weight"],
            "sparse_weight": params["sparse_weight"],
            "rank_window": params[window],
            "min_score": req.min_score,
            **bm25,
            "ef_search": params["ef_search"],
        }


@dataclass
class Ahead:
    """What a search reads in one round trip when it has no facet counts to start beside it."""

    context: dict[str, Any] | None
    rows: list[dict[str, Any]]
    complete: bool


def run_ahead(
    conn: psycopg.Connection[Any],
    model_name: str | None,
    context_params: dict[str, Any],
    mode: Mode,
    params: dict[str, Any],
) -> Ahead:
    """In one round trip (a pipeline): the model check (`model_name`: the request's vectors were made
    here), the search's context, its statement as it runs when no synonym rule and no curation applies
    (almost every search: the caller runs it again otherwise) and the vector legs' flag. The read
    connection is in autocommit (ReadPools): they run as one implicit transaction, a failed check
    skipping the rest, with no BEGIN or COMMIT to wait for."""
    with pipeline(conn):
        context = _queue_context(conn, model_name, context_params)
        hits = conn.cursor(row_factory=dict_row).execute(query(f"search_{mode.value}"), params)
        done = conn.cursor(row_factory=dict_row)
        if mode is not Mode.keyword:
            done.execute(query("search_complete"))
    rows = hits.fetchall()
    complete = legs_complete(mode, rows, done.fetchone)
    return Ahead(context.fetchone(), rows, complete)


def legs_apart(params: dict[str, Any]) -> bool:
    """Whether search_hybrid_legs.sql gives this hybrid page: the first pages' fusion (offset + limit
    within rank_window) of a keyword and a semantic leg, without the sparse leg."""
    first_pages = params["offset"] + params["limit"] <= params["rank_window"]
    return first_pages and params["embedding"] is not None and params["sparse"] is None


def hybrid_side_by_side(
    conn: psycopg.Connection[Any],
    other: psycopg.Connection[Any],
    executor: ThreadPoolExecutor,
    model_name: str | None,
    context_params: dict[str, Any],
    params: dict[str, Any],
) -> Ahead:
    """A first page of hybrid search with its legs ranked at the same time: the semantic leg on `other`
    while this connection checks the model, reads the context and ranks the keyword leg (one pipeline,
    as run_ahead); then search.fuse_legs, the fusion search.hybrid calls, and the page with its bodies.
    The search waits for the slower leg rather than for both (the database runs them on two cores)."""
    semantic = executor.submit(checked_statement, other, model_name, "hybrid_semantic_leg", params, True)
    try:
        with pipeline(conn):
            context = _queue_context(conn, model_name, context_params)
            keyword = conn.cursor(row_factory=dict_row, binary=True).execute(
                query("hybrid_keyword_leg"), params
            )
        legs = {**_aggregate_row(keyword), **_aggregate_row(semantic.result())}
    finally:
        wait([semantic])  # `other` is idle before it goes back to the pool
    complete = bool(legs.pop("complete"))
    rows = (
        conn.cursor(row_factory=dict_row).execute(query("search_hybrid_legs"), {**params, **legs}).fetchall()
    )
    return Ahead(context.fetchone(), rows, complete)


def _queue_check(conn: psycopg.Connection[Any], model_name: str | None) -> None:
    """When the request's vectors were made here (`model_name`), the model check, queued first in the
    caller's pipeline: it holds the switch's lock for the statements queued after it."""
    if model_name is not None:
        conn.execute(query("check_model"), {"model": model_name})


def _queue_context(
    conn: psycopg.Connection[Any], model_name: str | None, context_params: dict[str, Any]
) -> psycopg.Cursor[dict[str, Any]]:
    """Queued in the caller's pipeline: the model check, then the search's context (search_context.sql),
    read once the pipeline is through."""
    _queue_check(conn, model_name)
    return conn.cursor(row_factory=dict_row).execute(query("search_context"), context_params)


def checked_statement(
    conn: psycopg.Connection[Any],
    model_name: str | None,
    name: str,
    params: dict[str, Any],
    binary: bool = False,
) -> psycopg.Cursor[dict[str, Any]]:
    """`name`'s statement on a connection beside the search's own (in autocommit: ReadPools), after
    the model check (`model_name`: the request's vectors were made here) in the same pipeline, so in
    the same implicit transaction: a swap waits until the statement is through (the search's own
    check, on its own connection, holds nothing here)."""
    with pipeline(conn):
        _queue_check(conn, model_name)
        return conn.cursor(row_factory=dict_row, binary=binary).execute(query(name), params)


def _aggregate_row(cur: psycopg.Cursor[dict[str, Any]]) -> dict[str, Any]:
    row = cur.fetchone()
    assert row is not None  # an aggregate's one row
    return row


def legs_complete(
    mode: Mode, rows: list[dict[str, Any]], read_flag: Callable[[], dict[str, Any] | None]
) -> bool:
    """Whether the vector legs saw every match (keyword mode has none): each hit carries the flag
    (popped here); without hits, `read_flag` reads it (search_complete.sql, in the statement's
    transaction)."""
    if mode is Mode.keyword:
        return True
    flags = [flag for row in rows if (flag := row.pop("complete", None)) is not None]
    if not flags:
        done = read_flag()
        flags = [bool(done and next(iter(done.values())))]
    return all(flags)


def curated(
    cur: psycopg.Cursor[dict[str, Any]], mode: Mode, params: dict[str, Any], extra: int
) -> list[dict[str, Any]]:
    """The page of a curated query: the search's own list from the top, long enough that removing the
    pinned and hidden documents leaves the page full, ordered by search.curate (pinned first, where the
    filters let them), then sliced; a pinned document the search did not return gets its row here (no
    leg ranked it: score 0)."""
    offset, limit = params["offset"], params["limit"]
    organic = cur.execute(
        query(f"search_{mode.value}"), {**params, "offset": 0, "limit": offset + limit + extra}
    ).fetchall()
    ids = [r["id"] for r in organic]
    order = cur.execute(query("curate"), {"q": params["q"], "organic": ids, "filters": params["filters"]})
    page = order.fetchall()[offset : offset + limit]
    by_id = {r["id"]: r for r in organic}
    missing = [o["id"] for o in page if o["id"] not in by_id]
    if missing:
        for row in cur.execute(query("pinned_hits"), {"ids": missing}).fetchall():
            by_id[row["id"]] = {**row, "snippet": None, "score": 0.0}
    return [{**by_id[o["id"]], "pinned": o["pinned"]} for o in page]


def facet_rows_on(
    conn: psycopg.Connection[Any], model_name: str | None, params: dict[str, Any]
) -> list[dict[str, Any]]:
    """The facet counts on a spare connection; with a query vector, after the model check."""
    checked = model_name if params["facet_embedding"] is not None else None
    with checked_statement(conn, checked, "search_facets", params) as cur:
        return cur.fetchall()


def facet_parameters(
    mode: Mode,
    params: dict[str, Any],
    counts: FacetPlan,
    groups: dict[str, list[str]],
    settings: Settings,
    pinned: list[str] | None = None,
    hidden: list[str] | None = None,
) -> dict[str, Any]:
    """search.facets' arguments: the keyword part of the matched set in keyword and hybrid mode, the
    semantic part in semantic and hybrid mode (when there is a vector), the plan's filters, and the
    curation in force (its pinned documents counted, its hidden ones not)."""
    base = {**(counts.base or {}), **({"synonyms": groups} if groups else {})} or None
    return {
        **params,
        "facet_terms": params["terms"] if mode in (Mode.keyword, Mode.hybrid) else None,
        "facet_embedding": params["embedding"] if mode in (Mode.semantic, Mode.hybrid) else None,
        "facet_fields": counts.fields,
        "facet_base": Jsonb(base) if base else None,
        "facet_filters": Jsonb(counts.per_field),
        "facet_ranges": Jsonb(counts.ranges) if counts.ranges else None,
        "facet_semantic_floor": settings.facet_semantic_floor,
        "facet_max_docs": settings.facet_max_docs,
        "facet_sample_docs": settings.facet_sample_docs,
        "facet_pinned": pinned,
        "facet_hidden": hidden,
    }


def with_synonyms(filters: Jsonb | None, groups: dict[str, list[str]]) -> Jsonb:
    """The statement's filter with the synonyms the keyword leg scores as one term each."""
    return Jsonb({**(filters.obj if filters is not None else {}), "synonyms": groups})


def read_query(req: SearchRequest) -> tuple[str, dict[str, Any] | None]:
    """The text to score and embed (the query without its syntax's operators) and the normalised
    filters, with the syntax's phrases and exclusions as their `text` condition (search.text_holds)
    and, when the keyword leg runs and the text spells pinyin, its tsquery as `pinyin`."""
    parsed = parse(req.q) if req.syntax is Syntax.web else plain(req.q)
    filters = normalize_filters(req.filters)
    condition = text_condition(parsed)
    if condition:
        filters = {**(filters or {}), "text": condition}
    if req.pinyin and req.mode in (Mode.keyword, Mode.hybrid) and analyzer().config.pinyin_fields:
        reading = pinyin_query(parsed.text)
        if reading:
            filters = {**(filters or {}), "pinyin": reading}
    return parsed.text, filters


def statement_parameters(
    req: SearchRequest,
    settings: Settings,
    terms: list[str],
    embedding: np.ndarray | None,
    sparse_query: SparseVector | None,
    filters: dict[str, Any] | None,
    snippets: bool = True,
) -> dict[str, Any]:
    """The search statement's parameters: the request's SQL arguments (sql_arguments), the query's
    encodings, the normalised filters, and no weight for a leg that does not run. `sql-params` prints
    these for psql, so an analyst's statement gets the same."""
    params = sql_arguments(req, settings)
    params.update(
        q=clean_text(req.q),
        terms=terms,
        embedding=embedding,
        sparse=sparse_query,
        filters=Jsonb(filters) if filters else None,
        with_bodies=snippets,
    )
    if sparse_query is None:
        params["sparse_weight"] = 0.0
    if embedding is None:
        params["semantic_weight"] = 0.0
    return params


class ModelSwitched(Exception):
    """The database's vectors now come from another model than this request's (HS001)."""


def model_switched(pool: ConnectionPool, models: ModelHolder, exc: ModelMismatch) -> ModelSwitched:
    """Start loading the model the database now records; the error to raise."""
    with pool.connection() as conn:
        recorded = conn.execute(query("recorded_model")).fetchone()
    if recorded is not None:
        models.switch_to(str(recorded[0]))
    return ModelSwitched(str(exc))


def _ms(since: float) -> float:
    return round((time.perf_counter() - since) * 1000, 3)
