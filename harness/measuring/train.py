"""The training loop and its measurements, run inside the child process.

The loop never knows which backend it holds. Time inside the quantum layer is
measured apart from the classical layers: forward by timing the call, backward
by two autograd markers around the layer (the gradient reaches the layer's
output when its backward starts and its input when it ends).
"""
from __future__ import annotations

import statistics
import sys
import time

import torch
from torch import nn

from backends import UserError, backend_spec, build_layer
from backends.sources import load_source

from harness.datasets import cache as data_cache

from harness.measuring import EVAL_BATCH, load, marks, probe
from harness.results import stats
from harness.measuring.closure import ClosureSteps, needs_closure
from harness.measuring.deadline import Deadline
from harness.tasks import task_spec
from harness.measuring.weights import initial_weights


class TimedLayer(nn.Module):
    """Wraps the quantum layer and accumulates its forward and backward seconds.

    The backward span is marked by two tensor hooks, not extra autograd nodes:
    one on the layer's output (its gradient arrives: the layer's backward
    starts) and one on its input (its gradient is complete: the backward
    ended). Hooks add no node to the graph; two identity autograd Functions
    cost about 0.1 ms a step, 8% of a moons step on the torch backend.
    """

    def __init__(self, layer: nn.Module):
        super().__init__()
        self.layer = layer
        self.forward_s = 0.0
        self.backward_s = 0.0
        self._clock: dict[str, float] = {}

    def _started(self, grad):
        self._clock["start"] = time.perf_counter()

    def _ended(self, grad):
        self._clock["end"] = time.perf_counter()

    def forward(self, x):
        grad_enabled = torch.is_grad_enabled()
        if grad_enabled and x.requires_grad:
            x.register_hook(self._ended)
        start = time.perf_counter()
        out = self.layer(x)
        self.forward_s += time.perf_counter() - start
        if grad_enabled and out.requires_grad:
            out.register_hook(self._started)
        return out

    def collect_backward(self, backward_returned: float):
        """Call after loss.backward(): adds this step's backward span.

        When the layer's input needs no gradient (the layer comes first), no
        marker sees the gradient leave it; its backward is then the last work
        of the backward pass, so it ends when ``loss.backward()`` returns.
        """
        if "start" in self._clock:
            end = self._clock.get("end", backward_returned)
            self.backward_s += max(0.0, end - self._clock["start"])
        self._clock.clear()


def _accuracy(task, model, X, y, batch=EVAL_BATCH) -> float:
    """Accuracy under ``torch.no_grad``: no backend computes gradients there.

    (PennyLane's adjoint still calls its device's derivative method in the
    forward call, but under no_grad no parameter is trainable, so the device
    differentiates nothing; tests count this.)
    """
    model.eval()
    correct = 0
    with torch.no_grad():
        for i in range(0, len(X), batch):
            correct += int((task.predict(model(X[i:i + batch])) == y[i:i + batch]).sum())
    model.train()
    return correct / len(X)


def _count_work(layer, model, x) -> dict:
    """Circuits simulated by one forward + backward of the quantum layer on a batch like training's.

    Done after training and evaluation, outside every timed span, on the
    layer's own inputs, so counting cannot slow what is measured; the inputs
    need a gradient exactly when they did in training.
    """
    captured = {}

    def grab(module, inputs):
        captured["x"] = inputs[0].detach()
        captured["grad"] = inputs[0].requires_grad      # as in training: layers before it have weights
        raise _Captured

    handle = layer.register_forward_pre_hook(grab)
    try:
        model(x)                  # stopped at the quantum layer: only the classical layers before it ran
    except _Captured:
        pass
    finally:
        handle.remove()
    # the work a training step did: an input gradient only when training asked for one
    work = layer.count_work(captured["x"].clone().requires_grad_(captured["grad"]))
    layer.zero_grad(set_to_none=True)
    if work is None:
        return {k: None for k in ("value_executions_per_eval", "gradient_executions_per_eval",
                                  "adjoint_passes_per_eval", "simulator_calls_per_eval",
                                  "gradient_counted_in_forward")}
    row = work.as_row()
    row["gradient_counted_in_forward"] = work.gradient_in_forward
    return row


