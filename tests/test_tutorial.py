"""The TorchConnector tutorial's Part 1 tasks against the tutorial's own printed numbers.

The tutorial draws its data and initial weights from ``np.random.default_rng(42)``
and prints them, and it prints every loss its LBFGS closure evaluates. With
seed 42 the harness must reproduce those: its data stream gives the printed
weights, and the `torch` reference trains `tutorial-classify` and
`tutorial-regress` through the very loss sequences the tutorial printed (it
evaluates exactly, on Aer's statevector). `tutorial-parity` follows the printed
losses for five evaluations; after that LBFGS (no line search, lr 1) amplifies
float32 rounding differences, so only the start is compared.
"""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from harness.measuring.closure import needs_closure
from harness.inputs.config import RunConfig
from harness.datasets.tutorial import load_tutorial_classification, load_tutorial_regression
from harness.measuring.train import train
from harness.measuring.weights import initial_weights
from backends import make_circuit

# printed by the tutorial (qiskit-machine-learning's TorchConnector tutorial): initial weights, and each loss its closure evaluated
TUTORIAL_WEIGHTS = {
    "tutorial-classify": [-0.01256962, 0.06653564, 0.04005302, -0.03752667, 0.06645196, 0.06095287,
                          -0.02250432, -0.04233438],
    "tutorial-parity": [0.0364991, -0.0720495, -0.06001836, -0.09852755],
}
CLASSIFY_LOSSES = [25.535646438598633, 22.696760177612305, 20.039228439331055, 19.68790626525879,
                   19.267210006713867, 19.025371551513672, 18.154708862304688, 17.33785629272461,
                   19.082544326782227, 17.07332420349121, 16.21839141845703, 14.992581367492676,
                   14.929339408874512, 14.914534568786621, 14.907638549804688, 14.902363777160645,
                   14.902134895324707, 14.90211009979248, 14.902111053466797]
PARITY_FIRST_LOSSES = [0.6925069093704224, 0.6881508231163025, 0.6516684293746948, 0.6485998034477234,
                       0.6394745111465454]
REGRESS_LOSSES = [14.947757720947266, 2.948650360107422, 8.952412605285645, 0.37905153632164,
                  0.24995625019073486, 0.2483610212802887, 0.24835753440856934]


def _train(task, backend="torch", seed=42, **kw):
    cfg = RunConfig(task=task, backend=backend, seed=seed, threads=1, **kw).resolve()
    return train(cfg, setup_started=0.0, progress=lambda msg: None)


@pytest.mark.parametrize("circuit", list(TUTORIAL_WEIGHTS))
def test_seed_42_draws_the_tutorials_printed_initial_weights(circuit):
    got = initial_weights(make_circuit(circuit), 42, "tutorial").double().numpy()
    np.testing.assert_allclose(got, TUTORIAL_WEIGHTS[circuit], atol=5e-9)
    other = initial_weights(make_circuit(circuit), 43, "tutorial").double().numpy()
    assert not np.allclose(other, got) and np.abs(other).max() <= 0.1


def test_tutorial_data_and_its_separate_test_draw():
    (X, y), (Xt, yt) = load_tutorial_classification(seed=42)
    assert X.shape == Xt.shape == (20, 2) and X.dtype == torch.float32 and y.dtype == torch.int64
    # the tutorial's first point, 2 u - 1 from default_rng(42), and its label rule x0 + x1 >= 0
    np.testing.assert_allclose(X[0].numpy(), [0.5479121, -0.12224312], atol=1e-7)
    assert torch.equal(y, (X.sum(dim=1) >= 0).long()) and torch.equal(yt, (Xt.sum(dim=1) >= 0).long())
    assert not torch.isin(Xt, X).any()                   # a separate draw, not a split
    assert bool(((X >= -1) & (X <= 1)).all())
    (R, ry), (Rt, ryt) = load_tutorial_regression(seed=42)
    assert R.shape == ry.shape == Rt.shape == ryt.shape == (20, 1)
    assert float((ry - torch.sin(R)).abs().max()) <= 0.2 and float((ryt - torch.sin(Rt)).abs().max()) <= 0.2
    assert bool(((R >= -math.pi) & (R <= math.pi)).all())


def test_optimisers_needing_a_closure_are_recognised():
    p = [torch.zeros(1, requires_grad=True)]
    assert needs_closure(torch.optim.LBFGS(p))
    assert not needs_closure(torch.optim.Adam(p)) and not needs_closure(torch.optim.SGD(p, lr=0.1))


def test_classify_reproduces_the_tutorials_losses_and_accuracy():
    f = _train("tutorial-classify")
    np.testing.assert_allclose(f["function_eval_losses"], CLASSIFY_LOSSES, rtol=2e-5)
    assert f["train_accuracy"] == 0.8                   # "Accuracy: 0.8", on its training points
    # one LBFGS step holding all 19 evaluations
    assert f["steps"] == 1 and f["function_evals"] == 19 and f["function_evals_per_step"] == [19]
    assert f["final_loss"] == pytest.approx(CLASSIFY_LOSSES[-1], rel=2e-5)
    assert f["first_function_eval_s"] > 0 and 0 < f["steady_function_eval_s"] < f["train_s"]
    # work per evaluation: the 20 points, each one circuit; autograd simulates nothing more
    assert (f["value_executions_per_eval"], f["gradient_executions_per_eval"]) == (20, 0)
    assert f["test_accuracy"] is not None and len(f["test_points"]["prediction"]) == 20


