"""Wall time and peak memory of one command, in a fresh process of its own.

`python -m bench.peak OUT -- COMMAND...` runs COMMAND, waits for it, and writes to OUT
`{"seconds", "peak_rss_mib", "returncode"}`: the peak is `getrusage(RUSAGE_CHILDREN).ru_maxrss`
of this small process, whose only child is COMMAND. (A process reading its own `ru_maxrss`
reports its parent's high-water mark when that is higher: on Linux a child inherits the peak of
the memory it was forked from. This process is fresh and small, so the figure is COMMAND's own.)
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Measured:
    seconds: float
    peak_rss_mib: float
    stdout: str


def measured(command: list[str], env: dict[str, str] | None = None) -> Measured:
    """Run `command` (from the project's root) through this module: its wall time, its own peak
    RSS and its stdout."""
    with tempfile.TemporaryDirectory(prefix="radar-peak-") as folder:
        out = Path(folder) / "figures.json"
        done = subprocess.run(
            [sys.executable, "-m", "bench.peak", str(out), "--", *command],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        figures = json.loads(out.read_text()) if out.exists() else {}
    if done.returncode != 0 or figures.get("returncode") != 0:
        raise RuntimeError(f"{' '.join(command[:5])} … failed:\n{done.stderr[-3000:]}")
    return Measured(figures["seconds"], figures["peak_rss_mib"], done.stdout)


def main() -> None:
    out, separator, *command = sys.argv[1:]
    assert separator == "--", "usage: python -m bench.peak OUT -- COMMAND..."
    started = time.perf_counter()
    returncode = subprocess.call(command)
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024  # KiB on Linux
    Path(out).write_text(json.dumps({"seconds": seconds, "peak_rss_mib": peak, "returncode": returncode}))


if __name__ == "__main__":
    main()
