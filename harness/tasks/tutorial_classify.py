"""The TorchConnector tutorial's first classifier (Part 1, 1A), configured as there.

``TwoLayerQNN(2)`` (the `tutorial-classify` circuit) alone; its output <Z0 Z1>
is the prediction and its sign the class (targets -1/+1); MSE loss summed over
the batch; LBFGS on all 20 points. The tutorial reports accuracy 0.8 on its
training points.
"""
from __future__ import annotations

from torch.nn import functional as F

from ..datasets.tutorial import load_tutorial_classification
from ._tutorial import build_model, classifier_figures, optimizer  # noqa: F401


def load_data(cfg, circuit=None):
    return load_tutorial_classification(train_size=cfg.train_size, test_size=cfg.test_size, seed=cfg.seed)


def loss(output, y):
    sign = (2 * y - 1).to(output.dtype).reshape(-1, 1)     # class 1 -> +1, class 0 -> -1
    return F.mse_loss(output, sign, reduction="sum")


def predict(output):
    return (output[:, 0] >= 0).long()


def evaluate(model, train, test) -> dict:
    return classifier_figures(predict, model, train, test)
