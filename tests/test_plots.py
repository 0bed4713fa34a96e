import io

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from helpers import plots  # noqa: E402


def rendered(fig: Figure) -> Figure:
    """The figure, after checking that it is closed (no pyplot build-up) and that it renders."""
    assert isinstance(fig, Figure)
    assert fig.number not in plt.get_fignums()
    fig.savefig(io.BytesIO(), format="png")
    return fig


def test_show_images_lays_out_a_grid():
    fig = rendered(plots.show_images(torch.rand(23, 1, 28, 28), nrow=10, title="digits"))
    (ax,) = fig.axes
    assert ax.get_title() == "digits"
    grid = ax.get_images()[0].get_array()
    assert grid.shape[:2] == (3 * 30 + 2, 10 * 30 + 2)  # 3 rows, 10 columns, 2-pixel padding


def test_show_images_accepts_images_without_a_channel_and_clamps():
    fig = rendered(plots.show_images(torch.randn(4, 28, 28) * 3, nrow=4))
    grid = fig.axes[0].get_images()[0].get_array()
    assert grid.min() >= 0 and grid.max() <= 1


def test_image_rows_labels_each_row():
    rows = {"original": torch.rand(12, 1, 28, 28), "reconstruction": torch.rand(12, 1, 28, 28)}
    fig = rendered(plots.image_rows(rows, n=5, title="pairs"))
    assert [ax.get_ylabel() for ax in fig.axes] == ["original", "reconstruction"]
    assert [text.get_text() for text in fig.texts] == ["pairs"]  # the suptitle
    assert fig.axes[0].get_images()[0].get_array().shape[1] == 5 * 30 + 2


@pytest.mark.parametrize("dims", [2, 3])
def test_latent_scatter_projects_on_principal_components(dims):
    codes = torch.randn(200, 8) * torch.tensor([5.0, 3, 1, 1, 1, 1, 1, 1])
    labels = torch.arange(200) % 10
    fig = rendered(plots.latent_scatter(codes, labels, dims=dims))
    ax = fig.axes[0]
    assert ax.get_xlabel().startswith("PC1 (") and "of variance" in ax.get_xlabel()
    assert ax.get_ylabel().startswith("PC2 (")
    if dims == 3:
        assert ax.get_zlabel().startswith("PC3 (")
    offsets = ax.collections[0].get_offsets()
    assert len(offsets) == 200
    assert "8-D codes" in ax.get_title()


def test_image_rows_shows_signed_weights_on_a_symmetric_scale():
    weights = torch.zeros(2, 1, 4, 4)
    weights[0, 0, 0, 0], weights[0, 0, 1, 1] = 3.0, -1.5  # largest |w| is 3: +3 -> 1, -1.5 -> 0.25, 0 -> 0.5
    weights[1, 0, 2, 2] = -0.01  # a tiny filter still fills its own scale
    fig = rendered(plots.image_rows({"filters": weights}, n=2, signed=True))
    image = fig.axes[0].get_images()[0]
    grid = image.get_array()
    assert image.get_cmap().name == "RdBu_r"
    first = grid[2:6, 2:6, 0]  # the first 4x4 image, after 2 pixels of padding
    assert first[0, 0] == pytest.approx(1.0) and first[1, 1] == pytest.approx(0.25) and first[3, 3] == pytest.approx(0.5)
    second = grid[2:6, 8:12, 0]
    assert second[2, 2] == pytest.approx(0.0) and second[0, 0] == pytest.approx(0.5)


def test_grid_points_follow_the_layout_of_an_image_grid():
    points = plots.grid_points(torch.tensor([0.0, 1.0, 2.0]), torch.tensor([-1.0, 1.0]))
    assert points.tolist() == [[0, 1], [1, 1], [2, 1], [0, -1], [1, -1], [2, -1]]


def test_latent_scatter_plots_codes_as_they_are_without_projection():
    codes = torch.tensor([[0.0, 5.0], [1.0, -2.0], [3.0, 0.5]])
    fig = rendered(plots.latent_scatter(codes, torch.tensor([0, 1, 2]), project=False))
    ax = fig.axes[0]
    assert ax.collections[0].get_offsets().tolist() == codes.tolist()
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("$z_1$", "$z_2$")
    with pytest.raises(ValueError, match="without projection needs exactly 2"):
        plots.latent_scatter(torch.randn(5, 3), torch.zeros(5, dtype=torch.long), project=False)


def test_roc_curves_label_each_kind_of_anomaly_with_its_auc():
    normal = torch.tensor([0.1, 0.2, 0.3, 0.4])
    fig = rendered(plots.roc_curves(normal, {"separated": torch.tensor([0.5, 0.6]),
                                             "mixed": torch.tensor([0.15, 0.35])}, title="ROC"))
    labels = [line.get_label() for line in fig.axes[0].get_lines()]
    assert labels == ["separated (AUC 1.000)", "mixed (AUC 0.500)", "chance (AUC 0.5)"]
    assert fig.axes[0].get_title() == "ROC"


def test_latent_scatter_rejects_impossible_requests():
    with pytest.raises(ValueError, match="dims must be 2 or 3"):
        plots.latent_scatter(torch.randn(10, 5), torch.zeros(10), dims=4)
    with pytest.raises(ValueError, match="codes have 2 dimension"):
        plots.latent_scatter(torch.randn(10, 2), torch.zeros(10), dims=3)


def test_curves_draws_one_line_per_series_against_epochs():
    fig = rendered(plots.curves({"train": [3, 2, 1], "test": [3.5, 2.5, 2]}, ylabel="MSE", logy=True))
    ax = fig.axes[0]
    assert [line.get_label() for line in ax.get_lines()] == ["train", "test"]
    assert list(ax.get_lines()[0].get_xdata()) == [1, 2, 3]
    assert ax.get_yscale() == "log" and ax.get_ylabel() == "MSE" and ax.get_xlabel() == "epoch"


