"""Where models come from: installed packages by name, CTranslate2 folders and openai .pt files by path,
converted once to openai-whisper's checkpoint layout and cached."""
