"""``ax.text``: helpers for text models. ``Vocab`` / ``char_vocab`` map tokens to int64 ids and
back, ``tokenize_words`` splits words and punctuation, ``batchify`` / ``bptt_batches`` lay out an
id stream for language-model training, and ``one_hot`` (from ``ax.nn.functional``) turns ids into
vectors. Corpora: ``ax.datasets.shakespeare()`` and ``ax.datasets.pydoc_text()``.
"""

from __future__ import annotations

from ..nn.functional import one_hot
from .stream import batchify, bptt_batches
from .vocab import Vocab, char_vocab, tokenize_words

__all__ = ["Vocab", "batchify", "bptt_batches", "char_vocab", "one_hot", "tokenize_words"]
