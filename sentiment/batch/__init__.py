"""Batch output: rows per input (CSV, JSONL, Parquet) and the Ray Data engine."""
