"""Engine test helpers: the first 30 s window of a clip, cut and encoded as analyze() does."""

import pytest
import torch

from whisper_viz.constants import N_FRAMES, N_SAMPLES
from whisper_viz.engine.audio import load_audio, log_mel_spectrogram, pad_or_trim


class FirstWindow:
    """The first window of `clip` for `model`: its log-mel and the decoder state of its encoded audio."""

    def __init__(self, model, clip):
        mel = log_mel_spectrogram(load_audio(clip), model.dims.n_mels, padding=N_SAMPLES)
        self.mel_frames = min(N_FRAMES, mel.shape[-1] - N_FRAMES)  # mel frames (10 ms) of real audio
        self.mel = pad_or_trim(mel[:, : self.mel_frames], N_FRAMES)  # (n_mels, 3000), as openai-whisper cuts it
        with torch.inference_mode():
            self.features = model.model.encoder(self.mel[None])  # (1, 1500, state)
        self.model = model

    def state(self):
        """A fresh decoder state (cross-attention keys/values of this window, empty self-attention cache)."""
        with torch.inference_mode():
            return self.model.model.decoder.start(self.features)


@pytest.fixture(scope="session")
def first_window():
    """first_window(model, clip path) -> FirstWindow."""
    return FirstWindow
