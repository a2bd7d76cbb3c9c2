"""`hybrid-search bench`: ingest, index builds, latency, recall and HTTP load on a realistic corpus."""
