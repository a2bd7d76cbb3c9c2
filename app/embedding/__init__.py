"""Embedders behind one protocol; see `base.Embedder`."""

from app.embedding.base import Embedder, l2_normalize
from app.embedding.loader import ModelHolder, load_embedder

__all__ = ["Embedder", "ModelHolder", "l2_normalize", "load_embedder"]
