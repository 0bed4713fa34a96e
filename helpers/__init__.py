"""Shared plumbing for the course notebooks.

One module per concern, each importable on its own and without side effects:

- ``settings``: the smoke switch and the training sizes notebooks read from it;
- ``runtime``: device choice and seeding;
- ``data``: MNIST held in memory as tensors, and fast batching;
- ``checkpoints``: trained models saved by one lesson (as exported programs) and run by a later one;
- ``training``: the epoch loop with a progress bar, around a student's step function;
- ``plots``: image grids, latent scatter plots, loss curves (each returns its figure) and animations;
- ``explore``: sliders that move through a latent space (skipped in headless runs);
- ``checks``: sanity checks that say what was expected and what was got.

Exercise solutions (models, losses, steps) live in the notebooks, never here.
"""