def test_curves_accepts_its_own_x_values_and_checks_their_number():
    fig = rendered(plots.curves({"noisy": [20, 15]}, x=[0.1, 0.5], xlabel="noise factor", title="PSNR"))
    assert list(fig.axes[0].get_lines()[0].get_xdata()) == [0.1, 0.5]
    assert fig.axes[0].get_title() == "PSNR"
    with pytest.raises(ValueError, match="'noisy' has 2 values but x has 3"):
        plots.curves({"noisy": [20, 15]}, x=[0.1, 0.2, 0.3])


def test_contour_map_draws_filled_contours_with_a_colour_bar_and_a_mark():
    x, y = torch.linspace(-2, 2, 30), torch.linspace(0.5, 3, 20)
    values = x[None, :] ** 2 + y[:, None]
    fig = rendered(plots.contour_map(values, x.tolist(), y.tolist(), xlabel="mu", ylabel="sigma",
                                     levels=[0.5, 1, 2, 4, 8], label="KL", mark=(0.0, 1.0), title="bowl"))
    ax, colour_bar = fig.axes
    assert (ax.get_xlabel(), ax.get_ylabel(), ax.get_title()) == ("mu", "sigma", "bowl")
    assert colour_bar.get_ylabel() == "KL"
    assert [tuple(line.get_xydata()[0]) for line in ax.get_lines()] == [(0.0, 1.0)]


def test_contour_map_checks_the_grid_shape():
    with pytest.raises(ValueError, match=r"shape \(len\(y\), len\(x\)\) = \(3, 4\)"):
        plots.contour_map(torch.zeros(4, 3), [0, 1, 2, 3], [0, 1, 2])


def test_animation_embeds_every_frame_in_a_player():
    frames = torch.linspace(0, 1, 6).reshape(6, 1, 1, 1).expand(6, 1, 8, 8)
    before = plt.get_fignums()
    player = plots.animation(frames, interval=50, title="path")
    assert plt.get_fignums() == before
    page = player.data
    assert page.count("data:image/png;base64") == 6
    assert "50" in page and "reflect" in page


def test_animation_rejects_a_single_image():
    with pytest.raises(ValueError, match=r"\(T, 1, H, W\)"):
        plots.animation(torch.rand(1, 28, 28))


def test_curves_draw_reference_levels_as_dashed_lines():
    fig = rendered(plots.curves({"norm": [3.0, 2.5, 3.0]}, x=[0, 0.5, 1], levels={"median": 3.9, "low": 2.8}))
    (ax,) = fig.axes
    labels = [line.get_label() for line in ax.get_lines()]
    assert labels == ["norm", "median", "low"]
    assert [tuple(line.get_ydata()) for line in ax.get_lines()[1:]] == [(3.9, 3.9), (2.8, 2.8)]
    assert [line.get_linestyle() for line in ax.get_lines()[1:]] == ["--", ":"]


def test_curves_with_reference_levels_put_the_legend_beside_the_plot_where_no_line_runs_under_it():
    levels = {"prior samples: 95th percentile": 5.1, "median": 3.9, "5th percentile": 2.8}
    fig = rendered(plots.curves({"lerp": [3.8, 2.7, 3.7], "slerp": [3.8, 3.7, 3.7]}, x=[0, 0.5, 1], levels=levels))
    (ax,) = fig.axes
    legend, axes = ax.get_legend().get_window_extent(), ax.get_window_extent()
    assert legend.x0 > axes.x1, "the legend must not cover the plot, whose reference lines span its whole width"
    assert legend.x1 <= fig.bbox.x1 and legend.y0 >= fig.bbox.y0, "the legend must fit in the figure"
    assert [text.get_text() for text in ax.get_legend().get_texts()] == ["lerp", "slerp", *levels]


def test_training_curves_say_when_they_come_from_a_smoke_mode_run(monkeypatch):
    monkeypatch.setenv("COURSE_SMOKE", "1")
    smoke = rendered(plots.curves({"train": [0.05]}, title="MSE")).axes[0].get_title()
    assert smoke.startswith("MSE\n") and "smoke mode" in smoke
    assert rendered(plots.curves({"norm": [3.0]}, x=[0.5], xlabel="t")).axes[0].get_title() == ""
    monkeypatch.setenv("COURSE_SMOKE", "0")
    assert rendered(plots.curves({"train": [0.05, 0.04]}, title="MSE")).axes[0].get_title() == "MSE"


def test_bars_draw_one_bar_per_value_of_each_series_side_by_side():
    fig = rendered(plots.bars({"a": torch.tensor([1.0, 2.0, 3.0]), "b": [0.5, 0.0, 4.0]}, xlabel="dimension",
                              ylabel="KL", title="KL"))
    ax = fig.axes[0]
    heights = sorted(round(patch.get_height(), 3) for patch in ax.patches)
    assert heights == [0.0, 0.5, 1.0, 2.0, 3.0, 4.0]
    assert [text.get_text() for text in ax.get_legend().get_texts()] == ["a", "b"]
    centres = sorted(patch.get_x() + patch.get_width() / 2 for patch in ax.patches)
    assert len(set(round(c, 6) for c in centres)) == 6  # no two bars on top of each other
    with pytest.raises(ValueError, match="same number of values"):
        plots.bars({"a": [1.0, 2.0], "b": [1.0]})


def test_curves_can_use_a_log_scale_for_x():
    ax = rendered(plots.curves({"bound": [90.0, 89.0, 88.5]}, x=[1, 10, 100], xlabel="k", logx=True)).axes[0]
    assert ax.get_xscale() == "log" and ax.get_yscale() == "linear"

