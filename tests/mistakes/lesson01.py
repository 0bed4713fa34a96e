"""Lesson 01: plausible mistakes and answers tuned to the visible checks (see ``tests/mistakes``)."""

from . import Mistake, Tuned

MISTAKES = [
    Mistake('ex1_autoencoder', 'a ReLU after the code layer, so codes are never negative',
            'nn.Linear(hidden, code_size),',
            'nn.Linear(hidden, code_size), nn.ReLU(),',
            message=''),
    Mistake('ex2_train_step', 'gradients never cleared, so they pile up across steps',
            'optimizer.zero_grad()',
            'pass',
            message=''),
    Mistake('ex3_reconstruction_error', 'the error computed in training mode',
            'model.eval()',
            'model.train()',
            message=''),
    Mistake('ex4_pca_reconstruct', 'PCA fitted on the test images',
            '.fit(train_pixels)',
            '.fit(test_pixels)',
            message=''),
]

TUNED: list[Tuned] = [
]
