"""`new`: scaffold a case of your own (articles, sources, ledger, patterns, scenario)."""

from __future__ import annotations

from pathlib import Path

import click


@click.command()
@click.argument("case_dir", type=click.Path(file_okay=False, path_type=Path))
@click.option("--name", default=None, help="The case's name (default: the folder's name).")
@click.option(
    "--members",
    default=None,
    help="Member actor ids, comma-separated (default: leader,north,south).",
)
@click.option("--hegemon", default=None, help="Which member leads the alliance (default: the first).")
def new(case_dir: Path, name: str | None, members: str | None, hegemon: str | None) -> None:
    """Start a case of your own in CASE_DIR, a new or empty folder.

    It writes an articles/ folder (with a made-up placeholder article), sources.yaml (the
    outlet, title and date of each article), an evidence ledger with one example item,
    reported patterns and a scenario calibrated by the ledger. The case validates and
    runs as written; replace the example with your articles and quotes, one at a time
    (docs/your-own-case.md walks through one).

    \b
    Examples:
      alliance-sim new my_case
      alliance-sim new cases/pact --name "Northern Pact 2030" --members north,east,west --hegemon north
      alliance-sim validate my_case/scenario.yaml
    """
    from alliance_sim.scaffold import DEFAULT_MEMBERS, check_names, write_case

    ids = tuple(m.strip() for m in members.split(",")) if members else DEFAULT_MEMBERS
    names = check_names(name or case_dir.resolve().name, ids, hegemon)
    written = write_case(case_dir, names)
    click.echo(f"wrote {case_dir}/ ({names.name}; members {', '.join(names.members)}, hegemon {names.hegemon}):")
    for path in written:
        click.echo(f"  {path}")
    click.echo(f"next: alliance-sim validate {case_dir / 'scenario.yaml'}")
