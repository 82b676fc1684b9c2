"""The `alliance-sim` command line."""
