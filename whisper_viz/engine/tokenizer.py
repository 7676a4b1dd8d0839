"""Whisper's tokenizer from a model's `tokenizer.json`, with its special and timestamp tokens."""

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


@dataclass(frozen=True, eq=False)
class WhisperTokenizer:
    """Text <-> token ids for one Whisper vocabulary, and the ids of its special tokens."""

    hf: HFTokenizer
    n_vocab: int  # model vocabulary size, including the timestamp tokens

    @classmethod
    def from_file(cls, path: Path, n_vocab: int) -> "WhisperTokenizer":
        try:
            hf = HFTokenizer.from_file(str(path))
        except Exception as e:  # tokenizers raises a bare Exception on bad JSON
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
