"""Whisper's tokenizer from a model's `tokenizer.json`, with its special and timestamp tokens."""

import bisect
import json
from dataclasses import dataclass
from functools import cached_property, lru_cache
from pathlib import Path

from tokenizers import Tokenizer as HFTokenizer

from ..constants import MULTILINGUAL_VOCAB_SIZE, TIME_PRECISION
from ..errors import DecodingError, WeightsError

TASKS = ("transcribe", "translate")


@lru_cache(maxsize=1)
def _byte_decoder() -> dict[str, int]:
    """Inverse of GPT-2's byte-to-printable-character table used by byte-level BPE vocabularies."""
    printable = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(
        range(ord("®"), ord("ÿ") + 1))
    chars, extra = list(printable), 0
    for byte in range(256):
        if byte not in printable:
            printable.append(byte)
            chars.append(256 + extra)
            extra += 1
    return {chr(c): b for b, c in zip(printable, chars)}


def _merge_pair(token: str, ranks: dict[str, int]) -> tuple[str, str] | None:
    """The two tokens byte-level BPE joins last to make `token`: merge the lowest-ranked pair until two remain."""
    parts = list(token)
    while len(parts) > 2:
        rank, i = min((ranks.get(a + b, len(ranks)), i) for i, (a, b) in enumerate(zip(parts, parts[1:])))
        if rank >= ranks[token]:
            return None
        parts[i: i + 2] = [parts[i] + parts[i + 1]]
    return (parts[0], parts[1]) if len(parts) == 2 else None


def restore_missing_merges(spec: dict) -> list[str]:
    """Add, in place, the merges a byte-level BPE `tokenizer.json` spec lacks; returns the tokens they make.

    In Whisper's vocabularies (from tiktoken) a token's id is its merge rank, so every token of two or more
    characters needs a merge. The tokenizer.json installed with base lacks the first one ("Ġ t"), so " the"
    became "Ġ" + "the" (forced transcripts too), unlike openai-whisper's tokenizer and the model's training.
    """
    model, added = spec["model"], {t["content"] for t in spec.get("added_tokens", ())}
    vocab, merges = model["vocab"], model["merges"]
    as_text = bool(merges) and isinstance(merges[0], str)  # "a b" in older files, ["a", "b"] in newer ones
    made = ["".join(m.split(" ") if as_text else m) for m in merges]
    missing = sorted((t for t in vocab.keys() - set(made) if len(t) > 1 and t not in added), key=vocab.get)
    restored = []
    for token in missing:
        pair = _merge_pair(token, vocab)
        if pair is None:
            continue
        at = bisect.bisect([vocab.get(t, len(vocab)) for t in made], vocab[token])  # merges stay in rank order
        merges.insert(at, " ".join(pair) if as_text else list(pair))
        made.insert(at, token)
        restored.append(token)
    return restored


@dataclass(frozen=True, eq=False)
class WhisperTokenizer:
    """Text <-> token ids for one Whisper vocabulary, and the ids of its special tokens."""

    hf: HFTokenizer
    n_vocab: int  # model vocabulary size, including the timestamp tokens

    @classmethod
    def from_file(cls, path: Path, n_vocab: int) -> "WhisperTokenizer":
        try:
            text = Path(path).read_text(encoding="utf-8")
            spec = json.loads(text)
            restored = spec.get("model", {}).get("type") == "BPE" and restore_missing_merges(spec)
            hf = HFTokenizer.from_str(json.dumps(spec, ensure_ascii=False) if restored else text)  # ~0.2 s to dump
        except Exception as e:  # OSError, bad JSON, and tokenizers' bare Exception on a bad spec
            raise WeightsError(f"Cannot read the tokenizer {path}: {e}") from e
        tokenizer = cls(hf, n_vocab)
        for name in ("<|endoftext|>", "<|startoftranscript|>", "<|notimestamps|>", "<|transcribe|>"):
            if hf.token_to_id(name) is None:
                raise WeightsError(f"{path} is not a Whisper tokenizer: it has no {name} token.")
        return tokenizer

    def special(self, name: str) -> int:
        token_id = self.hf.token_to_id(name)
        if token_id is None:
            raise KeyError(name)
        return token_id

    @cached_property
    def eot(self) -> int:
        return self.special("<|endoftext|>")

    @cached_property
    def sot(self) -> int:
        return self.special("<|startoftranscript|>")

    @cached_property
    def sot_prev(self) -> int:
        return self.special("<|startofprev|>")

    @cached_property
    def sot_lm(self) -> int:
        return self.special("<|startoflm|>")

    @cached_property
    def no_timestamps(self) -> int:
        return self.special("<|notimestamps|>")

    @cached_property
    def no_speech(self) -> int:
        token_id = self.hf.token_to_id("<|nospeech|>")
        return token_id if token_id is not None else self.special("<|nocaptions|>")

    @cached_property
    def timestamp_begin(self) -> int:
        return self.no_timestamps + 1

    @cached_property
    def task_ids(self) -> dict[str, int]:
        return {task: self.special(f"<|{task}|>") for task in TASKS}

    @cached_property
    def language_ids(self) -> dict[str, int]:
        """Language code -> token id, in vocabulary order (empty for English-only models)."""
        if not self.is_multilingual:
            return {}
        first, last = self.sot + 1, self.task_ids["translate"]
        codes = {}
        for token_id in range(first, last):
            name = self.hf.id_to_token(token_id) or ""
            codes[name.strip("<|>")] = token_id
        return codes

    @property
    def is_multilingual(self) -> bool:
        # English-only vocabularies keep the language tokens but are one id shorter
        return self.n_vocab >= MULTILINGUAL_VOCAB_SIZE

    def sot_sequence(self, language: str | None, task: str = "transcribe") -> tuple[int, ...]:
        """Start-of-transcript, then (multilingual only) language and task tokens."""
        if not self.is_multilingual:
            if task != "transcribe":
                raise DecodingError("This model is English-only: it can only transcribe, not translate.")
            return (self.sot,)
        if task not in TASKS:
            raise DecodingError(f"Unknown task {task!r}; use one of {', '.join(TASKS)}.")
        if language not in self.language_ids:
            raise DecodingError(f"Unknown language {language!r}; use one of: {', '.join(self.language_ids)}.")
        return (self.sot, self.language_ids[language], self.task_ids[task])

    def encode(self, text: str) -> list[int]:
        return self.hf.encode(text, add_special_tokens=False).ids

    def decode(self, ids) -> str:
        """Text of the ordinary (non-special, non-timestamp) tokens among ids."""
        return self.token_bytes_join([i for i in ids if i < self.eot]).decode("utf-8", errors="replace")

    def token_bytes(self, token_id: int) -> bytes:
        """The UTF-8 bytes a single ordinary token stands for (b"" for special tokens)."""
        if token_id >= self.eot:
            return b""
        piece = self.hf.id_to_token(token_id) or ""
        table = _byte_decoder()
        return bytes(table[c] for c in piece if c in table)

    def token_bytes_join(self, ids) -> bytes:
        return b"".join(self.token_bytes(i) for i in ids)

    def token_text(self, token_id: int) -> str:
        """Readable form of one token: its text, or <|name|> / <|1.24|> for special ones."""
        if token_id >= self.timestamp_begin:
            return f"<|{(token_id - self.timestamp_begin) * TIME_PRECISION:.2f}|>"
        if token_id >= self.eot:
            return self.hf.id_to_token(token_id) or f"<|{token_id}|>"
        return self.token_bytes(token_id).decode("utf-8", errors="replace")
