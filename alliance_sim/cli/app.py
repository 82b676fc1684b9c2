"""`alliance-sim app`: the interactive page in the browser (needs the `app` extra).

Solara is imported only when the command runs, so the rest of the command line starts
fast and works without the extra. A missing extra or a bad scenario is an `InputError`:
one line and exit code 2, from the command group's error boundary.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import click

from alliance_sim.errors import InputError


@click.command(name="app")
@click.argument("scenario", required=False, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--port", type=click.IntRange(1, 65535), default=8765, show_default=True, help="Port to serve on.")
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Interface to listen on (the default serves this machine only; 0.0.0.0 serves the network).",
)
@click.option("--no-browser", is_flag=True, help="Do not open the page in a browser.")
def app(scenario: Path | None, port: int, host: str, no_browser: bool) -> None:
    """Open the interactive page: move a lever, watch the replicates answer.

    The page reruns a few hundred replicates on every change of a lever (the hegemon's
    capacity, war recovery, each member's outside option and dependence, the decision
    rule, hazard rates) and draws each member's pressure and trust with bands, the share
    of runs in each status and survival curves; its Explain tab splits each member's
    values into the named terms of `alliance-sim explain` over time, replays the reported
    answers unforced and, on a button, computes the knock-out table. It steps through one
    Mesa run with its event log, and saves the settings as a what-if YAML that
    `alliance-sim run` accepts.
    SCENARIO defaults to scenarios/csto_2022.yaml. Stop the server with Ctrl-C.

    \b
    Examples:
      alliance-sim app
      alliance-sim app scenarios/what_if/russia_recovers.yaml
      alliance-sim app scenarios/csto_2022.yaml --port 8800 --no-browser
    """
    if importlib.util.find_spec("solara") is None:
        raise InputError("the interactive page needs the app extra: pip install 'alliance-sim[app]'")
    if scenario is not None:
        if not scenario.is_file():
            raise InputError("no such scenario file", file=scenario)
        from alliance_sim import load_scenario

        load_scenario(scenario)  # a bad file fails here, in one line, before the server starts
    from alliance_sim.app import serve

    click.echo(f"alliance-sim app: http://{host}:{port}/  (Ctrl-C stops the server)")
    serve(str(scenario) if scenario is not None else None, host=host, port=port, open_browser=not no_browser)
