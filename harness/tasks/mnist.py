"""The Qiskit textbook's MNIST model (Hybrid quantum-classical Neural Networks with PyTorch and Qiskit), with its reshape bug fixed.

Conv(1,6,5)-pool-Conv(6,16,5)-pool-dropout, flattened per sample (the batch
dimension is kept, so every batch size works), Linear(256,64), Linear(64,1),
the 1-qubit `textbook` circuit, and (p, 1-p) into NLL loss, as the textbook
does: its NLL is taken on probabilities, so the loss is -p(target), between -1
and 0. With ``--circuit tutorial`` the network is the TorchConnector
tutorial's own (qiskit-machine-learning's TorchConnector tutorial, Part 2): Conv(1,2,5)-pool-Conv(2,16,5)-pool-dropout,
Linear(256,64), Linear(64,2), the 2-qubit `tutorial` circuit, Linear(1,1),
then (x, 1-x) into NLL loss with Adam at lr 0.001, as there (a circuit file
gets the textbook's network with Linear(64, inputs) and Linear(outputs, 1)); its circuit
weights start uniform in [-1, 1), as ``TorchConnector`` draws them when given
none (the task's ``connector`` weight scheme). The tutorial trains 10 epochs
(``--epochs 10``); the task's default is the textbook's 20.
"""
from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

from ..datasets.mnist import load_digits


def load_data(cfg, circuit=None):
    return load_digits(digits=cfg.digits, train_per_class=cfg.train_size, test_per_class=cfg.test_size,
                       seed=cfg.seed, data_dir=cfg.data_dir)


class HybridNet(nn.Module):
    def __init__(self, circuit, quantum_layer):
        super().__init__()
        tutorial = circuit.name == "tutorial"
        channels = 2 if tutorial else 6          # the tutorial's first convolution is narrower
        self.conv1 = nn.Conv2d(1, channels, kernel_size=5)
        self.conv2 = nn.Conv2d(channels, 16, kernel_size=5)
        self.dropout = nn.Dropout2d()
        self.fc1 = nn.Linear(256, 64)
        self.fc2 = nn.Linear(64, circuit.n_inputs)
        self.quantum = quantum_layer
        # the tutorial maps its one <Z0 Z1> output through Linear(1, 1); the textbook uses P(|1>) as is;
        # any other circuit is read the tutorial's way, through Linear(outputs, 1)
        textbook = circuit.name == "textbook" and circuit.n_outputs == 1
        self.fc3 = nn.Identity() if textbook else nn.Linear(circuit.n_outputs, 1)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        x = self.dropout(x)
        x = torch.flatten(x, 1)          # (batch, 256): never a fixed-width reshape of the batch
        x = F.relu(self.fc1(x))
        x = self.fc2(x)
        x = self.fc3(self.quantum(x))
        return torch.cat((x, 1 - x), -1)


def build_model(cfg, circuit, quantum_layer):
    return HybridNet(circuit, quantum_layer)


def loss(output, y):
    return F.nll_loss(output, y)


def predict(output):
    return output.argmax(dim=1)


def optimizer(params, lr):
    return torch.optim.Adam(params, lr=lr)
