"""Documents CRUD: batch upsert, read one, delete one."""

from __future__ import annotations

from fastapi import APIRouter, Depends, status

from app import store
from app.api.auth import require_reader, require_writer
from app.api.deps import StateDep
from app.api.schemas import DocumentIn, DocumentOut, DocumentsIn, DocumentsOut
from app.errors import DocumentNotFound, InvalidDocument
from app.ingest.documents import Document, clean_json, clean_text
from app.ingest.pipeline import EmbedPlan, upsert_documents

router = APIRouter(prefix="/documents", tags=["documents"])


def _document(d: DocumentIn) -> Document:
    """As a file's record becomes one: NUL characters (Postgres text cannot hold them) dropped."""
    doc_id, title, text = clean_text(d.id).strip(), clean_text(d.title), clean_text(d.text)
    if not doc_id:
        raise InvalidDocument("a document id is empty")
    if not title.strip() and not text.strip():
        raise InvalidDocument(f"document {doc_id!r} has no text: both title and text are empty")
    url = clean_text(d.url) if d.url is not None else None
    return Document(doc_id, title, text, url, clean_json(d.metadata))


@router.post("", response_model=DocumentsOut, dependencies=[Depends(require_writer)])
def upsert(state: StateDep, body: DocumentsIn) -> DocumentsOut:
    """Insert or replace documents by id (the last of a repeated id wins). Needs the embedding model."""
    docs = {doc.external_id: doc for doc in map(_document, body.documents)}
    embedder = state.models.get()
    plan = EmbedPlan.from_settings(state.settings)
    written, unchanged, failures = upsert_documents(state.pool, embedder, list(docs.values()), plan)
    if failures:
        doc, error = failures[0]
        raise InvalidDocument(f"document {doc.external_id!r} was refused: {error} ({written} others written)")
    return DocumentsOut(written=written, unchanged=unchanged)


@router.get("/{doc_id}", response_model=DocumentOut, dependencies=[Depends(require_reader)])
def get(state: StateDep, doc_id: str) -> DocumentOut:
    with state.pool.connection() as conn:
        row = store.get_document(conn, doc_id)
    if row is None:
        raise DocumentNotFound(f"no document with id {doc_id!r}")
    return DocumentOut(
        id=row["id"],
        title=row["title"],
        text=row["body"],
        url=row["url"],
        metadata=row["metadata"],
        doc_len=row["doc_len"],
        has_embedding=row["has_embedding"],
        has_sparse=row["has_sparse"],
        created_at=row["created_at"].isoformat(),
        updated_at=row["updated_at"].isoformat(),
    )


@router.delete("/{doc_id}", status_code=status.HTTP_204_NO_CONTENT, dependencies=[Depends(require_writer)])
def delete(state: StateDep, doc_id: str) -> None:
    with state.pool.connection() as conn:
        if not store.delete_document(conn, doc_id):
            raise DocumentNotFound(f"no document with id {doc_id!r}")
