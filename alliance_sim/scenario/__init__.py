"""Input formats: the scenario config, YAML with positions, `extends:` and `--set`."""