def test_regress_reproduces_the_tutorials_losses_and_reports_mse():
    f = _train("tutorial-regress")
    np.testing.assert_allclose(f["function_eval_losses"], REGRESS_LOSSES, rtol=2e-5)
    assert f["train_accuracy"] is None and f["test_accuracy"] is None
    # the fit is cos(x + w): one weight explains every test prediction
    pts = f["test_points"]
    x, pred = np.array(pts["x"]), np.array(pts["prediction"])
    shifts = np.array([np.arccos(np.clip(p, -1, 1)) for p in pred])
    candidates = [s - xi for s, xi in zip(shifts, x)] + [-s - xi for s, xi in zip(shifts, x)]
    best = min(candidates, key=lambda c: np.abs(np.cos(x + c) - pred).max())
    assert np.abs(np.cos(x + best) - pred).max() < 1e-5
    # a sine through noise of half-width 0.2: MSE near the noise variance 0.2**2 / 3
    assert 0.005 < f["test_mse"] < 0.03 and 0.005 < f["train_mse"] < 0.03
    assert len(f["fit_curve"]["x"]) == len(f["fit_curve"]["y"]) == 50


def test_parity_follows_the_tutorials_first_losses():
    f = _train("tutorial-parity")
    np.testing.assert_allclose(f["function_eval_losses"][:5], PARITY_FIRST_LOSSES, rtol=2e-5)
    assert f["function_evals"] == 20                  # the tutorial's closure printed 20 losses too
    probs = np.array(f["test_points"]["prediction"])
    assert probs.shape == (20,) and set(probs) <= {0, 1}


def test_closure_steps_per_batch_and_epoch():
    f = _train("tutorial-regress", seed=1, epochs=2, batch_size=10)
    assert f["steps"] == 4 and len(f["function_evals_per_step"]) == 4 and len(f["loss_per_epoch"]) == 2
    assert sum(f["function_evals_per_step"]) == f["function_evals"] == len(f["function_eval_losses"])
    assert all(1 <= n <= 25 for n in f["function_evals_per_step"])        # LBFGS's max_eval


def test_mnist_tutorial_network_is_the_tutorials():
    """Part 2's Net: Conv2d(1, 2, 5), Conv2d(2, 16, 5), Linear(256, 64), Linear(64, 2), QNN, Linear(1, 1)."""
    from harness.tasks import mnist, task_spec

    circuit = make_circuit("tutorial")
    cfg = RunConfig(task="mnist01", circuit="tutorial").resolve()
    from backends import build_layer
    layer = build_layer("torch", circuit, initial_weights(circuit, 0, task_spec("mnist01").weights))
    model = mnist.build_model(cfg, circuit, layer)
    shapes = [(name, tuple(p.shape)) for name, p in model.named_parameters()]
    assert shapes == [("conv1.weight", (2, 1, 5, 5)), ("conv1.bias", (2,)), ("conv2.weight", (16, 2, 5, 5)),
                      ("conv2.bias", (16,)), ("fc1.weight", (64, 256)), ("fc1.bias", (64,)),
                      ("fc2.weight", (2, 64)), ("fc2.bias", (2,)), ("quantum.weights", (4,)),
                      ("fc3.weight", (1, 1)), ("fc3.bias", (1,))]
    assert isinstance(mnist.optimizer(model.parameters(), cfg.lr), torch.optim.Adam) and cfg.lr == 0.001
    # TorchConnector's own default draw: uniform in [-1, 1)
    w = layer.weights.detach()
    assert bool(((w >= -1) & (w < 1)).all()) and bool((w < 0).any())
    out = model(torch.rand(3, 1, 28, 28))
    assert out.shape == (3, 2) and torch.allclose(out.sum(dim=1), torch.ones(3))
    # the textbook's network keeps its six channels
    textbook = mnist.build_model(cfg, make_circuit("textbook"), torch.nn.Identity())
    assert tuple(textbook.conv1.weight.shape) == (6, 1, 5, 5)


def test_run_tutorial_regress_on_qiskit_shift_as_a_new_user_would(run_cli, tmp_path):
    import json

    result = run_cli("run", "--backend", "qiskit-shift", "--task", "tutorial-regress", "--threads", "1",
                     "--results", str(tmp_path), "--json")
    assert result.returncode == 0, result.stderr
    row = json.loads(result.stdout)
    assert row["test_accuracy"] is None and 0.005 < row["test_mse"] < 0.03
    assert "mean squared error train" in result.stderr and "function evaluations" in result.stderr


def test_report_shows_mse_for_regression_and_plots_the_predictions(tmp_path):
    from harness.reporting.render import write
    from harness.reporting.report import build_report
    from harness.executing.runner import run_config

    for task in ("tutorial-regress", "tutorial-classify"):
        row = run_config(RunConfig(task=task, backend="torch", seed=42, threads=1), tmp_path, echo=None)
        assert row["status"] == "ok", row["error"]
    report = build_report(tmp_path, include_busy=True)     # quality, not time: a busy machine changes neither
    s = report.summary.set_index("task")
    assert math.isnan(s.loc["tutorial-regress", "test_accuracy"]) and s.loc["tutorial-regress", "test_mse"] < 0.03
    assert s.loc["tutorial-classify", "test_accuracy"] == 0.8 and math.isnan(s.loc["tutorial-classify", "test_mse"])
    md = write(report, tmp_path / "report", "md").read_text()
    accuracy = md.split("## Accuracy")[1].split("\n## ")[0]
    head, torch_row = [line for line in accuracy.splitlines() if line.startswith("| backend") or line.startswith("| torch")]
    cells = dict(zip([c.strip() for c in head.split("|")], [c.strip() for c in torch_row.split("|")]))
    assert cells["tutorial-regress"].startswith("MSE 0.0") and cells["tutorial-classify"] == "80.0% (n=1)"
    for task in ("tutorial-regress", "tutorial-classify"):
        assert f"predictions_{task}.png" in md and (tmp_path / "report" / f"predictions_{task}.png").stat().st_size > 1000
