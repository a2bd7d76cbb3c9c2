"""Relevance evaluation on BEIR-format data sets (`hybrid-search eval`)."""
