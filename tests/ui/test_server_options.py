"""The operator's options: which local model folders visitors may pick from, by name only."""

from pathlib import Path

from whisper_viz.ui.server_options import (
    ServerOptions,
    offered_models,
    parse_server_options,
)


def _ctranslate2_folder(path: Path) -> Path:
    path.mkdir(parents=True)
    (path / "model.bin").write_bytes(b"x")
    return path


def test_options_come_from_the_arguments_after_dashes_and_the_environment(tmp_path):
    options = parse_server_options(["--allow-models", "/srv/a", "/srv/b", "--other", "x"],
                                   {"WHISPER_VIZ_ALLOW_MODELS": "/srv/c:/srv/a"})
    assert options.allowed_model_folders == (Path("/srv/a"), Path("/srv/b"), Path("/srv/c"))
    assert parse_server_options([], {}) == ServerOptions(())


def test_without_the_option_only_installed_models_are_offered():
    assert offered_models(ServerOptions()) == {"tiny.en": "tiny.en", "base": "base"}


def test_allowed_folders_offer_their_models_by_name(tmp_path):
    models = tmp_path / "models"
    _ctranslate2_folder(models / "small-ct2")
    (models / "medium.pt").write_bytes(b"x")
    (models / "notes.txt").write_text("not a model")
    (models / "empty").mkdir()
    single = _ctranslate2_folder(tmp_path / "single")  # an allowed folder that is itself a model
    offered = offered_models(ServerOptions((models, single, tmp_path / "missing")))
    assert offered == {"tiny.en": "tiny.en", "base": "base", "local/small-ct2": str(models / "small-ct2"),
                       "local/medium.pt": str(models / "medium.pt"), "local/single": str(single)}
