# ruff: noqa: N802  (Solara components are named in CapWords, as React components are)
"""The interactive page: move a lever, watch a few hundred replicates answer.

Start it with ``alliance-sim app [SCENARIO]`` (needs the `app` extra: ``pip install
'alliance-sim[app]'``), or ``solara run alliance_sim.app``. The page has

- a scenario picker (the calibrated baseline, the what-ifs beside it, any file path) and
  the levers a user reaches for first (`alliance_sim.app_support.levers`), each labelled in
  words with its dotted path on hover;
- the ensemble view: on every change the ensemble engine reruns the replicates and the page
  redraws each member's pressure and trust with bands, survival curves and the share of
  runs in each status month by month (`alliance_sim.app_support.ensemble_view`);
- the explain view (`alliance-sim explain` on the page): each member's value of staying and
  of leaving split into named terms over time, from the same rerun (the ensemble runs
  with its terms), with the scripted events marked; the unforced replay of the reported
  answers; and, on a button since it runs one ensemble per arm, the knock-out table with
  its progress (`alliance_sim.app_support.explain_view`, which draws with the figures of
  `alliance_sim.reporting.figures.explain`). Each tab draws only while it is shown;
- one Mesa run (`AllianceModel`) to step through (reset, play, pause, step), with each
  member's status and the event log as it happens;
- a button that saves the settings as a what-if YAML that ``extends:`` the scenario and
  holds only the changed values (`alliance_sim.app_support.whatif`).

Why Solara rather than Mesa's `SolaraViz`: `SolaraViz` builds its page around one model
instance whose constructor arguments are the sliders. This page's main view is an ensemble
of replicates run by the array engine, its levers depend on the scenario chosen (one pair
per member, one rate per hazard), and it writes a what-if file; so it is a plain Solara
page laid out as `SolaraViz` is (controls in the sidebar; reset, play, pause and step for
the Mesa run), and the Mesa model it steps is the same `AllianceModel` a script would use.
"""

from __future__ import annotations

import itertools
import os
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from html import escape
from pathlib import Path
from typing import Any

import numpy as np
import solara
import solara.lab
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from alliance_sim import AllianceModel, ScenarioConfig, load_scenario
from alliance_sim.app_support import ensemble_view, explain_view, levers, whatif
from alliance_sim.errors import InputError
from alliance_sim.scenario.loader import with_overrides

SCENARIO_ENV = "ALLIANCE_SIM_APP_SCENARIO"
"""Environment variable through which `serve` hands the page its first scenario."""

REPLICATES = 300
"""Replicates per ensemble rerun unless the user changes it."""

SEED = 7
"""Root seed of the ensemble (and of the first Mesa run)."""

PLAY_INTERVAL = 0.25
"""Seconds between months when the Mesa run plays."""

ENSEMBLE_TAB, EXPLAIN_TAB = 0, 1
"""Indexes of the Ensemble and Explain tabs (each draws its figures only while it is shown)."""

_PACKAGE_ROOT = Path(__file__).resolve().parent.parent


# --- Where the scenarios are ----------------------------------------------------------


def scenarios_folder(start: Path | None) -> Path | None:
    """The `scenarios/` folder holding `start` (or the one in the working directory or source tree)."""
    if start is not None:
        for parent in start.resolve().parents:
            if parent.name == "scenarios":
                return parent
    for candidate in (Path.cwd() / "scenarios", _PACKAGE_ROOT / "scenarios"):
        if candidate.is_dir():
            return candidate
    return None


def scenario_choices(start: Path | None) -> list[Path]:
    """The scenarios the picker offers: the top of `scenarios/`, then its what-ifs, then `start`."""
    folder = scenarios_folder(start)
    found: list[Path] = []
    if folder is not None:
        found += sorted(folder.glob("*.yaml")) + sorted((folder / "what_if").glob("*.yaml"))
    if start is not None and start.resolve() not in {p.resolve() for p in found}:
        found.insert(0, start)
    return found


def initial_scenario() -> Path | None:
    """The scenario named by `serve` (or the baseline if there is one)."""
    named = os.environ.get(SCENARIO_ENV)
    if named:
        return Path(named)
    folder = scenarios_folder(None)
    if folder is not None and (folder / "csto_2022.yaml").exists():
        return folder / "csto_2022.yaml"
    choices = scenario_choices(None)
    return choices[0] if choices else None


