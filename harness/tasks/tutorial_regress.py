"""The TorchConnector tutorial's regression (Part 1, 2A), configured as there.

The 1-qubit `tutorial-regress` circuit alone (RY(x), RY(w), <Z>) fitted to
sin(x) plus noise with MSE loss summed over the batch and LBFGS on all 20
points. A regression has no accuracy: the row gets the mean squared error on
the training and on the held-out test set, the test points with the model's
predictions, and the fitted curve on 50 points across [-pi, pi] (what the
tutorial plots).
"""
from __future__ import annotations

import math

import torch
from torch.nn import functional as F

from ..datasets.tutorial import load_tutorial_regression
from ._tutorial import build_model, optimizer, points  # noqa: F401

CURVE_POINTS = 50            # np.linspace's default, as the tutorial's plot


def load_data(cfg, circuit=None):
    return load_tutorial_regression(train_size=cfg.train_size, test_size=cfg.test_size, seed=cfg.seed)


def loss(output, y):
    return F.mse_loss(output, y, reduction="sum")


def evaluate(model, train, test) -> dict:
    model.eval()
    with torch.no_grad():
        train_pred, test_pred = model(train[0]), model(test[0])
        grid = torch.linspace(-math.pi, math.pi, CURVE_POINTS).reshape(-1, 1)
        curve = model(grid)
    model.train()
    return {
        "train_mse": float(F.mse_loss(train_pred, train[1])),
        "test_mse": float(F.mse_loss(test_pred, test[1])),
        "test_points": points(test[0][:, 0], test[1][:, 0], test_pred[:, 0]),
        "fit_curve": {"x": grid[:, 0].tolist(), "y": curve[:, 0].tolist()},
    }
