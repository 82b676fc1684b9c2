"""The `alliance-sim` command group: lazy commands and the one error boundary.

Commands live in their own modules and are named here in `COMMANDS` (name ->
"module:function"); a module is imported only when its command runs or its help is
shown, so `alliance-sim --help` loads no simulation, table or plotting library.

Every problem the user can fix ends here as one line on stderr and exit code 2: bad
input (`InputError`, raised anywhere below) and bad usage (click's `UsageError`).
`--debug` shows the traceback instead. Ctrl-C exits with code 130.

To add a command: write it as a click command in a module of this package, importing
heavy libraries inside the function (the module is imported for `--help`), take the
shared options from `alliance_sim.cli.options`, raise `InputError` for anything the user
can fix, end its help with examples, and name it in `COMMANDS`. The tests check the
examples, the shared options and that `--help` stays light.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Sequence
from typing import Any

import click

from alliance_sim.cli.options import EXIT_INPUT
from alliance_sim.errors import InputError

COMMANDS: dict[str, str] = {
    "run": "alliance_sim.cli.run:run",
    "validate": "alliance_sim.cli.check:validate",
    "evidence": "alliance_sim.cli.check:evidence",
    "patterns": "alliance_sim.cli.check:patterns",
    "calibrate": "alliance_sim.cli.calibrate:calibrate",
    "explain": "alliance_sim.cli.explain:explain",
    "sweep": "alliance_sim.cli.sweep:sweep",
    "analyze": "alliance_sim.cli.sweep:analyze",
    "plot": "alliance_sim.cli.figures:plot",
    "compare": "alliance_sim.cli.figures:compare",
    "report": "alliance_sim.cli.figures:report",
    "app": "alliance_sim.cli.app:app",
    "new": "alliance_sim.cli.new:new",
}
"""Every command, in the order `--help` lists them, and where it is defined."""


def fail(message: str) -> None:
    """Print `error: message` in red on stderr and exit with code 2."""
    click.secho(f"error: {message}", fg="red", err=True)
    sys.exit(EXIT_INPUT)


class LazyGroup(click.Group):
    """A command group that imports each command from `COMMANDS` on first use.

    It is also the one place where errors become the one-line form: `InputError` and
    click's usage errors print `error: ...` and exit with code 2.
    """

    def __init__(self, *args: Any, lazy: dict[str, str] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lazy = dict(lazy or {})

    def list_commands(self, ctx: click.Context) -> list[str]:
        """The commands in table order, then any added directly."""
        return [*self.lazy, *sorted(set(self.commands) - set(self.lazy))]

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        """The command called `cmd_name`, imported from its module if it is a lazy one."""
        if cmd_name in self.commands:
            return self.commands[cmd_name]
        target = self.lazy.get(cmd_name)
        if target is None:
            return None
        module_name, _, attribute = target.partition(":")
        command = getattr(importlib.import_module(module_name), attribute)
        if not isinstance(command, click.Command):  # pragma: no cover - a wrong table entry
            raise TypeError(f"{target} is not a click command")
        self.commands[cmd_name] = command
        return command

    def invoke(self, ctx: click.Context) -> Any:
        """Run the chosen command; `InputError` becomes one line and exit code 2."""
        try:
            return super().invoke(ctx)
        except InputError as exc:
            if ctx.params.get("debug"):
                raise
            fail(str(exc))
        except KeyboardInterrupt:
            click.secho("interrupted", fg="yellow", err=True)
            sys.exit(130)

    def main(
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        """Run the command line; in standalone mode, usage errors are one `error:` line."""
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        try:
            code = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except click.UsageError as exc:
            where = exc.ctx.command_path if exc.ctx is not None else "alliance-sim"
            fail(f"{exc.format_message()} (see '{where} --help')")
        except click.Abort:
            click.secho("aborted", fg="yellow", err=True)
            sys.exit(1)
        except click.ClickException as exc:
            exc.show()
            sys.exit(exc.exit_code)
        sys.exit(code if isinstance(code, int) else 0)


@click.group(
    cls=LazyGroup,
    lazy=COMMANDS,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
@click.version_option(package_name="alliance-sim", prog_name="alliance-sim", message="%(prog)s %(version)s")
@click.option("--debug", is_flag=True, help="Show full tracebacks instead of one-line errors.")
def main(debug: bool) -> None:
    """Defection scenarios for military alliances, as Mesa agent-based models.

    The calibrated case is the CSTO in 2022-2023 (scenarios/csto_2022.yaml), built from
    the articles in seeds/ through the evidence ledger seeds/evidence.yaml. Each command
    has its own --help with examples.

    \b
    Examples:
      alliance-sim run scenarios/csto_2022.yaml --replicates 500 --seed 7 --out results/baseline
      alliance-sim run scenarios/csto_2022.yaml --set actors.russia.capacity=0.5
      alliance-sim validate scenarios/*.yaml scenarios/**/*.yaml
      alliance-sim evidence --actor armenia
      alliance-sim report results/baseline -o results/baseline.html
    """


if __name__ == "__main__":  # pragma: no cover
    main()
