"""What the interactive page (`alliance_sim.app`) computes, kept free of any web toolkit.

- `levers`: the settings a user reaches for first, with words, bounds and dotted paths;
- `ensemble_view`: a few hundred replicates summarised into bands, status shares and
  survival curves, and drawn as light matplotlib figures;
- `whatif`: the current settings written as a what-if YAML that `extends:` the scenario.

Nothing here imports Solara, so the page's logic is tested without a browser.
"""
