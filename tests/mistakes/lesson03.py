"""Lesson 03: plausible mistakes and answers tuned to the visible checks (see ``tests/mistakes``)."""

from . import Mistake, Tuned

MISTAKES = [
    Mistake('ex1_kl_normal', 'the factor 1/2 left out of the closed form',
            'kl = 0.5 * (',
            'kl = (',
            message=''),
    Mistake('ex2_kl_to_standard_normal', 'the mean over latent dimensions instead of the sum',
            '.sum(dim=1)',
            '.mean(dim=1)',
            message=''),
    Mistake('ex3_reparameterise', 'sampling with torch.normal, which passes no gradient to mu and logvar',
            'mu + std * torch.randn_like(std)',
            'torch.normal(mu, std)',
            message=''),
    Mistake('ex4_vae_loss', 'binary cross-entropy averaged over pixels instead of summed per image',
            'F.binary_cross_entropy(reconstruction, images, reduction="sum") / len(images)',
            'F.binary_cross_entropy(reconstruction, images)',
            message=''),
]

TUNED: list[Tuned] = [
]
