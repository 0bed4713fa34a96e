import pytest

from helpers import settings


@pytest.fixture
def clean_env(monkeypatch):
    monkeypatch.delenv(settings.SMOKE_VARIABLE, raising=False)
    monkeypatch.delenv(settings.NBGRADER_VARIABLE, raising=False)
    return monkeypatch


def test_full_mode_is_the_default(clean_env):
    assert settings.smoke_mode() is False


@pytest.mark.parametrize("value", ["1", "true", "YES", " on "])
def test_course_smoke_turns_smoke_mode_on(clean_env, value):
    clean_env.setenv(settings.SMOKE_VARIABLE, value)
    assert settings.smoke_mode() is True


@pytest.mark.parametrize("value", ["autograde", "validate"])
def test_nbgrader_execution_turns_smoke_mode_on(clean_env, value):
    clean_env.setenv(settings.NBGRADER_VARIABLE, value)
    assert settings.smoke_mode() is True


def test_an_explicit_zero_wins_over_nbgrader(clean_env):
    clean_env.setenv(settings.NBGRADER_VARIABLE, "autograde")
    clean_env.setenv(settings.SMOKE_VARIABLE, "0")
    assert settings.smoke_mode() is False


def test_a_bad_value_is_named_in_the_error(clean_env):
    clean_env.setenv(settings.SMOKE_VARIABLE, "maybe")
    with pytest.raises(ValueError, match="COURSE_SMOKE.*'maybe'"):
        settings.smoke_mode()


def test_full_sizes_use_all_data_and_the_given_epochs(clean_env):
    sizes = settings.sizes(epochs=12, batch_size=64)
    assert (sizes.epochs, sizes.batch_size, sizes.train_images, sizes.test_images, sizes.smoke) == (12, 64, None, None, False)
    assert "full mode" in str(sizes) and "12 epoch" in str(sizes)


def test_smoke_sizes_shrink_training(clean_env):
    clean_env.setenv(settings.SMOKE_VARIABLE, "1")
    sizes = settings.sizes(epochs=12, batch_size=64)
    assert sizes.smoke and sizes.epochs == settings.SMOKE_EPOCHS < 12
    assert sizes.train_images == settings.SMOKE_TRAIN_IMAGES and sizes.test_images == settings.SMOKE_TEST_IMAGES
    assert sizes.batch_size == 64
    assert "smoke mode" in str(sizes)


def test_batches_per_epoch_counts_the_short_last_batch(clean_env):
    sizes = settings.sizes(epochs=1, batch_size=128)
    assert sizes.batches_per_epoch(1024) == 8
    assert sizes.batches_per_epoch(1025) == 9
    assert sizes.batches_per_epoch(1) == 1


@pytest.mark.parametrize("epochs, batch_size", [(0, 128), (3, 0), (-1, 10)])
def test_sizes_reject_non_positive_numbers(clean_env, epochs, batch_size):
    with pytest.raises(ValueError, match="positive"):
        settings.sizes(epochs=epochs, batch_size=batch_size)


def test_trained_result_notes_smoke_mode_and_leaves_full_mode_alone(clean_env):
    clean_env.setenv(settings.SMOKE_VARIABLE, "0")
    assert settings.trained_result("ELBO 100.0 nats") == "ELBO 100.0 nats"
    clean_env.setenv(settings.SMOKE_VARIABLE, "1")
    noted = settings.trained_result("ELBO 100.0 nats")
    assert noted.startswith("ELBO 100.0 nats\n") and "smoke mode" in noted and "full mode" in noted
    assert all(len(line) <= 120 for line in noted.splitlines()), "the note must fit a normal-width output, alone"


def test_costly_evaluations_use_all_their_images_in_full_mode_and_a_few_in_smoke_mode(clean_env):
    assert settings.evaluation_images(1000) == 1000
    clean_env.setenv(settings.SMOKE_VARIABLE, "1")
    assert settings.evaluation_images(1000) == settings.SMOKE_EVALUATION_IMAGES < 1000
    assert settings.evaluation_images(5) == 5
    with pytest.raises(ValueError, match="at least one image"):
        settings.evaluation_images(0)
