"""Where models come from: installed packages by name; CTranslate2 folders, Hugging Face folders (safetensors)
and openai .pt files by path, converted to openai-whisper's checkpoint layout (CTranslate2 and .pt cached)."""
