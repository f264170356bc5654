"""Does the harness add to what it measures? Its training time against a bare loop, per backend.

    python benchmarks/overhead.py [--repeats N] [--threads T] [--epochs E] [--backends a,b,...]

For each backend, ``harness run --task moons`` and ``benchmarks/bare_loop.py``
(the same loop, model, data, dtype and initial weights, without the harness's
instruments) run alternately, each in a fresh process with the environment
``harness run`` gives its child, and each reports the wall time of its training
loop. Both must end at the same loss: a check that they trained the same thing.
Prints a markdown table: the medians with their min-max and n, and the ratio of
the medians (harness / bare). Default backends: one per family, our own
layers (torch, qiskit-shift), raw PennyLane TorchLayers (default-backprop,
lightning-adjoint, kokkos-adjoint), raw TorchConnectors (qiskit-ml and its
LinComb and reverse gradients) and raw ``tc.TorchLayer``s (tc-torch, tc-jax).
"""
from __future__ import annotations

import argparse
import json
import math
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from harness.inputs.config import RunConfig  # noqa: E402
from harness.results.provenance import allowed_cpus, cpu_model  # noqa: E402
from harness.executing.runner import child_env, run_config  # noqa: E402
from harness.results.stats import summarize  # noqa: E402

FAMILIES = {"torch": "our own layer", "qiskit-shift": "our own layer", "classical": "our own layer",
            "qiskit-ml": "raw TorchConnector", "qiskit-ml-lincomb": "raw TorchConnector",
            "qiskit-ml-reverse": "raw TorchConnector", "tc-torch": "raw tc.TorchLayer", "tc-jax": "raw tc.TorchLayer"}
DEFAULT_BACKENDS = ("torch", "qiskit-shift", "default-backprop", "lightning-adjoint", "kokkos-adjoint", "qiskit-ml",
                    "qiskit-ml-lincomb", "qiskit-ml-reverse", "tc-torch", "tc-jax")


def bare(backend: str, seed: int, threads: int, epochs: int) -> dict:
    out = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "bare_loop.py"), backend, str(seed),
                          str(threads), str(epochs)], env=child_env(threads), capture_output=True, text=True,
                         check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def measure(backends, repeats: int, threads: int, epochs: int) -> list[dict]:
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for backend in backends:
            bare_s, harness_s = [], []
            for seed in range(repeats):
                b = bare(backend, seed, threads, epochs)
                h = run_config(RunConfig(task="moons", backend=backend, seed=seed, threads=threads, epochs=epochs),
                               tmp, echo=None)
                if h["status"] != "ok":
                    raise RuntimeError(f"{backend}: harness run {h['status']}: {h['error']}")
                if not math.isclose(b["final_loss"], h["final_loss"], rel_tol=1e-6, abs_tol=1e-9):
                    raise RuntimeError(f"{backend} seed {seed}: the bare loop ended at loss {b['final_loss']}, "
                                       f"the harness at {h['final_loss']}: they did not train the same thing")
                bare_s.append(b["train_s"])
                harness_s.append(h["train_s"])
            sb, sh = summarize(bare_s), summarize(harness_s)
            rows.append({"backend": backend, "family": FAMILIES.get(backend, "raw PennyLane TorchLayer"),
                         "bare": sb, "harness": sh, "ratio": sh["median"] / sb["median"]})
    return rows


def table(rows: list[dict]) -> str:
    def cell(s):
        return f"{s['median']:.3f} ({s['min']:.3f}-{s['max']:.3f}, n={s['n']})"
    lines = ["| backend | family | bare loop, training s | harness, training s | harness / bare |",
             "| --- | --- | --- | --- | --- |"]
    lines += [f"| {r['backend']} | {r['family']} | {cell(r['bare'])} | {cell(r['harness'])} | {r['ratio']:.3f} |"
              for r in rows]
    return "\n".join(lines)


def main(argv=None) -> list[dict]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--threads", type=int, default=allowed_cpus())
    parser.add_argument("--epochs", type=int, default=6)
    parser.add_argument("--backends", default=",".join(DEFAULT_BACKENDS))
    args = parser.parse_args(argv)
    rows = measure([b for b in args.backends.split(",") if b], args.repeats, args.threads, args.epochs)
    print(f"moons, {args.epochs} epochs, {args.threads} threads, {cpu_model()}; medians (min-max, n) of "
          f"alternating fresh processes\n")
    print(table(rows))
    return rows


if __name__ == "__main__":
    main()
