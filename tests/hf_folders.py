"""Hugging Face transformers Whisper folders built from the installed models' weights (no hub), for tests.

`build_hf_folder("tiny.en", folder)` writes what `WhisperForConditionalGeneration.save_pretrained` and
`WhisperProcessor.save_pretrained` write for a checkpoint on the hub: config.json, generation_config.json (with
the official alignment heads), model.safetensors, tokenizer.json / tokenizer_config.json and the feature
extractor's preprocessor config, all through transformers' own classes.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import torch

from whisper_viz.engine.tokenizer import WhisperTokenizer as OurTokenizer
from whisper_viz.weights.cache import load_checkpoint
from whisper_viz.weights.huggingface import huggingface_name
from whisper_viz.weights.registry import resolve_source


def whisper_config(dims: dict, tokenizer: OurTokenizer, decoder_layers: int | None = None):
    from transformers import WhisperConfig

    return WhisperConfig(
        vocab_size=dims["n_vocab"], num_mel_bins=dims["n_mels"], d_model=dims["n_audio_state"],
        encoder_layers=dims["n_audio_layer"], encoder_attention_heads=dims["n_audio_head"],
        decoder_layers=decoder_layers or dims["n_text_layer"], decoder_attention_heads=dims["n_text_head"],
        encoder_ffn_dim=4 * dims["n_audio_state"], decoder_ffn_dim=4 * dims["n_text_state"],
        max_source_positions=dims["n_audio_ctx"], max_target_positions=dims["n_text_ctx"],
        decoder_start_token_id=tokenizer.sot, eos_token_id=tokenizer.eot, pad_token_id=tokenizer.eot,
        bos_token_id=tokenizer.eot)


def generation_config(tokenizer: OurTokenizer, checkpoint, alignment_heads):
    """Whisper's generation settings as the hub's generation_config.json holds them."""
    from transformers import GenerationConfig

    settings = dict(
        decoder_start_token_id=tokenizer.sot, eos_token_id=tokenizer.eot, pad_token_id=tokenizer.eot,
        bos_token_id=tokenizer.eot, no_timestamps_token_id=tokenizer.no_timestamps,
        prev_sot_token_id=tokenizer.sot_prev, max_initial_timestamp_index=50, max_length=448,
        suppress_tokens=list(checkpoint.suppress_ids), begin_suppress_tokens=list(checkpoint.suppress_ids_begin),
        is_multilingual=tokenizer.is_multilingual, return_timestamps=False)
    if tokenizer.is_multilingual:
        settings.update(lang_to_id={f"<|{code}|>": i for code, i in tokenizer.language_ids.items()},
                        task_to_id=dict(tokenizer.task_ids),
                        forced_decoder_ids=[[1, None], [2, tokenizer.task_ids["transcribe"]]])
    else:
        settings.update(forced_decoder_ids=[[1, tokenizer.no_timestamps]])
    if alignment_heads:
        settings["alignment_heads"] = [list(p) for p in alignment_heads]
    return GenerationConfig(**settings)


def build_hf_folder(model_name: str, folder: Path, *, decoder_layers: tuple[int, ...] | None = None,
                    alignment_heads=None, tokenizer_files: str = "json") -> Path:
    """Write an HF Whisper folder of an installed model into `folder`.

    decoder_layers: keep only these decoder layers, renumbered from 0 (as distil-whisper builds its students).
    alignment_heads: (layer, head) pairs for generation_config.json; None = the model's official heads, () = none.
    tokenizer_files: "json" (tokenizer.json) or "vocab" (vocab.json + merges.txt + added_tokens.json only).
    """
    from transformers import WhisperFeatureExtractor, WhisperForConditionalGeneration, WhisperProcessor
    from transformers import WhisperTokenizer as HFTokenizer

    checkpoint, tokenizer_path, _ = load_checkpoint(resolve_source(model_name))
    dims = checkpoint.dims
    tokenizer = OurTokenizer.from_file(tokenizer_path, dims["n_vocab"])
    state = {}
    for name, tensor in checkpoint.state_dict.items():
        if decoder_layers is not None and name.startswith("decoder.blocks."):
            index = int(name.split(".")[2])
            if index not in decoder_layers:
                continue
            name = name.replace(f"decoder.blocks.{index}.", f"decoder.blocks.{decoder_layers.index(index)}.", 1)
        state[huggingface_name(name)] = tensor.float()
    state["proj_out.weight"] = state["model.decoder.embed_tokens.weight"]
    config = whisper_config(dims, tokenizer, len(decoder_layers) if decoder_layers else None)
    model = WhisperForConditionalGeneration(config)
    missing, unexpected = model.load_state_dict(state, strict=False)
    assert not missing and not unexpected, (missing, unexpected)
    if alignment_heads is None:
        alignment_heads = () if decoder_layers else checkpoint.alignment_heads
    model.generation_config = generation_config(tokenizer, checkpoint, alignment_heads)
    folder = Path(folder)
    model.save_pretrained(folder, safe_serialization=True)
    shutil.copy(tokenizer_path, folder / "tokenizer.json")
    specials = [t["content"] for t in json.loads(tokenizer_path.read_text())["added_tokens"]]
    hf_tokenizer = HFTokenizer.from_pretrained(folder, extra_special_tokens=specials)
    WhisperProcessor(feature_extractor=WhisperFeatureExtractor(feature_size=dims["n_mels"]),
                     tokenizer=hf_tokenizer).save_pretrained(folder)
    if tokenizer_files == "vocab":
        _vocabulary_files(tokenizer_path, folder)
    return folder


def _vocabulary_files(tokenizer_path: Path, folder: Path) -> None:
    """Replace tokenizer.json by vocab.json, merges.txt and added_tokens.json (older transformers' files)."""
    data = json.loads(tokenizer_path.read_text())
    (folder / "vocab.json").write_text(json.dumps(data["model"]["vocab"], ensure_ascii=False))
    merges = [m if isinstance(m, str) else " ".join(m) for m in data["model"]["merges"]]
    (folder / "merges.txt").write_text("#version: 0.2\n" + "\n".join(merges) + "\n")
    added = {t["content"]: t["id"] for t in data["added_tokens"] if t["content"] not in data["model"]["vocab"]}
    (folder / "added_tokens.json").write_text(json.dumps(added))
    (folder / "tokenizer.json").unlink()
    (folder / "tokenizer_config.json").unlink(missing_ok=True)


def transformers_model(folder: Path):
    """transformers' own Whisper of an HF folder, in fp32 with eager attention (so attentions can be returned)."""
    from transformers import WhisperForConditionalGeneration

    model = WhisperForConditionalGeneration.from_pretrained(folder, attn_implementation="eager",
                                                            dtype=torch.float32)
    return model.eval()
