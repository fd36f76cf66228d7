"""Ingest: the import pipeline, merging duplicates, findings, harvesting arXiv."""
