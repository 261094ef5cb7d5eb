"""Runs every benchmark in this folder, one after another: `python -m benchmarks [NAME...]`.

Each benchmark is a script that compares Bawaba with the tool a user would otherwise pick and
writes `benchmarks/results/<name>.{json,md}`.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main(argv: list[str]) -> int:
    """Run the named benchmarks (all when none are named); exit non-zero if any failed."""
    names = argv or sorted(p.stem for p in HERE.glob("*.py") if not p.stem.startswith("_"))
    failed = []
    for name in names:
        print(f"== benchmarks/{name}.py", flush=True)
        # -P: the script's folder is not put first on sys.path, so benchmarks/queue.py (named by
        # issue 4) cannot shadow the standard library's `queue` in the other benchmarks.
        env = {**os.environ, "PYTHONPATH": str(HERE.parent)}
        cmd = [sys.executable, "-P", str(HERE / f"{name}.py")]
        if subprocess.run(cmd, cwd=HERE.parent, env=env, check=False).returncode != 0:
            failed.append(name)
    if failed:
        print("failed:", ", ".join(failed), file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
