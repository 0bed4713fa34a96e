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
}
