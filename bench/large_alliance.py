"""A synthetic alliance of N members, and what it costs the ensemble to run it.

    python bench/large_alliance.py write 32 OUT.yaml         # write a 32-member scenario
    python bench/large_alliance.py run 32 10000               # one ensemble run, in this process:
                                                              #   us per replicate-step and peak memory
    python bench/large_alliance.py compare 6 32 --replicates 2000
                                                              # each size in a fresh process, and the ratio
    python bench/large_alliance.py run 0 100000 --scenario scenarios/csto_2022.yaml
                                                              # the same measure on any scenario file

The scenario is NATO-sized when N = 32: a hegemon, a ring of frontier members exposed to a
hostile neighbour, a middle tier and a sheltered core, four outside actors (the neighbour,
a second rival, two patrons), a calendar of the CSTO's shape (a war drain, attacks with
requests, an offer, a border clash between members, a yearly summit where every member
may renew its request) and monthly hazards on the frontier. Values are illustrative; the
structure, not the numbers, is what costs time.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from memory_sweep import peak_kb  # noqa: E402


def scenario(members: int, months: int = 60) -> dict:
    """The scenario of an alliance of `members` members (at least 4), as YAML-ready data."""
    if members < 4:
        raise ValueError("a synthetic alliance needs at least 4 members")
    ids = [f"m{i:02d}" for i in range(members)]
    hub = ids[0]
    frontier = ids[1 : 1 + max(1, members // 4)]
    actors: dict[str, dict] = {
        hub: {
            "name": "Hub",
            "power": 0.3,
            "capacity": 0.6,
            "offense": 0.6,
            "trust_prior": 0.6,
            "relations": {"rival": {"proximity": 0.4, "hostility": 0.3}},
        }
    }
    for i, member in enumerate(ids[1:], start=1):
        tier = i % 3
        relations: dict[str, dict] = {}
        if member in frontier:
            relations["rival"] = {"proximity": 1.0, "hostility": 0.3 + 0.02 * (i % 5)}
        if tier == 1:
            relations["patron_east"] = {"option": 0.2}
        if tier == 2:
            relations["patron_west"] = {"option": 0.25, "ties": 0.2}
        if i % 7 == 0:
            relations["raider"] = {"proximity": 0.8, "hostility": 0.2}
        actors[member] = {
            "name": f"Member {i}",
            "power": round(0.002 + 0.004 * ((i * 37) % 11) / 10, 5),
            "dependence": round(0.3 + 0.1 * (i % 5), 2),
            "regime_security": round(0.2 + 0.1 * (i % 4), 2),
            "outside_option": round(0.15 + 0.05 * (i % 3), 2),
            "domestic_pressure": round(0.05 * (i % 4), 2),
            "sovereignty_cost": round(0.1 + 0.05 * (i % 3), 2),
            "war_exposure": round(0.1 * (i % 3), 2),
            **({"relations": relations} if relations else {}),
        }
    actors["rival"] = {"name": "Rival", "kind": "outside", "power": 0.2, "offense": 0.7}
    actors["raider"] = {"name": "Raider", "kind": "outside", "power": 0.01, "offense": 0.6}
    actors["patron_east"] = {"name": "Patron East", "kind": "outside", "power": 0.15}
    actors["patron_west"] = {"name": "Patron West", "kind": "outside", "power": 0.25}

    start_year = 2030

    def month(step: int) -> str:
        return f"{start_year + step // 12}-{step % 12 + 1:02d}"

    events: list[dict] = [
        {"id": "drain", "type": "war_drain", "month": month(2), "severity": 0.3},
        {"id": "probe", "type": "attack", "month": month(5), "source": "rival", "target": frontier[0], "severity": 0.5},
        {"id": "offer", "type": "outside_offer", "month": month(8), "source": "patron_west", "target": ids[2]},
        {"id": "clash", "type": "border_clash", "month": month(13), "source": ids[3], "target": ids[1]},
    ]
    events += [{"id": f"summit_{y}", "type": "summit", "month": month(12 * y + 11)} for y in range(months // 12)]
    hazards: list[dict] = [
        {"id": f"raids_{m}", "type": "attack", "source": "rival", "target": m, "monthly_rate": 0.02, "severity": 0.4}
        for m in frontier
    ]
    hazards += [
        {"id": "protests", "type": "protest", "target": ids[-1], "monthly_rate": 0.05, "severity": 0.3},
        {"id": "unrest", "type": "regime_crisis", "target": ids[-2], "monthly_rate": 0.02, "severity": 0.5},
        {"id": "courting", "type": "outside_offer", "source": "patron_east", "target": ids[1], "monthly_rate": 0.02},
    ]
    return {
        "name": f"Benchmark: a synthetic alliance of {members} members",
        "alliance": {"name": "Synthetic Pact", "hegemon": hub, "decision_rule": "consensus"},
        "time": {"start": f"{start_year}-01", "horizon_months": months},
        "actors": actors,
        "events": events,
        "hazards": hazards,
    }


def write(members: int, out: Path, months: int = 60) -> Path:
    """Write the scenario of `members` members to `out`."""
    out.write_text(yaml.safe_dump(scenario(members, months), sort_keys=False))
    return out


def run(members: int, replicates: int, months: int = 60, path: Path | None = None) -> dict:
    """One ensemble run of `replicates` replicates in this process: its cost and this process's peak memory.

    The scenario is the synthetic alliance of `members` members, or the file `path`.
    """
    from alliance_sim.core.ensemble import run_ensemble
    from alliance_sim.core.world import compile_timeline
    from alliance_sim.evidence import load_scenario

    with tempfile.TemporaryDirectory() as folder:
        path = path or write(members, Path(folder) / f"alliance_{members}.yaml", months)
        timeline = compile_timeline(load_scenario(path))
    world = timeline[0][1]
    run_ensemble(timeline, range(4))  # compile (or load) the kernels
    try:
        from alliance_sim.core.kernels import backend
    except ImportError:  # a version without compiled kernels
        backend = lambda: "none"  # noqa: E731
    cpu, wall = time.process_time(), time.perf_counter()
    run_ensemble(timeline, range(replicates))
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    steps = replicates * world.steps
    return {
        "members": world.m,
        "actors": world.n,
        "replicates": replicates,
        "months": world.steps,
        "random_columns": world.columns,
        "kernels": backend(),
        "us_per_replicate_step_cpu": cpu / steps * 1e6,
        "us_per_replicate_step_wall": wall / steps * 1e6,
        "peak_mb": peak_kb() / 1024,
    }


def compare(small: int, large: int, replicates: int) -> None:
    """Run each size in a fresh process (its own peak memory) and print the ratio of their costs."""
    rows = []
    for members in (small, large):
        done = subprocess.run(
            [sys.executable, __file__, "run", str(members), str(replicates)],
            capture_output=True,
            text=True,
            check=True,
        )
        rows.append(json.loads(done.stdout.strip().splitlines()[-1]))
        print(json.dumps(rows[-1]))
    ratio = rows[1]["us_per_replicate_step_cpu"] / rows[0]["us_per_replicate_step_cpu"]
    print(f"{large} members vs {small}: {ratio:.1f}x the cost per replicate-step (target <= 30x)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    to_write = commands.add_parser("write")
    to_write.add_argument("members", type=int)
    to_write.add_argument("out", type=Path)
    to_run = commands.add_parser("run")
    to_run.add_argument("members", type=int)
    to_run.add_argument("replicates", type=int)
    to_run.add_argument("--scenario", type=Path, help="a scenario file instead of the synthetic alliance")
    to_compare = commands.add_parser("compare")
    to_compare.add_argument("small", type=int)
    to_compare.add_argument("large", type=int)
    to_compare.add_argument("--replicates", type=int, default=2000)
    args = parser.parse_args()
    if args.command == "write":
        print(write(args.members, args.out))
    elif args.command == "run":
        print(json.dumps(run(args.members, args.replicates, path=args.scenario)))
    else:
        compare(args.small, args.large, args.replicates)


if __name__ == "__main__":
    main()
