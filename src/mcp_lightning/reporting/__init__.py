"""Presentation of runs: JSON documents, a Rich table and a Markdown report."""
