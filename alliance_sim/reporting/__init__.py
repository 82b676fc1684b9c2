"""Reporting: figures, the HTML report and terminal summaries."""
