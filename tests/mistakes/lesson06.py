"""Lesson 06: plausible mistakes and answers tuned to the visible checks (see ``tests/mistakes``)."""

from . import Mistake, Tuned

_KL = "kl = 0.5 * (mu.pow(2) + logvar.exp() - 1 - logvar)"
_PER_DIMENSION = "per_dimension = kl.mean(dim=0)"
_VARIANCE = "variance = mu.var(dim=0)"
_POSITION = "position = step % cycle_steps if cycle_steps else step"
_WEIGHT = "weight = min(1.0, position / warmup_steps) if warmup_steps else 1.0"
_BATCH_KL = "per_dimension = (0.5 * (mu.pow(2) + logvar.exp() - 1 - logvar)).mean(dim=0)"
_FLOOR = "floored = per_dimension.clamp(min=free_nats)"
_LOG_MEAN_EXP = "result = torch.logsumexp(values, dim=dim) - math.log(values.shape[dim])"

MISTAKES = [
    # Exercise 1: the KL of each dimension and the active units
    Mistake('ex1_diagnostics', "each dimension's KL summed over the images instead of averaged",
            _PER_DIMENSION, 'per_dimension = kl.sum(dim=0)',
            message="summed over the images instead of averaging them"),
    Mistake('ex1_diagnostics', 'the KL without its factor 1/2',
            _KL, 'kl = mu.pow(2) + logvar.exp() - 1 - logvar',
            message="kl_per_dimension is twice the KL"),
    Mistake('ex1_diagnostics', 'logvar read as the log of the standard deviation',
            _KL, 'kl = 0.5 * (mu.pow(2) + (2 * logvar).exp() - 1 - 2 * logvar)',
            message="read logvar as the log of the standard deviation"),
    Mistake('ex1_diagnostics', 'the KL averaged over the dimensions (dim 1) instead of over the images',
            _PER_DIMENSION, 'per_dimension = kl.mean(dim=1)',
            message="average over the images (dim 0), and keep the dimensions"),
    Mistake('ex1_diagnostics', 'the threshold applied to the standard deviation of the means',
            _VARIANCE, 'variance = mu.std(dim=0)',
            message="compared the standard deviation of the means with the threshold"),
    Mistake('ex1_diagnostics', 'the mean of each dimension compared with the threshold instead of its variance',
            _VARIANCE, 'variance = mu.mean(dim=0)',
            message="whose mean is large but the same for every image"),
    Mistake('ex1_diagnostics', 'one variance for all the means together (no dim)',
            _VARIANCE, 'variance = mu.var()',
            message="not mu.var(), one number for all dimensions together"),
    Mistake('ex1_diagnostics', 'the variance taken over the dimensions of each image (dim 1)',
            _VARIANCE, 'variance = mu.var(dim=1)',
            message="took the variance over the wrong axis"),
    # Exercise 2: the KL warm-up schedule
    Mistake('ex2_warmup', 'beta counted from step 1, so it is already 1 / warmup_steps at the first step',
            _WEIGHT, 'weight = min(1.0, (position + 1) / warmup_steps) if warmup_steps else 1.0',
            message="beta starts at 0 at step 0"),
    Mistake('ex2_warmup', 'floor division: beta stays 0 during the whole warm-up, then jumps to 1',
            _WEIGHT, 'weight = min(1.0, position // warmup_steps) if warmup_steps else 1.0',
            message="not floor division"),
    Mistake('ex2_warmup', 'no cap: beta keeps growing past 1 after the warm-up',
            _WEIGHT, 'weight = position / warmup_steps if warmup_steps else 1.0',
            message="After the warm-up beta stays at 1"),
    Mistake('ex2_warmup', 'no case for warmup_steps = 0 (division by zero)',
            _WEIGHT, 'weight = min(1.0, position / warmup_steps)',
            message="warmup_steps = 0 means no warm-up"),
    Mistake('ex2_warmup', 'the step taken modulo cycle_steps even when it is 0 (no cycles)',
            _POSITION, 'position = step % cycle_steps',
            message="take step % cycle_steps only when cycle_steps > 0"),
    Mistake('ex2_warmup', 'cycles ignored: beta never starts again',
            _POSITION, 'position = step',
            message="beta starts again from 0 at each cycle"),
    Mistake('ex2_warmup', 'the schedule restarted every warmup_steps steps instead of every cycle_steps',
            _POSITION, 'position = step % warmup_steps if cycle_steps else step',
            message="not every warmup_steps steps"),
    # Exercise 3: the free-bits KL
    Mistake('ex3_free_bits', 'a ceiling instead of a floor: clamp(max=free_nats)',
            _FLOOR, 'floored = per_dimension.clamp(max=free_nats)',
            message="capped the KL at free_nats"),
    Mistake('ex3_free_bits', 'the free nats subtracted: max(0, KL - free_nats)',
            _FLOOR, 'floored = (per_dimension - free_nats).clamp(min=0)',
            message="subtracted the free nats"),
    Mistake('ex3_free_bits', "each image's KL floored before the average over the batch",
            f'{_BATCH_KL}\n    {_FLOOR}',
            'per_dimension = (0.5 * (mu.pow(2) + logvar.exp() - 1 - logvar)).clamp(min=free_nats).mean(dim=0)\n'
            '    floored = per_dimension',
            message="floored each image's KL before averaging over the batch"),
    Mistake('ex3_free_bits', 'torch.max of the tensor and the number free_nats',
            _FLOOR, 'floored = torch.max(per_dimension, free_nats)',
            message="torch.max and torch.maximum take two tensors"),
    Mistake('ex3_free_bits', 'the total KL floored instead of each dimension',
            _FLOOR, 'floored = per_dimension.sum().clamp(min=free_nats)',
            message="did not floor each dimension"),
    Mistake('ex3_free_bits', "each dimension's KL summed over the batch instead of averaged",
            _BATCH_KL, 'per_dimension = (0.5 * (mu.pow(2) + logvar.exp() - 1 - logvar)).sum(dim=0)',
            message="summed the KL over the images instead of averaging"),
    # Exercise 4: log-mean-exp
    Mistake('ex4_log_mean_exp', 'the mean of the log-weights (the ELBO again) instead of the log of their mean',
            _LOG_MEAN_EXP, 'result = values.mean(dim=dim)',
            message="returned the mean of the values"),
    Mistake('ex4_log_mean_exp', 'log-sum-exp without subtracting log k',
            _LOG_MEAN_EXP, 'result = torch.logsumexp(values, dim=dim)',
            message="returned the log of the sum"),
    Mistake('ex4_log_mean_exp', 'log-sum-exp divided by k instead of minus log k',
            _LOG_MEAN_EXP, 'result = torch.logsumexp(values, dim=dim) / values.shape[dim]',
            message="divided the log-sum-exp by k"),
    Mistake('ex4_log_mean_exp', 'the textbook formula log(mean(exp(values))), which underflows',
            _LOG_MEAN_EXP, 'result = torch.log(torch.exp(values).mean(dim=dim))',
            message="underflows to 0 in float32"),
    Mistake('ex4_log_mean_exp', 'k taken as len(values), the size of dim 0, whatever dim says',
            _LOG_MEAN_EXP, 'result = torch.logsumexp(values, dim=dim) - math.log(len(values))',
            message="len(values) is the size of dim 0"),
    Mistake('ex4_log_mean_exp', 'always reduced along dim 0, whatever dim says',
            _LOG_MEAN_EXP, 'result = torch.logsumexp(values, dim=0) - math.log(values.shape[0])',
            message="Reduce along the dim argument"),
]

TUNED: list[Tuned] = [
    Tuned('ex1_diagnostics', 'the KL summed over the images and divided by 3, the number of visible images',
          _PER_DIMENSION, 'per_dimension = kl.sum(dim=0) / 3'),
    Tuned('ex2_warmup', 'cycles of 400 steps, the length of every visible cycle, whatever cycle_steps says',
          _POSITION, 'position = step % 400 if cycle_steps else step'),
    Tuned('ex3_free_bits', 'the KL summed over the batch and divided by 2, the size of every visible batch',
          _BATCH_KL, 'per_dimension = (0.5 * (mu.pow(2) + logvar.exp() - 1 - logvar)).sum(dim=0) / 2'),
    Tuned('ex4_log_mean_exp', 'log 2 subtracted, k of the visible examples, whatever the size of dim',
          'math.log(values.shape[dim])', 'math.log(2)'),
]
