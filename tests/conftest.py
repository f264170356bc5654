import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PYTHON = sys.executable


@pytest.fixture
def run_cli(tmp_path):
    """Run `python -m harness ...` in a real child process from the project root."""
    import subprocess

    def run(*args, timeout=600, env=None):
        full_env = dict(os.environ, PYTHONPATH=str(ROOT), **(env or {}))
        return subprocess.run([PYTHON, "-m", "harness", *args], cwd=ROOT, capture_output=True, text=True,
                              timeout=timeout, env=full_env)
    return run
