"""Alignment head sets: which decoder cross-attention heads (layer, head) are used for timing.

A `HeadSet` wraps a bool mask of shape (n_text_layer, n_text_head). It converts to and from
openai-whisper's `_ALIGNMENT_HEADS` dump format (base85 text of a gzipped bool array), pair
lists, "layer:head" text, and the sparse torch tensor the reference model keeps as a buffer.
"""

from __future__ import annotations

import base64
import binascii
import gzip
import re
import struct
import zlib
from dataclasses import dataclass
from typing import Iterable, Iterator

import numpy as np

from .errors import HeadSetError

GZIP_COMPRESSLEVEL = 9  # the level the official dumps were written with
GZIP_MTIME_OFFSET = 4  # byte offset of the little-endian uint32 mtime in a gzip header
GZIP_HEADER_BYTES = 10
DEFAULT_MTIME = 0  # gzip mtime of new dumps, so encoding is deterministic

# openai-whisper's `_ALIGNMENT_HEADS`: base85 gzipped bool (layers, heads) masks, with the shapes
# of the decoders they belong to. Data, copied from whisper/__init__.py.
OFFICIAL_HEADS: dict[str, tuple[bytes, tuple[int, int]]] = {
    "tiny.en": (b"ABzY8J1N>@0{>%R00Bk>$p{7v037`oCl~+#00", (4, 6)),
    "tiny": (b"ABzY8bu8Lr0{>%RKn9Fp%m@SkK7Kt=7ytkO", (4, 6)),
    "base.en": (b"ABzY8;40c<0{>%RzzG;p*o+Vo09|#PsxSZm00", (6, 8)),
    "base": (b"ABzY8KQ!870{>%RzyTQH3`Q^yNP!>##QT-<FaQ7m", (6, 8)),
    "small.en": (b"ABzY8>?_)10{>%RpeA61k&I|OI3I$65C{;;pbCHh0B{qLQ;+}v00", (12, 12)),
    "small": (b"ABzY8DmU6=0{>%Rpa?J`kvJ6qF(V^F86#Xh7JUGMK}P<N0000", (12, 12)),
    "medium.en": (b"ABzY8usPae0{>%R7<zz_OvQ{)4kMa0BMw6u5rT}kRKX;$NfYBv00*Hl@qhsU00", (24, 16)),
    "medium": (b"ABzY8B0Jh+0{>%R7}kK1fFL7w6%<-Pf*t^=N)Qr&0RR9", (24, 16)),
    "large-v1": (b"ABzY8r9j$a0{>%R7#4sLmoOs{s)o3~84-RPdcFk!JR<kSfC2yj", (32, 20)),
    "large-v2": (
        b"ABzY8zd+h!0{>%R7=D0pU<_bnWW*tkYAhobTNnu$jnkEkXqp)j;w1Tzk)UH3X%SZd&fFZ2fC2yj",
        (32, 20),
    ),
    "large-v3": (b"ABzY8gWO1E0{>%R7(9S+Kn!D~%ngiGaR?*L!iJG9p-nab0JQ=-{D1-g00", (32, 20)),
    "large": (b"ABzY8gWO1E0{>%R7(9S+Kn!D~%ngiGaR?*L!iJG9p-nab0JQ=-{D1-g00", (32, 20)),
    "large-v3-turbo": (b"ABzY8j^C+e0{>%RARaKHP%t(lGR*)0g!tONPyhe`", (4, 20)),
    "turbo": (b"ABzY8j^C+e0{>%RARaKHP%t(lGR*)0g!tONPyhe`", (4, 20)),
}

PRESETS = ("official", "all", "upper", "none")  # names `parse_heads` understands
_PAIR_TEXT = re.compile(r"^\s*(-?\d+)\s*:\s*(-?\d+)\s*$")
_ITEM_SEPARATORS = re.compile(r"[,;\s]+")


