"""An interactive latent-space explorer: sliders that move a code and show what it decodes to.

It needs ``ipywidgets`` (installed with the course; preinstalled on Colab) and a person at the screen: in headless
runs (tests, CI, grading; see ``settings.headless``) it returns ``None`` and says so.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch

from . import plots
from .settings import headless


def latent_sliders(decode: Callable[[torch.Tensor], torch.Tensor], origin: torch.Tensor, directions: torch.Tensor,
                   spreads: Sequence[float], names: Sequence[str] | None = None):
    """Sliders for the code ``origin + sum_k a_k * directions[k]``, each ``a_k`` in ``[-2 s_k, 2 s_k]``.

    ``decode`` maps codes ``(N, D)`` to images ``(N, 1, H, W)``; ``origin`` is ``(D,)``, ``directions`` ``(K, D)``
    and ``spreads`` gives each direction's typical size ``s_k`` (e.g. the standard deviation of the codes along it).
    Returns the widget, or ``None`` in a headless run.
    """
    if len(directions) != len(spreads) or directions.shape[1:] != origin.shape:
        raise ValueError(f"need one spread per direction and directions of shape (K, {tuple(origin.shape)[0]}); got "
                         f"directions {tuple(directions.shape)} and {len(spreads)} spreads.")
    if headless():
        print("Interactive explorer skipped: nobody is watching this run (tests, CI or grading).")
        return None
    import ipywidgets as widgets
    from IPython.display import display

    names = names or [f"direction {k + 1}" for k in range(len(directions))]
    sliders = {f"a{k}": widgets.FloatSlider(value=0.0, min=-2 * s, max=2 * s, step=s / 20, description=name,
                                            continuous_update=True)
               for k, (s, name) in enumerate(zip(spreads, names))}
    picture = widgets.Output()

    def show(**amounts: float) -> None:
        weights = torch.tensor([amounts[f"a{k}"] for k in range(len(directions))], dtype=origin.dtype)
        code = origin + weights.to(directions.device) @ directions
        with torch.no_grad():
            image = decode(code.unsqueeze(0))
        picture.clear_output(wait=True)
        with picture:
            display(plots.show_images(image, nrow=1, scale=3.0))

    widgets.interactive_output(show, sliders)
    return widgets.HBox([widgets.VBox(list(sliders.values())), picture])
