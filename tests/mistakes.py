"""Plausible wrong answers that pass an exercise's visible checks; its hidden tests must catch each one.

For each lesson: exercise (the solution cell's grade_id) -> (what the mistake is, text to find, replacement).
The replacement is applied to the exercise's solution in a submission that is otherwise complete.
"""

MISTAKES = {
    "01_autoencoder": {
        "ex1_autoencoder": (
            "a ReLU after the code layer, so codes are never negative",
            "nn.Linear(hidden, code_size),", "nn.Linear(hidden, code_size), nn.ReLU(),"),
        "ex2_train_step": (
            "gradients never cleared, so they pile up across steps",
            "optimizer.zero_grad()", "pass"),
        "ex3_reconstruction_error": (
            "the error computed in training mode",
            "model.eval()", "model.train()"),
        "ex4_pca_reconstruct": (
            "PCA fitted on the test images",
            ".fit(train_pixels)", ".fit(test_pixels)"),
    },
    "02_denoising": {
        "ex1_add_gaussian_noise": (
            "the noise clamped to [0, 1] before it is added, instead of clamping the noisy image",
            "noise_factor * noise).clamp(0, 1)", "noise_factor * noise.clamp(0, 1))"),
        "ex2_mask_pixels": (
            "each pixel kept with probability p instead of dropped with probability p",
            "torch.rand_like(images) >= p", "torch.rand_like(images) < p"),
        "ex3_psnr": (
            "PSNR with a data range of 255 for pixels in [0, 1]",
            "torch.log10(1.0 / mse)", "torch.log10(255 ** 2 / mse)"),
        "ex4_denoising_step": (
            "the noisy images used as the target",
            "F.mse_loss(model(noisy), images)", "F.mse_loss(model(noisy), noisy)"),
    },
    "03_kl_divergence": {
        "ex1_kl_normal": (
            "the factor 1/2 left out of the closed form",
            "kl = 0.5 * (", "kl = ("),
        "ex2_kl_to_standard_normal": (
            "the mean over latent dimensions instead of the sum",
            ".sum(dim=1)", ".mean(dim=1)"),
        "ex3_reparameterise": (
            "sampling with torch.normal, which passes no gradient to mu and logvar",
            "mu + std * torch.randn_like(std)", "torch.normal(mu, std)"),
        "ex4_vae_loss": (
            "binary cross-entropy averaged over pixels instead of summed per image",
            'F.binary_cross_entropy(reconstruction, images, reduction="sum") / len(images)',
            "F.binary_cross_entropy(reconstruction, images)"),
    },
    "04_conv_vae": {
        "ex1_encoder": (
            "3x3 encoder kernels, which with stride 2 and padding 1 also halve 32 -> 16 -> 8 -> 4",
            "4, stride=2, padding=1, bias=False)", "3, stride=2, padding=1, bias=False)"),
        "ex2_decoder": (
            "ReLU before BatchNorm in the decoder's first block",
            "nn.BatchNorm2d(4 * ch), nn.ReLU(),", "nn.ReLU(), nn.BatchNorm2d(4 * ch),"),
        "ex3_forward": (
            "z sampled in evaluation mode too",
            "        if self.training:\n            z = mu + torch.exp(0.5 * logvar) * torch.randn_like(mu)\n        else:\n            z = mu\n",
            "        z = mu + torch.exp(0.5 * logvar) * torch.randn_like(mu)\n"),
        "ex4_loss": (
            "the KL averaged over latent dimensions instead of summed",
            ".sum(dim=1).mean()", ".mean()"),
        "ex5_train_step": (
            "no model.train(), so a step after an evaluation trains in evaluation mode",
            "model.train()", "pass"),
    },
    "05_interpolation": {
        "ex1_class_means": (
            "every class's sum divided by the same number, a tenth of the codes, instead of its own count",
            "counts = torch.bincount(labels, minlength=num_classes)",
            "counts = torch.full((num_classes,), len(codes) / num_classes)"),
        "ex2_lerp": (
            "t made on the CPU whatever the device of the codes (fails for codes on a GPU)",
            "torch.linspace(0.0, 1.0, steps, dtype=z0.dtype, device=z0.device)", "torch.linspace(0.0, 1.0, steps)"),
        "ex3_slerp": (
            "no fallback to lerp for (nearly) parallel codes, so the formula divides 0 by 0",
            "    if omega < eps:\n        return lerp(z0, z1, steps)\n", ""),
        "ex4_path_smoothness": (
            "the signed change averaged over the pixels before the absolute value, so moving strokes cancel",
            "(frames[1:] - frames[:-1]).abs().flatten(start_dim=1).mean(dim=1)",
            "(frames[1:] - frames[:-1]).flatten(start_dim=1).mean(dim=1).abs()"),
    },
}
