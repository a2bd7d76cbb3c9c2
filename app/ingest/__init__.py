"""Ingest: readers (jsonl, JSON array, csv, BEIR), field mapping, batched embedding and upsert."""
