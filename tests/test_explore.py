import pytest
import torch

from helpers import explore, settings


@pytest.fixture
def watched(monkeypatch):
    for name in settings.HEADLESS_VARIABLES:
        monkeypatch.delenv(name, raising=False)


def recording_decoder(seen: list):
    def decode(codes):
        seen.append(codes.clone())
        return torch.zeros(len(codes), 1, 4, 4)
    return decode


def test_sliders_move_the_code_along_the_directions(watched):
    seen = []
    origin, directions = torch.zeros(3), torch.tensor([[1.0, 0.0, 0.0], [0.0, 0.0, 2.0]])
    widget = explore.latent_sliders(recording_decoder(seen), origin, directions, spreads=[1.0, 0.5])
    sliders = widget.children[0].children
    assert [s.description for s in sliders] == ["direction 1", "direction 2"]
    assert (sliders[0].min, sliders[0].max, sliders[1].max) == (-2.0, 2.0, 1.0)
    torch.testing.assert_close(seen[-1], torch.zeros(1, 3))  # drawn once at the origin
    sliders[0].value, sliders[1].value = 1.5, -0.5
    torch.testing.assert_close(seen[-1], torch.tensor([[1.5, 0.0, -1.0]]))


@pytest.mark.parametrize("variable", settings.HEADLESS_VARIABLES)
def test_headless_runs_skip_the_explorer(watched, monkeypatch, capsys, variable):
    monkeypatch.setenv(variable, "1")
    seen = []
    assert explore.latent_sliders(recording_decoder(seen), torch.zeros(2), torch.eye(2), [1.0, 1.0]) is None
    assert seen == [] and "skipped" in capsys.readouterr().out


def test_false_values_do_not_count_as_headless(watched, monkeypatch):
    monkeypatch.setenv("CI", "false")
    assert not settings.headless()


def test_mismatched_directions_are_refused(watched):
    with pytest.raises(ValueError, match="one spread per direction"):
        explore.latent_sliders(lambda z: z, torch.zeros(3), torch.eye(3)[:2], spreads=[1.0])
