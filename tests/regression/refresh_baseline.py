"""Refresh the pinned regression baseline after a change that is meant to move it.

    python tests/regression/refresh_baseline.py      (or: make baseline)

Prints what moved, then rewrites baseline.json. Commit the new file with a message that
says why the results changed.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from baseline_summary import PINNED, compute


def main() -> None:
    new = compute()
    old = json.loads(PINNED.read_text()) if PINNED.exists() else None
    if old == new:
        print(f"{PINNED} unchanged")
        return
    if old is not None:
        for member, values in new["members"].items():
            before = old.get("members", {}).get(member, {})
            for key, value in values.items():
                if before.get(key) != value:
                    print(f"{member}.{key}: {before.get(key)!r} -> {value!r}")
    PINNED.write_text(json.dumps(new, indent=2, sort_keys=True) + "\n")
    print(f"wrote {PINNED}")


if __name__ == "__main__":
    main()
