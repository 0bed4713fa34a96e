"""Lesson 04: plausible mistakes and answers tuned to the visible checks (see ``tests/mistakes``)."""

from . import Mistake, Tuned

MISTAKES = [
    Mistake('ex1_encoder', '3x3 encoder kernels, which with stride 2 and padding 1 also halve 32 -> 16 -> 8 -> 4',
            '4, stride=2, padding=1, bias=False)',
            '3, stride=2, padding=1, bias=False)',
            message=''),
    Mistake('ex2_decoder', "ReLU before BatchNorm in the decoder's first block",
            'nn.BatchNorm2d(4 * ch), nn.ReLU(),',
            'nn.ReLU(), nn.BatchNorm2d(4 * ch),',
            message=''),
    Mistake('ex3_forward', 'z sampled in evaluation mode too',
            '        if self.training:\n            z = mu + torch.exp(0.5 * logvar) * torch.randn_like(mu)\n        else:\n            z = mu\n',
            '        z = mu + torch.exp(0.5 * logvar) * torch.randn_like(mu)\n',
            message=''),
    Mistake('ex4_loss', 'the KL averaged over latent dimensions instead of summed',
            '.sum(dim=1).mean()',
            '.mean()',
            message=''),
    Mistake('ex5_train_step', 'no model.train(), so a step after an evaluation trains in evaluation mode',
            'model.train()',
            'pass',
            message=''),
]

TUNED: list[Tuned] = [
]
