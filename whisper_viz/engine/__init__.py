"""Running Whisper: audio -> log-mel -> encoder -> greedy decoding -> teacher-forced capture of every
decoder head's cross-attention -> `analyze()`, which returns an AnalysisResult."""
