"""Does the harness add to what it measures? A bare script against `harness run`, side by side.

Runs benchmarks/bare_moons.py and `python -m harness run --backend
default-backprop --task moons` alternately, each in a fresh process with the
same thread environment, and compares the training wall times they report.
Usage: python benchmarks/overhead.py [repeats]   (default 5)
"""
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from harness.config import RunConfig  # noqa: E402
from harness.runner import child_env, run_config  # noqa: E402


def main(repeats: int) -> None:
    bare, harness = [], []
    env = child_env(threads=2)
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(repeats):
            out = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "bare_moons.py"), str(i)],
                                 env=env, capture_output=True, text=True, check=True)
            bare.append(json.loads(out.stdout.strip().splitlines()[-1])["train_s"])
            row = run_config(RunConfig(task="moons", backend="default-backprop", seed=i, threads=2), tmp,
                             echo=None)
            harness.append(row["train_s"])
    b, h = statistics.median(bare), statistics.median(harness)
    print(json.dumps({"bare_train_s": bare, "harness_train_s": harness, "bare_median_s": b,
                      "harness_median_s": h, "harness_over_bare": h / b}, indent=1))


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 5)
