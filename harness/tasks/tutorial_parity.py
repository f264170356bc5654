"""The TorchConnector tutorial's sampler classifier (Part 1, 1B), configured as there.

The `tutorial-parity` circuit alone: its two outputs are the probabilities of
even and odd parity of the measured bitstring (``SamplerQNN`` with
``interpret=parity``, ``output_shape=2``); labels 0/1; ``CrossEntropyLoss``
on those probabilities, as the tutorial does (it treats them as logits);
LBFGS on all 20 points. The tutorial reports accuracy 0.8 on its training points.
"""
from __future__ import annotations

from torch.nn import functional as F

from ..datasets.tutorial import load_tutorial_classification
from ._tutorial import build_model, classifier_figures, optimizer  # noqa: F401


def load_data(cfg, circuit=None):
    return load_tutorial_classification(train_size=cfg.train_size, test_size=cfg.test_size, seed=cfg.seed)


def loss(output, y):
    return F.cross_entropy(output, y)


def predict(output):
    return output.argmax(dim=1)


def evaluate(model, train, test) -> dict:
    return classifier_figures(predict, model, train, test)
