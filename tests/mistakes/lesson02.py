"""Lesson 02: plausible mistakes and answers tuned to the visible checks (see ``tests/mistakes``)."""

from . import Mistake, Tuned

MISTAKES = [
    Mistake('ex1_add_gaussian_noise', 'the noise clamped to [0, 1] before it is added, instead of clamping the noisy image',
            'noise_factor * noise).clamp(0, 1)',
            'noise_factor * noise.clamp(0, 1))',
            message=''),
    Mistake('ex2_mask_pixels', 'each pixel kept with probability p instead of dropped with probability p',
            'torch.rand_like(images) >= p',
            'torch.rand_like(images) < p',
            message=''),
    Mistake('ex3_psnr', 'PSNR with a data range of 255 for pixels in [0, 1]',
            'torch.log10(1.0 / mse)',
            'torch.log10(255 ** 2 / mse)',
            message=''),
    Mistake('ex4_denoising_step', 'the noisy images used as the target',
            'F.mse_loss(model(noisy), images)',
            'F.mse_loss(model(noisy), noisy)',
            message=''),
]

TUNED: list[Tuned] = [
]
