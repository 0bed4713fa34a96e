"""Lesson 05: plausible mistakes and answers tuned to the visible checks (see ``tests/mistakes``)."""

from . import Mistake, Tuned

MISTAKES = [
    Mistake('ex1_class_means', "every class's sum divided by the same number, a tenth of the codes, instead of its own count",
            'counts = torch.bincount(labels, minlength=num_classes)',
            'counts = torch.full((num_classes,), len(codes) / num_classes)',
            message=''),
    Mistake('ex2_lerp', 't made on the CPU whatever the device of the codes (fails for codes on a GPU)',
            'torch.linspace(0.0, 1.0, steps, dtype=z0.dtype, device=z0.device)',
            'torch.linspace(0.0, 1.0, steps)',
            message=''),
    Mistake('ex3_slerp', 'no fallback to lerp for (nearly) parallel codes, so the formula divides 0 by 0',
            '    if omega < eps:\n        return lerp(z0, z1, steps)\n',
            '',
            message=''),
    Mistake('ex4_path_smoothness', 'the signed change averaged over the pixels before the absolute value, so moving strokes cancel',
            '(frames[1:] - frames[:-1]).abs().flatten(start_dim=1).mean(dim=1)',
            '(frames[1:] - frames[:-1]).flatten(start_dim=1).mean(dim=1).abs()',
            message=''),
]

TUNED: list[Tuned] = [
]
