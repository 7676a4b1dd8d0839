"""Numbers fixed by Whisper's design, defined once: audio rate, STFT and window sizes, frame lengths, vocabularies."""

SAMPLE_RATE = 16000  # Hz: the only rate Whisper accepts
N_FFT = 400  # samples per STFT window (25 ms)
HOP_LENGTH = 160  # samples between STFT frames (10 ms)
CHUNK_LENGTH = 30  # seconds in one encoder window
N_SAMPLES = CHUNK_LENGTH * SAMPLE_RATE  # 480000 samples in one window
N_FRAMES = N_SAMPLES // HOP_LENGTH  # 3000 mel frames in one window
FRAMES_PER_SECOND = SAMPLE_RATE // HOP_LENGTH  # 100 mel frames (10 ms each)
ENCODER_FRAMES_PER_SECOND = FRAMES_PER_SECOND // 2  # 50 encoder frames (20 ms), after the stride-2 conv
SECONDS_PER_ENCODER_FRAME = 1 / ENCODER_FRAMES_PER_SECOND  # 0.02 s: one column of the attention
SAMPLES_PER_ENCODER_FRAME = SAMPLE_RATE // ENCODER_FRAMES_PER_SECOND  # 320 samples
TIME_PRECISION = 0.02  # seconds per timestamp-token step (the same 20 ms grid)

N_MELS = 80  # mel bins of every released model but large-v3
VALID_N_MELS = (80, 128)  # filterbanks of the released models (128 for large-v3)

ENGLISH_VOCAB_SIZE = 51864  # tokens of the English-only models (*.en)
MULTILINGUAL_VOCAB_SIZE = 51865  # tokens of the multilingual models (one more: the language-agnostic set)
