"""The PennyLane forum's make_moons model (a post timing TorchLayer on default.qubit and lightning.qubit), configured as there.

Linear(2,10)-ReLU-Linear(10,2)-Tanh, the 2-qubit `moons` circuit, then the same
classical block again; one-hot targets, L1 loss, SGD. Another circuit (a file,
or other outputs) gets blocks resized to it: Linear(10, inputs) before it,
Linear(outputs, 10) after it.
"""
from __future__ import annotations

import torch
from torch import nn

from ..datasets.moons import load_moons


def load_data(cfg, circuit=None):
    return load_moons(train_size=cfg.train_size, test_size=cfg.test_size, noise=0.1, seed=cfg.seed)


def _block(width_in: int = 2, width_out: int = 2):
    return nn.Sequential(nn.Linear(width_in, 10), nn.ReLU(), nn.Linear(10, width_out), nn.Tanh())


def build_model(cfg, circuit, quantum_layer):
    # the forum's 2-10-2 blocks, resized to another circuit's inputs and outputs (the moons circuit: 2 and 2)
    return nn.Sequential(_block(2, circuit.n_inputs), quantum_layer, _block(circuit.n_outputs, 2))


def loss(output, y):
    one_hot = torch.nn.functional.one_hot(y, 2).to(output.dtype)
    return nn.functional.l1_loss(output, one_hot)


def predict(output):
    return output.argmax(dim=1)


def optimizer(params, lr):
    return torch.optim.SGD(params, lr=lr)