def display(path: Path) -> str:
    """A path as the picker shows it: relative to the working directory where it can be."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def default_target(base: Path) -> Path:
    """Where the what-if is saved unless the user says otherwise."""
    folder = scenarios_folder(base)
    stem = base.stem.removesuffix("_custom")
    if folder is not None and (folder / "what_if").is_dir():
        return folder / "what_if" / f"{stem}_custom.yaml"
    return base.with_name(f"{stem}_custom.yaml")


# --- What one rerun computes ----------------------------------------------------------


_reruns = itertools.count(1)


@dataclass(frozen=True)
class Rerun:
    """One rerun of the ensemble, shared by the Ensemble and Explain tabs.

    Attributes:
        config: The scenario as run (with the page's changes).
        summary: The summarised ensemble (with its `explain` decomposition).
        number: A number no other rerun of this server has (what the tabs' drawings follow).
    """

    config: ScenarioConfig
    summary: ensemble_view.EnsembleSummary
    number: int


def rerun(config: ScenarioConfig, replicates: int, seed: int) -> Rerun:
    """Run the ensemble (with its value terms, for the Explain tab) and summarise it."""
    return Rerun(config, ensemble_view.summarise(config, replicates, seed), next(_reruns))


@dataclass(frozen=True)
class EnsembleDrawn:
    """The Ensemble tab's figures of one rerun.

    Attributes:
        source: The rerun they were drawn from.
        trajectories: PNG of pressure, trust and survival.
        status: PNG of the status shares.
        draw_seconds: Wall time of drawing both figures.
    """

    source: Rerun
    trajectories: bytes
    status: bytes
    draw_seconds: float


def draw_ensemble(source: Rerun) -> EnsembleDrawn:
    """Draw the Ensemble tab's two figures of a rerun, timing it."""
    started = time.perf_counter()
    trajectories = ensemble_view.draw_trajectories(source.summary)
    status = ensemble_view.draw_status(source.summary)
    return EnsembleDrawn(source, trajectories, status, time.perf_counter() - started)


@dataclass(frozen=True)
class ExplainDrawn:
    """The Explain tab's drawing of one rerun: the decomposition figure and the unforced replay.

    Attributes:
        source: The rerun it was drawn from.
        terms: PNG of the named terms over time, per member.
        replay: Rows of the unforced replay (`explain_view.replay_rows`).
        replay_seconds: Wall time of the replay's ensemble run.
        draw_seconds: Wall time of drawing the decomposition.
    """

    source: Rerun
    terms: bytes
    replay: list[tuple[str, ...]]
    replay_seconds: float
    draw_seconds: float


def draw_explain(source: Rerun) -> ExplainDrawn:
    """The decomposition of a rerun's own replicates (no extra run) drawn, and the unforced replay run."""
    summary = source.summary
    started = time.perf_counter()
    replay = explain_view.run_replay(source.config, summary.replicates, summary.seed)
    replayed = time.perf_counter()
    explained = explain_view.explanation(
        source.config, summary.decomposition, replicates=summary.replicates, seed=summary.seed, replay=replay
    )
    terms = explain_view.draw_terms(explained)
    return ExplainDrawn(
        source, terms, explain_view.replay_rows(explained), replayed - started, time.perf_counter() - replayed
    )


@dataclass(frozen=True)
class Knockouts:
    """A knock-out table computed on demand, with the settings it is for.

    Attributes:
        key: The page settings it was computed for.
        replicates: Replicates per arm.
        seed: Root seed.
        rows: Its rows in words (`explain_view.knockout_rows`).
        figure: PNG of its forest plot.
        seconds: Wall time of computing it.
    """

    key: str
    replicates: int
    seed: int
    rows: list[tuple[str, ...]]
    figure: bytes
    seconds: float


def compute_knockouts(
    config: ScenarioConfig, key: str, replicates: int, seed: int, progress: explain_view.Progress | None = None
) -> Knockouts:
    """Run the knock-out table for the page's settings (one ensemble per arm) and draw it."""
    started = time.perf_counter()
    table = explain_view.run_knockouts(config, replicates, seed, progress)
    explained = explain_view.explanation(config, None, replicates=replicates, seed=seed, knockouts=table)
    seconds = time.perf_counter() - started
    return Knockouts(
        key, replicates, seed, explain_view.knockout_rows(explained), explain_view.draw_knockouts(explained), seconds
    )


# --- Page state (one copy per browser tab) ----------------------------------------------

_start = initial_scenario()
scenario_path = solara.reactive(str(_start) if _start is not None else "")
settings: solara.Reactive[dict[str, Any]] = solara.reactive({})
replicates = solara.reactive(REPLICATES)
seed = solara.reactive(SEED)
save_target = solara.reactive("")
save_message = solara.reactive("")
path_error = solara.reactive("")
tab = solara.reactive(0)
knockout_replicates = solara.reactive(explain_view.KNOCKOUT_REPLICATES)
knockout_progress: solara.Reactive[tuple[str, int, int]] = solara.reactive(("", 0, 0))
knockouts: solara.Reactive[Knockouts | None] = solara.reactive(None)


def _set_lever(lever: levers.Lever, base_value: Any, value: Any) -> None:
    """Record a lever's new value; a value the slider snapped to the scenario's own drops the change.

    A slider holds multiples of its step, so the scenario's calibrated value (0.8176...)
    shows as the nearest step (0.82) and comes back from the browser as that step: the
    same position means the scenario's own value, exactly.
    """
    current = dict(settings.value)
    numeric = not lever.choices and isinstance(base_value, int | float)
    if (numeric and abs(float(value) - float(base_value)) <= lever.step / 2 + 1e-12) or value == base_value:
        current.pop(lever.path, None)
    else:
        current[lever.path] = value
    if current != settings.value:
        settings.set(current)


def _choose_scenario(text: str) -> None:
    path = Path(text).expanduser()
    if not path.is_file():
        path_error.set(f"no such file: {text}")
        return
    path_error.set("")
    scenario_path.set(str(path))
    settings.set({})
    save_target.set("")
    save_message.set("")


# --- Components -------------------------------------------------------------------------


@solara.component
def Hover(hover: str, path: str, children: list[Any] | None = None) -> None:
    """A block whose tooltip (the HTML title) shows a lever's dotted path and meaning."""
    solara.v.Html(tag="div", attributes={"title": hover, "data-path": path}, children=children or [])


@solara.component
def LeverControl(lever: levers.Lever, base_value: Any, value: Any) -> None:
    """One lever: its words and value above a slider (or a choice), its path on hover."""
    on_value: Callable[[Any], None] = lambda v: _set_lever(lever, base_value, v)  # noqa: E731
    if lever.choices:
        control = solara.Select(label=lever.label, values=list(lever.choices), value=value, on_value=on_value)
        Hover(lever.hover, lever.path, children=[control])
        return
    text = solara.Text(f"{lever.label}: {value:.3g}", style={"font-size": "0.85em"})
    slider = solara.SliderFloat(
        label="",
        value=float(value),
        min=lever.minimum,
        max=lever.maximum,
        step=lever.step,
        on_value=on_value,
        thumb_label=False,
    )
    Hover(lever.hover, lever.path, children=[solara.Column(children=[text, slider], gap="0px")])


@solara.component
def Levers(base: ScenarioConfig) -> None:
    """Every lever of the scenario, grouped as `levers_for` orders them."""
    current = settings.value
    groups: dict[str, list[levers.Lever]] = {}
    for lever in levers.levers_for(base):
        groups.setdefault(lever.group, []).append(lever)
    for group, items in groups.items():
        with solara.Details(group, expand=group != "Hazards"):
            for lever in items:
                base_value = levers.value_at(base, lever.path)
                LeverControl(lever, base_value, current.get(lever.path, base_value))
    solara.Button("Back to the scenario's values", text=True, on_click=lambda: settings.set({}))


@solara.component
def ScenarioPicker(choices: list[Path]) -> None:
    """Pick a bundled scenario, or type the path of any scenario file."""
    labels = [display(p) for p in choices]
    current = display(Path(scenario_path.value)) if scenario_path.value else None
    solara.Select(
        label="Scenario",
        values=labels if current in labels or current is None else [current, *labels],
        value=current,
        on_value=lambda label: _choose_scenario(str(choices[labels.index(label)]) if label in labels else label),
    )
    solara.InputText("Or a scenario file path", value="", on_value=_choose_scenario, continuous_update=False)
    if path_error.value:
        solara.Error(path_error.value, dense=True)


@solara.component
def SaveWhatIf(base_path: Path, base: ScenarioConfig) -> None:
    """The save button: the changed settings as a what-if that extends the scenario."""
    changes = levers.changed(base, settings.value)
    target_text = save_target.value or display(default_target(base_path))

    def save() -> None:
        target = Path(target_text).expanduser()
        try:
            whatif.save_what_if(base_path, target, changes, name=f"What-if: {base.name} (from the app)")
            reloaded = load_scenario(target)
            mismatched = [p for p, v in changes.items() if levers.changed(reloaded, {p: v}, tolerance=1e-6)]
        except InputError as exc:
            save_message.set(f"error: {exc}")
            return
        if mismatched:
            save_message.set(f"error: saved {target}, but it does not reproduce {', '.join(mismatched)}")
            return
        count = f"{len(changes)} changed value" + ("" if len(changes) == 1 else "s")
        save_message.set(f"Saved {target} ({count}); it loads and reproduces them.")

    with solara.Card("Save these settings as a what-if", margin=0):
        with solara.Row(style={"align-items": "center"}):
            solara.InputText("What-if file", value=target_text, on_value=save_target.set, continuous_update=True)
            solara.Button("Save as what-if", color="primary", on_click=save)
        if changes:
            shown = (f"{p} = {v:.3g}" if isinstance(v, float) else f"{p} = {v}" for p, v in changes.items())
            solara.Text("Changed: " + ", ".join(shown))
        else:
            solara.Text("No value differs from the scenario yet.")
        if save_message.value:
            (solara.Error if save_message.value.startswith("error") else solara.Success)(save_message.value, dense=True)


@solara.component
def EnsembleControls() -> None:
    """The replicates and the root seed of the ensemble (shared by the Ensemble and Explain tabs)."""
    with solara.Row(style={"align-items": "center"}):
        solara.SliderInt("Replicates", value=replicates, min=50, max=1000, step=50)
        solara.InputInt("Root seed", value=seed, continuous_update=False)


def use_drawing[T](result: Rerun | None, active: bool, draw: Callable[[Rerun], T]) -> Any:
    """A tab's drawing of the latest rerun, as a task: drawn while the tab is shown, kept while it is not.

    A tab that is not shown draws nothing (a lever then costs only the rerun and the shown
    tab's figures); it draws the latest rerun when it is shown again. The task's `latest`
    is the drawing (an object with a `source` rerun), or None before the first one.
    """
    cache: Any = solara.use_ref(None)  # .current: the latest drawing, with its source rerun

    def drawn() -> T | None:
        if result is None:
            return None
        if cache.current is not None and cache.current.source is result:
            return cache.current
        if not active:
            return cache.current
        cache.current = draw(result)
        return cache.current

    number = result.number if result is not None else 0
    return solara.lab.use_task(drawn, dependencies=[number, active], prefer_threaded=True, raise_error=False)


@solara.component
def EnsembleView(task: Any, active: bool) -> None:
    """The ensemble's figures: pressure and trust with bands, survival, status shares."""
    result: Rerun | None = task.latest
    drawing = use_drawing(result, active, draw_ensemble)
    EnsembleControls()
    for failed in (task, drawing):
        if failed.error:
            solara.Error(f"error: {failed.exception}")
    solara.ProgressLinear(bool(task.pending or drawing.pending))
    shown: EnsembleDrawn | None = drawing.latest
    if shown is None:
        solara.Text("Running the ensemble...")
        return
    summary = shown.source.summary
    heg = summary.hegemon
    final = ", ".join(
        f"{name} {100 * d:.0f}% disengaged / {100 * w:.0f}% withdrawn"
        for j, (name, (d, w)) in enumerate(zip(summary.names, summary.final_share.values(), strict=True))
        if j != heg
    )
    solara.HTML(
        tag="p",
        unsafe_innerHTML=f"<b>{summary.replicates} replicates</b> rerun in {summary.seconds:.2f} s and drawn in "
        f"{shown.draw_seconds:.2f} s. At the horizon: {escape(final)}.",
        classes=["ensemble-caption"],
        style={"font-size": "0.9em"},
    )
    solara.Image(shown.trajectories, format="png", width="100%", classes=["ensemble-trajectories"])
    solara.Image(shown.status, format="png", width="100%", classes=["ensemble-status"])


def html_table(headers: tuple[str, ...], rows: Sequence[tuple[str, ...]], css_class: str) -> None:
    """A small HTML table (text escaped), styled like the rest of the page."""
    cell = "padding: 1px 8px; border-bottom: 1px solid #ddd; text-align: left; vertical-align: top"
    head = "".join(f'<th style="{cell}">{escape(h)}</th>' for h in headers)
    body = "".join("<tr>" + "".join(f'<td style="{cell}">{escape(v)}</td>' for v in row) + "</tr>" for row in rows)
    solara.HTML(
        tag="div",
        unsafe_innerHTML=f'<table class="{css_class}" style="border-collapse: collapse; font-size: 0.85em">'
        f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>",
    )


def _run_figure(model: AllianceModel) -> bytes:
    """This run's pressure so far, one line per member, as a PNG."""
    fig = Figure(figsize=(7.5, 2.6))
    fig.subplots_adjust(left=0.08, right=0.98, top=0.88, bottom=0.14)
    FigureCanvasAgg(fig)
    ax = fig.subplots()
    rows = model.steps + 1 if model.steps < model.world.steps else model.world.steps + 1
    x = np.arange(rows)
    pressure = model.trace.members["pressure"][:rows]
    for agent in model.members:
        if agent.is_hegemon:
            continue
        ax.plot(x, pressure[:, agent.index], lw=1.5, color=ensemble_view.member_colour(agent.index), label=agent.name)
    ax.axhline(model.config.model.status.disengage, color="0.3", lw=0.8, ls=":")
    ax.set_xlim(0, model.world.steps)
    ax.set_title("Pressure to leave in this run (months from the start)", fontsize=10)
    ax.legend(fontsize=7, loc="upper left", frameon=False, ncol=3)
    ax.tick_params(labelsize=8)
    return ensemble_view.png(fig)


@solara.component
def OneRun(config: ScenarioConfig, key: str) -> None:
    """Step through one Mesa run: reset, play, pause, step; statuses and the event log."""
    run_seed = solara.use_reactive(SEED)
    resets = solara.use_reactive(0)
    playing = solara.use_reactive(False)
    tick = solara.use_reactive(0)
    model: AllianceModel = solara.use_memo(
        lambda: AllianceModel(config, rng=run_seed.value), dependencies=[key, run_seed.value, resets.value]
    )

    def step() -> None:
        if model.running:
            model.step()
            tick.set(tick.value + 1)

    def play() -> None:
        while playing.value and model.running:
            time.sleep(PLAY_INTERVAL)
            if not playing.value:
                break
            step()
        playing.set(False)

    solara.lab.use_task(play, dependencies=[playing.value, id(model)], prefer_threaded=True)

    def reset() -> None:
        playing.set(False)
        resets.set(resets.value + 1)
        tick.set(0)

    with solara.Row(style={"align-items": "center"}):
        solara.Button("Reset", color="primary", on_click=reset)
        solara.Button(
            "❚❚ Pause" if playing.value else "▶ Play",
            color="primary",
            on_click=lambda: playing.set(not playing.value),
            disabled=not model.running,
        )
        solara.Button("Step", color="primary", on_click=step, disabled=playing.value or not model.running)
        solara.InputInt("Seed of this run", value=run_seed, continuous_update=False)
        month = model.world.month(model.steps - 1) if model.steps > 0 else "before " + model.world.month(0)
        solara.HTML(tag="span", unsafe_innerHTML=f"<b>Month {model.steps} of {model.world.steps}</b> ({month})")
    png = solara.use_memo(lambda: _run_figure(model), dependencies=[id(model), tick.value])
    with solara.Columns([2, 1]):
        solara.Image(png, format="png", width="100%", classes=["run-figure"])
        rows = [
            (a.name, a.status, f"{a.pressure:.2f}", "" if a.is_hegemon else f"{a.trust_in_hegemon:.2f}")
            for a in model.members
        ]
        hegemon = next((a.name for a in model.members if a.is_hegemon), "the hegemon")
        html_table(("member", "status", "pressure", f"trust in {hegemon}"), rows, "member-status")
    log = model.event_log[::-1][:40]
    if not log:
        solara.Text("No event yet: press Step or Play.")
        return
    solara.HTML(tag="p", unsafe_innerHTML=f"<b>Event log</b> (newest first, {len(model.event_log)} so far)")
    columns = ("month", "kind", "event", "target", "answer", "note")
    html_table(columns, [tuple(str(e[c]) for c in columns) for e in log], "event-log")


@solara.component
def ExplainView(config: ScenarioConfig, key: str, task: Any, active: bool) -> None:
    """`alliance-sim explain` for the current settings: named terms, knock-outs on demand, replay.

    The decomposition is that of the Ensemble tab's own replicates (the ensemble runs with
    its terms), so a lever costs no extra run here; it is drawn, and the unforced replay
    run, only while this tab is shown. The knock-out table runs one ensemble per arm, so it
    waits for its button.
    """
    result: Rerun | None = task.latest
    drawing = use_drawing(result, active, draw_explain)
    arms = explain_view.arm_count(config)
    n_ko, s_ko = knockout_replicates.value, seed.value

    def run_knockouts() -> None:
        knockout_progress.set(("baseline", 0, arms + 1))
        knockouts.set(compute_knockouts(config, key, n_ko, s_ko, lambda *step: knockout_progress.set(step)))

    knocking = solara.lab.use_task(run_knockouts, dependencies=None, prefer_threaded=True, raise_error=False)
    EnsembleControls()
    if task.error:
        solara.Error(f"error: {task.exception}")
    if drawing.error:
        solara.Error(f"error: {drawing.exception}")
    solara.ProgressLinear(bool(task.pending or drawing.pending))
    shown: ExplainDrawn | None = drawing.latest
    if shown is None:
        solara.Text("Drawing the decomposition...")
    else:
        summary = shown.source.summary
        solara.HTML(
            tag="p",
            unsafe_innerHTML=f"<b>What pushes each member out and holds it in</b>: the named terms of its value of "
            f"leaving (above zero) and of staying (below zero), means of the Ensemble tab's "
            f"<b>{summary.replicates} replicates</b> (seed {summary.seed}; no extra run), drawn in "
            f"{shown.draw_seconds:.2f} s. The numbered lines are the scripted events.",
            classes=["explain-caption"],
            style={"font-size": "0.9em"},
        )
        solara.Image(shown.terms, format="png", width="100%", classes=["explain-terms"])
        solara.HTML(
            tag="p",
            unsafe_innerHTML=f"<b>Unforced replay</b>: the reported answers not forced; how often the decision rule "
            f"alone gives them ({summary.replicates} replicates, {shown.replay_seconds:.2f} s).",
            style={"font-size": "0.9em"},
        )
        if shown.replay:
            html_table(explain_view.REPLAY_HEADERS, shown.replay, "explain-replay")
        else:
            solara.Text("This scenario replays no reported answer.")
    with solara.Card("Knock-outs: each mechanism switched off, each scripted event removed", margin=0):
        with solara.Row(style={"align-items": "center"}):
            solara.SliderInt("Replicates per arm", value=knockout_replicates, min=50, max=1000, step=50)
            solara.Button(
                f"Compute the knock-out table ({arms} arms + baseline, {n_ko} replicates each)",
                color="primary",
                on_click=knocking,
                disabled=bool(knocking.pending),
            )
        if knocking.pending:
            name, done, total = knockout_progress.value
            solara.ProgressLinear(100.0 * done / max(total, 1))
            last = f" (last: {name})" if done else ""
            solara.Text(f"{done} of {total} ensembles done{last}", classes=["knockout-progress"])
        if knocking.error:
            solara.Error(f"error: {knocking.exception}")
        table = knockouts.value
        if table is None:
            solara.Text(
                f"Runs one ensemble per arm with the same seeds (common random numbers): {arms + 1} ensembles of "
                f"{n_ko} replicates. It is what alliance-sim explain prints."
            )
        elif table.key != key:
            solara.Warning("The levers moved since the last knock-out table: press the button to recompute it.")
        else:
            solara.HTML(
                tag="p",
                unsafe_innerHTML=f"<b>{table.replicates} replicates per arm</b> (seed {table.seed}), computed in "
                f"{table.seconds:.1f} s: per arm, the largest change it makes to a member's probability, with "
                f"its 95% interval (<code>alliance-sim explain SCENARIO --seed {table.seed} -n {table.replicates}"
                "</code> with the changed values as <code>--set</code> gives the same numbers).",
                classes=["knockout-caption"],
                style={"font-size": "0.9em"},
            )
            solara.Image(table.figure, format="png", width="100%", classes=["explain-knockouts"])
            html_table(explain_view.KNOCKOUT_HEADERS, table.rows, "explain-knockout-table")


@solara.component
def Page() -> None:
    """The whole page: controls in the sidebar; the ensemble, its explanation and one run in tabs."""
    path = Path(scenario_path.value) if scenario_path.value else None
    choices = solara.use_memo(lambda: scenario_choices(_start), dependencies=[])
    base_or_error = solara.use_memo(lambda: _load(path), dependencies=[scenario_path.value])
    solara.Title("alliance-sim")
    with solara.Sidebar(), solara.Column():
        with solara.Card("Scenario", margin=0):
            ScenarioPicker(choices)
        if isinstance(base_or_error, ScenarioConfig):
            with solara.Card("Levers", margin=0):
                Levers(base_or_error)
    if path is None:
        solara.Error("No scenario: start the page with alliance-sim app SCENARIO, or type a path in the sidebar.")
        return
    if not isinstance(base_or_error, ScenarioConfig):
        solara.Error(f"error: {base_or_error}")
        return
    base = base_or_error
    key = repr((scenario_path.value, sorted(settings.value.items())))
    try:
        config = with_overrides(base, settings.value) if settings.value else base
    except InputError as exc:
        solara.Error(f"error: {exc}")
        return
    with solara.AppBar():
        solara.AppBarTitle(f"alliance-sim: {base.name}")
    SaveWhatIf(path, base)
    Views(config, key)


@solara.component
def Views(config: ScenarioConfig, key: str) -> None:
    """The tabs: the ensemble, its explanation and one Mesa run (the first two share one rerun)."""
    n, s = replicates.value, seed.value
    task = solara.lab.use_task(
        lambda: rerun(config, n, s), dependencies=[key, n, s], prefer_threaded=True, raise_error=False
    )
    with solara.lab.Tabs(value=tab):
        with solara.lab.Tab("Ensemble"):
            EnsembleView(task, active=tab.value == ENSEMBLE_TAB)
        with solara.lab.Tab("Explain: why members leave"):
            ExplainView(config, key, task, active=tab.value == EXPLAIN_TAB)
        with solara.lab.Tab("One Mesa run, step by step"):
            OneRun(config, key)


def _load(path: Path | None) -> ScenarioConfig | str:
    if path is None:
        return "no scenario"
    try:
        return load_scenario(path)
    except InputError as exc:
        return str(exc)


# --- Serving ----------------------------------------------------------------------------


def serve(scenario: str | None, host: str = "127.0.0.1", port: int = 8765, open_browser: bool = True) -> None:
    """Start the page's Solara server and block until it stops (Ctrl-C).

    Args:
        scenario: The scenario the page opens with; None opens the calibrated baseline
            found in `scenarios/`.
        host: Interface to listen on; the default serves this machine only.
        port: Port to listen on.
        open_browser: Open the page in the default browser once the server is up.
    """
    env = dict(os.environ)
    if scenario is not None:
        env[SCENARIO_ENV] = str(Path(scenario).resolve())
    command = [
        sys.executable,
        "-W",
        "ignore:Cookies with samesite=none:UserWarning",
        "-m",
        "solara",
        "run",
        "alliance_sim.app",
        "--production",
        "--host",
        host,
        "--port",
        str(port),
        "--open" if open_browser else "--no-open",
        "--log-level",
        "warning",
    ]
    process = subprocess.Popen(command, env=env)
    try:
        process.wait()
    except KeyboardInterrupt:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