class _Captured(Exception):
    """Stops the model once the quantum layer's input is known."""


# a step slower than this says where the epoch is, at most once per PROGRESS_EVERY_S (outside the step's clock)
SLOW_STEP_S = 1.0
PROGRESS_EVERY_S = 2.0


def _progress(msg: str):
    print(msg, file=sys.stderr, flush=True)


def circuit_of(cfg):
    """The resolved config's circuit, imported again from its file; refused if the file changed since validation."""
    source = load_source(cfg.circuit, cfg.qubits, cfg.layers, cfg.observables, cfg.input_names, cfg.weight_names)
    if source.digest != cfg.circuit_digest:
        raise UserError(f"circuit file '{cfg.circuit}' changed after it was checked (digest {source.digest}, "
                        f"checked {cfg.circuit_digest}); run again to check the new circuit")
    return source.circuit


def train(cfg, setup_started: float, progress=_progress, sampler: probe.Sampler | None = None) -> dict:
    """Train ``cfg`` (a resolved RunConfig) here and return the measured figures.

    Spans: setup (imports to the first step), training (the steps), evaluation.
    Training has its own peak memory (VmHWM reset at its start), its own
    thread and child-process peaks (``sampler``'s "train" span) and the rest of
    the machine's load over it (``load``: was the machine quiet?).
    """
    spec = task_spec(cfg.task)
    task = spec.impl()
    torch.set_num_threads(cfg.threads)
    torch.manual_seed(cfg.seed)
    loading = time.perf_counter()
    circuit = circuit_of(cfg)             # a file is imported and compiled here: setup, never training
    circuit_load_s = time.perf_counter() - loading
    data_cache.forget()
    (X_train, y_train), (X_test, y_test) = task.load_data(cfg, circuit)
    data_cached = data_cache.seen()
    # classical layers first, from the seeded global generator, so every backend gets the same ones
    torch.manual_seed(cfg.seed)
    placeholder = nn.Identity()
    model = task.build_model(cfg, circuit, placeholder)
    layer = build_layer(cfg.backend, circuit, initial_weights(circuit, cfg.seed, spec.weights), shots=cfg.shots,
                        threads=cfg.threads)
    timed = TimedLayer(layer)
    _swap(model, placeholder, timed)
    optimizer = task.optimizer(model.parameters(), cfg.lr)
    closure_steps = ClosureSteps(optimizer, model, task.loss, timed) if needs_closure(optimizer) else None
    shuffle = torch.Generator().manual_seed(cfg.seed + 1)
    setup_s = time.perf_counter() - setup_started

    n = len(X_train)
    steps_per_epoch = n // cfg.batch_size
    if steps_per_epoch == 0:
        raise UserError(f"batch size {cfg.batch_size} is larger than the {n} training samples")
    step_s, epoch_s, loss_per_epoch = [], [], []
    deadline = Deadline(cfg.timeout_s, setup_started, cfg.epochs * steps_per_epoch, setup_s)
    setup_peak_rss_mib = probe.peak_rss_mib()
    peak_reset = probe.reset_peak_rss()
    if sampler is not None:
        sampler.span("train")
    machine0 = load.mark()         # just outside the clock: reading /proc costs a fraction of a millisecond
    marks.say(marks.TRAINING)      # so the parent can cut a run that cannot keep up (advise), from here
    cpu0, wall0 = probe.cpu_seconds(), time.perf_counter()
    said = wall0
    for epoch in range(cfg.epochs):
        t_epoch = time.perf_counter()
        order = torch.randperm(n, generator=shuffle)
        running = 0.0
        for b in range(steps_per_epoch):       # drop_last, as the moons source does
            idx = order[b * cfg.batch_size:(b + 1) * cfg.batch_size]
            t = time.perf_counter()
            if closure_steps is not None:      # LBFGS: one step is every evaluation it asks for
                loss = torch.tensor(closure_steps.step(X_train[idx], y_train[idx]))
            else:
                optimizer.zero_grad()
                loss = task.loss(model(X_train[idx]), y_train[idx])
                loss.backward()
                timed.collect_backward(time.perf_counter())
                optimizer.step()
            step_s.append(time.perf_counter() - t)
            if len(step_s) == 1:
                marks.say(marks.STEPPED)   # between steps: in train_s, in no step's time
            running += loss.item()
            if step_s[-1] > SLOW_STEP_S and b + 1 < steps_per_epoch and time.perf_counter() - said >= PROGRESS_EVERY_S:
                said = time.perf_counter()        # the epoch's own line follows its last step
                progress(f"epoch {epoch + 1}/{cfg.epochs}  step {b + 1}/{steps_per_epoch}  "
                         f"last step {step_s[-1]:.2f}s  elapsed {said - wall0:.1f}s")
            deadline.after_step(step_s[-1])      # raises Foreseen once the timeout cannot be met
        epoch_s.append(time.perf_counter() - t_epoch)
        loss_per_epoch.append(running / steps_per_epoch)
        progress(f"epoch {epoch + 1}/{cfg.epochs}  loss {loss_per_epoch[-1]:.4f}  "
                 f"elapsed {time.perf_counter() - wall0:.1f}s")
    train_s = time.perf_counter() - wall0
    marks.say(marks.TRAINED)       # the span is over: what follows (evaluation, counting) is not cut for speed
    train_cpu_s = probe.cpu_seconds() - cpu0
    machine_load = load.figures(machine0, load.mark(), cfg.threads)
    train_peak_rss_mib = probe.peak_rss_mib() if peak_reset else None
    if sampler is not None:
        sampler.span("eval")
    quantum_forward_s, quantum_backward_s = timed.forward_s, timed.backward_s   # before evaluation adds to them

    t = time.perf_counter()
    classifier = getattr(task, "predict", None) is not None     # a regression task has no accuracy
    train_acc = _accuracy(task, model, X_train, y_train) if classifier and spec.train_accuracy else None
    test_acc = _accuracy(task, model, X_test, y_test) if classifier else None
    extra = task.evaluate(model, (X_train, y_train), (X_test, y_test)) if hasattr(task, "evaluate") else {}
    eval_s = time.perf_counter() - t
    steady = step_s[1:] or step_s
    spans = sampler.spans.get("train", {}) if sampler is not None else {}
    work = _count_work(layer, model, X_train[order[:cfg.batch_size]])
    return {
        "setup_s": setup_s,
        "circuit_load_s": circuit_load_s,
        "data_cache": data_cached,
        "n_outputs": circuit.n_outputs,
        "n_gates": len(circuit.gates),
        "n_pauli_terms": sum(len(o.terms) for o in circuit.observables),
        "train_s": train_s,
        "first_step_s": step_s[0],
        "steady_step_s": statistics.median(steady),
        "steady_step_stats_s": stats.summarize(steady),
        "steps": len(step_s),
        "epoch_s": epoch_s,
        "quantum_forward_s": quantum_forward_s,
        "quantum_backward_s": quantum_backward_s,
        "eval_s": eval_s,
        "train_cpu_s": train_cpu_s,
        "train_effective_cores": train_cpu_s / train_s if train_s > 0 else None,
        "setup_peak_rss_mib": setup_peak_rss_mib,
        "train_peak_rss_mib": train_peak_rss_mib,
        "train_peak_threads": spans.get("threads"),
        "train_peak_children": spans.get("children"),
        **machine_load,
        "gradient_computed_in": backend_spec(cfg.backend).gradient_in,
        **work,
        "backend_settings": layer.settings(),
        "torch_threads": torch.get_num_threads(),
        "train_accuracy": train_acc,
        "test_accuracy": test_acc,
        "final_loss": loss_per_epoch[-1],
        "loss_per_epoch": loss_per_epoch,
        "n_train": n,
        "n_test": len(X_test),
        "function_evals": len(step_s),      # one per step; a closure optimiser's figures replace it
        **(closure_steps.figures() if closure_steps is not None else {}),
        **extra,
    }


def _swap(model: nn.Module, old: nn.Module, new: nn.Module) -> None:
    for parent in model.modules():
        for name, child in parent.named_children():
            if child is old:
                setattr(parent, name, new)
                return
    raise AssertionError("the task's model does not contain the quantum layer it was given")
