"""Runs: one pipeline for a run and a sweep, results and their tables, statistics."""