@dataclass(frozen=True, eq=False)
class HeadSet:
    """A set of decoder cross-attention heads, as a bool mask (n_text_layer, n_text_head)."""

    mask: np.ndarray  # bool (layers, heads); True = the head is used for alignment
    mtime: int = DEFAULT_MTIME  # gzip mtime of the dump it was read from, so re-encoding is exact

    def __post_init__(self):
        mask = np.asarray(self.mask)
        if mask.ndim != 2 or 0 in mask.shape:
            raise HeadSetError(f"a head mask must be 2-D (layers, heads) and non-empty, got shape {mask.shape}")
        if mask.dtype != np.bool_:
            if not np.isin(mask, (0, 1)).all():
                raise HeadSetError("a head mask must hold only True/False (or 0/1) values")
            mask = mask.astype(bool)
        mask = mask.copy()
        mask.setflags(write=False)
        object.__setattr__(self, "mask", mask)

    # --- identity -------------------------------------------------------------------------
    def __eq__(self, other) -> bool:
        if not isinstance(other, HeadSet):
            return NotImplemented
        return self.shape == other.shape and bool(np.array_equal(self.mask, other.mask))

    def __hash__(self) -> int:
        return hash((self.shape, self.mask.tobytes()))

    def __len__(self) -> int:
        return int(self.mask.sum())

    def __iter__(self) -> Iterator[tuple[int, int]]:
        return iter(self.pairs())

    def __contains__(self, pair) -> bool:
        layer, head = pair
        return 0 <= layer < self.n_layers and 0 <= head < self.n_heads and bool(self.mask[layer, head])

    def __repr__(self) -> str:
        return f"HeadSet(shape={self.shape}, heads={self.to_text()!r})"

    @property
    def shape(self) -> tuple[int, int]:
        return (int(self.mask.shape[0]), int(self.mask.shape[1]))

    @property
    def n_layers(self) -> int:
        return self.shape[0]

    @property
    def n_heads(self) -> int:
        return self.shape[1]

    @property
    def is_empty(self) -> bool:
        return not self.mask.any()

    @property
    def flat_indices(self) -> np.ndarray:
        """int64 (k,) indices into the flattened (layers * heads) mask, in layer-major order."""
        return np.flatnonzero(self.mask)

    # --- constructors ---------------------------------------------------------------------
    @classmethod
    def empty(cls, shape: tuple[int, int]) -> HeadSet:
        return cls(np.zeros(_check_shape(shape), bool))

    @classmethod
    def all(cls, shape: tuple[int, int]) -> HeadSet:
        return cls(np.ones(_check_shape(shape), bool))

    @classmethod
    def upper(cls, shape: tuple[int, int]) -> HeadSet:
        """Every head of the upper half of the layers: openai-whisper's default without a dump."""
        n_layers, n_heads = _check_shape(shape)
        mask = np.zeros((n_layers, n_heads), bool)
        mask[n_layers // 2 :] = True
        return cls(mask)

    @classmethod
    def official(cls, model_name: str) -> HeadSet:
        """The `_ALIGNMENT_HEADS` set of an official model name ("tiny.en", "large-v3", ...)."""
        if model_name not in OFFICIAL_HEADS:
            raise HeadSetError(
                f"no official alignment heads for model {model_name!r}; known: {', '.join(OFFICIAL_HEADS)}"
            )
        dump, shape = OFFICIAL_HEADS[model_name]
        return cls.from_dump(dump, *shape)

    @classmethod
    def from_dump(cls, dump: bytes | str, n_layers: int, n_heads: int) -> HeadSet:
        """Decode an openai-whisper alignment-heads dump (base85 of a gzipped bool array)."""
        mask, mtime = _decode_dump(dump, n_layers, n_heads)
        return cls(mask, mtime=mtime)

    @classmethod
    def from_pairs(cls, pairs: Iterable[tuple[int, int]], shape: tuple[int, int]) -> HeadSet:
        """Build from (layer, head) pairs, both counted from 0."""
        n_layers, n_heads = _check_shape(shape)
        mask = np.zeros((n_layers, n_heads), bool)
        for pair in pairs:
            try:
                layer, head = (int(v) for v in pair)
            except (TypeError, ValueError):
                raise HeadSetError(f"a head must be a (layer, head) pair of integers, got {pair!r}") from None
            if not (0 <= layer < n_layers and 0 <= head < n_heads):
                raise HeadSetError(
                    f"head {layer}:{head} is out of range for a decoder of {n_layers} layers x {n_heads} heads "
                    f"(layers 0-{n_layers - 1}, heads 0-{n_heads - 1})"
                )
            mask[layer, head] = True
        return cls(mask)

    @classmethod
    def from_text(cls, text: str, shape: tuple[int, int]) -> HeadSet:
        """Parse "layer:head" items separated by commas or spaces, e.g. "3:1,4:2"; "" is empty."""
        pairs = []
        for item in _ITEM_SEPARATORS.split(text.strip()):
            if not item:
                continue
            match = _PAIR_TEXT.match(item)
            if match is None:
                raise HeadSetError(f"cannot read head {item!r}: write heads as layer:head, e.g. \"3:1,4:2\"")
            pairs.append((int(match.group(1)), int(match.group(2))))
        return cls.from_pairs(pairs, shape)

    # --- conversions ----------------------------------------------------------------------
    def pairs(self) -> tuple[tuple[int, int], ...]:
        """(layer, head) pairs in layer-major order, like the sparse tensor's indices."""
        return tuple((int(layer), int(head)) for layer, head in np.argwhere(self.mask))

    def to_text(self) -> str:
        return ",".join(f"{layer}:{head}" for layer, head in self.pairs())

    def to_dump(self, mtime: int | None = None) -> bytes:
        """Encode as openai-whisper's dump: base85(gzip(mask bytes, level 9, mtime)).

        `mtime` (seconds since 1970) goes in the gzip header; None uses `self.mtime`, which is the
        original dump's mtime for sets read with `from_dump` (so official dumps re-encode byte for
        byte) and 0 for new sets.
        """
        mtime = self.mtime if mtime is None else int(mtime)
        raw = np.ascontiguousarray(self.mask).tobytes()  # one byte per head, layer-major
        return base64.b85encode(gzip.compress(raw, compresslevel=GZIP_COMPRESSLEVEL, mtime=mtime))

    # --- editing (returns new sets) -------------------------------------------------------
    def with_head(self, layer: int, head: int, on: bool = True) -> HeadSet:
        """A copy with one head switched on or off."""
        if not (0 <= layer < self.n_layers and 0 <= head < self.n_heads):
            raise HeadSetError(f"head {layer}:{head} is out of range for shape {self.shape}")
        mask = self.mask.copy()
        mask[layer, head] = on
        return HeadSet(mask)

    def toggle(self, layer: int, head: int) -> HeadSet:
        """A copy with one head flipped."""
        return self.with_head(layer, head, (layer, head) not in self)

    def __or__(self, other: HeadSet) -> HeadSet:
        return HeadSet(self.mask | _same_shape(self, other).mask)

    def __and__(self, other: HeadSet) -> HeadSet:
        return HeadSet(self.mask & _same_shape(self, other).mask)

    def __sub__(self, other: HeadSet) -> HeadSet:
        return HeadSet(self.mask & ~_same_shape(self, other).mask)


def mask_from_dump(dump: bytes | str, n_layers: int, n_heads: int) -> np.ndarray:
    """Decode a dump to a writable bool (n_layers, n_heads) mask; for `set_alignment_heads`."""
    mask, _ = _decode_dump(dump, n_layers, n_heads)
    return mask


def official_shape(model_name: str) -> tuple[int, int]:
    """(n_text_layer, n_text_head) of an official model, without loading weights."""
    if model_name not in OFFICIAL_HEADS:
        raise HeadSetError(f"unknown model {model_name!r}; known: {', '.join(OFFICIAL_HEADS)}")
    return OFFICIAL_HEADS[model_name][1]


def parse_heads(spec, shape: tuple[int, int], official=None) -> HeadSet:
    """Turn any head-set spelling into a `HeadSet` of `shape` (layers, heads).

    spec: a HeadSet or bool mask; a preset name "official" | "all" | "upper" | "none"; a base85
    dump (str or bytes); "layer:head" text like "3:1,4:2"; or a list of (layer, head) pairs.
    official: what "official" means: a HeadSet, bool mask, dump, or official model name.
    """
    shape = _check_shape(shape)
    if isinstance(spec, HeadSet):
        if spec.shape != shape:
            raise HeadSetError(f"head set has shape {spec.shape} but the model has {shape} (layers, heads)")
        return spec
    if isinstance(spec, np.ndarray):
        return parse_heads(HeadSet(spec), shape)
    if isinstance(spec, (bytes, bytearray)):
        return HeadSet.from_dump(bytes(spec), *shape)
    if isinstance(spec, (list, tuple)):
        return HeadSet.from_pairs(spec, shape)
    if not isinstance(spec, str):
        raise HeadSetError(f"cannot read a head set from {type(spec).__name__}")
    name = spec.strip()
    if name == "official":
        if official is None:
            raise HeadSetError("no official heads are known here: pass official= (a model name, dump or mask)")
        if isinstance(official, str) and official in OFFICIAL_HEADS:
            return parse_heads(HeadSet.official(official), shape)
        return parse_heads(official, shape)
    if name == "all":
        return HeadSet.all(shape)
    if name == "upper":
        return HeadSet.upper(shape)
    if name == "none":
        return HeadSet.empty(shape)
    if name == "" or ":" in name:
        return HeadSet.from_text(name, shape)
    try:
        return HeadSet.from_dump(name, *shape)
    except HeadSetError as error:
        raise HeadSetError(
            f"cannot read heads {spec!r}: expected one of {', '.join(PRESETS)}, \"layer:head,...\" text "
            f"or a base85 dump ({error})"
        ) from None


def _decode_dump(dump: bytes | str, n_layers: int, n_heads: int) -> tuple[np.ndarray, int]:
    n_layers, n_heads = _check_shape((n_layers, n_heads))
    raw = _b85_to_gzip(dump)
    try:
        data = gzip.decompress(raw)
    except (OSError, EOFError, zlib.error) as error:
        raise HeadSetError(f"alignment-heads dump is not valid gzip data ({error})") from None
    if len(data) != n_layers * n_heads:
        raise HeadSetError(
            f"alignment-heads dump holds {len(data)} heads but the model has "
            f"{n_layers} layers x {n_heads} heads = {n_layers * n_heads}; is it the dump of another model?"
        )
    values = np.frombuffer(data, dtype=np.uint8)
    if (values > 1).any():
        raise HeadSetError("alignment-heads dump holds bytes other than 0 and 1; it is not a bool mask")
    mask = values.astype(bool).reshape(n_layers, n_heads)  # (layers, heads)
    return mask, struct.unpack_from("<I", raw, GZIP_MTIME_OFFSET)[0]


def _b85_to_gzip(dump: bytes | str) -> bytes:
    if isinstance(dump, str):
        try:
            dump = dump.strip().encode("ascii")
        except UnicodeEncodeError:
            raise HeadSetError("alignment-heads dump must be base85 ASCII text") from None
    try:
        raw = base64.b85decode(dump)
    except (ValueError, binascii.Error) as error:
        raise HeadSetError(f"alignment-heads dump is not valid base85 text ({error})") from None
    if len(raw) < GZIP_HEADER_BYTES:
        raise HeadSetError("alignment-heads dump is too short to hold gzip data")
    return raw


def _check_shape(shape) -> tuple[int, int]:
    try:
        n_layers, n_heads = (int(v) for v in shape)
    except (TypeError, ValueError):
        raise HeadSetError(f"shape must be (layers, heads), got {shape!r}") from None
    if n_layers < 1 or n_heads < 1:
        raise HeadSetError(f"shape must have at least one layer and one head, got {shape!r}")
    return n_layers, n_heads


def _same_shape(a: HeadSet, b: HeadSet) -> HeadSet:
    if not isinstance(b, HeadSet):
        raise HeadSetError(f"cannot combine a HeadSet with {type(b).__name__}")
    if a.shape != b.shape:
        raise HeadSetError(f"cannot combine head sets of shapes {a.shape} and {b.shape}")
    return b
