"""Shared fixtures: the committed test clips and one real tiny.en model per test session."""

from pathlib import Path

import pytest

DATA_DIR = Path(__file__).parent / "data"


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
