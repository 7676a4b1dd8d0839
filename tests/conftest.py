"""Shared fixtures: the committed test clips and one real tiny.en model per test session."""

import importlib.util
import sys
from pathlib import Path

import pytest

DATA_DIR = Path(__file__).parent / "data"
REPO_DIR = Path(__file__).resolve().parents[1]


def pytest_configure(config):
    config.addinivalue_line("markers", "slow: runs the real model on long audio or many inputs")
    config.addinivalue_line("markers", "browser: drives Chromium against a running app")
    config.addinivalue_line("markers", "cuda: needs an NVIDIA GPU")


@pytest.fixture(scope="session")
def data_dir() -> Path:
    return DATA_DIR


@pytest.fixture(scope="session")
def tiny_model():
    import whisper_viz as wv

    return wv.load_model("tiny.en", device="cpu")


@pytest.fixture(scope="session")
def base_model():
    """The multilingual base model (6 layers x 8 heads), loaded once per test session."""
    import whisper_viz as wv

    return wv.load_model("base", device="cpu")


@pytest.fixture(scope="session")
def openai_reference():
    """build(model): openai-whisper's model with one of our loaded models' weights and official heads."""
    def build(model):
        from whisper.model import ModelDimensions, Whisper

        from whisper_viz.heads import HeadSet

        reference = Whisper(ModelDimensions(**model.dims.to_dict()))
        reference.load_state_dict({k: v for k, v in model.model.state_dict().items() if k != "alignment_heads"})
        reference.set_alignment_heads(HeadSet(model.official_heads).to_dump())
        return reference.eval()
    return build


@pytest.fixture(scope="session")
def repo_dir() -> Path:
    return REPO_DIR


def _import_file(name: str, path: Path):
    """The module of the file `path`, imported once under `name` (tests/ and bench/ are not packages)."""
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


@pytest.fixture(scope="session")
def bench_module():
    """Import a script of bench/ by its path there, e.g. bench_module("accuracy/dataset.py")."""
    def load(relative: str):
        path = REPO_DIR / "bench" / relative
        if str(path.parent) not in sys.path:
            sys.path.insert(0, str(path.parent))  # bench scripts import their neighbours by name
        return _import_file("bench_" + relative.replace("/", "_").removesuffix(".py"), path)
    return load


@pytest.fixture(scope="session")
def hf_folders():
    """tests/hf_folders.py: Hugging Face Whisper folders built from the installed models (imports torch)."""
    return _import_file("hf_folders", Path(__file__).parent / "hf_folders.py")
