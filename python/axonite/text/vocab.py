"""Token <-> id mapping for text models: ``Vocab`` (words or characters, with special tokens and
a minimum frequency), ``char_vocab`` and the word tokenizer ``tokenize_words``.

Encoding a character string is vectorized (code points through a lookup table), so turning a
5-million-character corpus into ids takes milliseconds; other token streams go through one dict
lookup per token. Batching id streams for language models lives in ``stream.py``.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence

import numpy as np

from .._C import Tensor, from_numpy

__all__ = ["Vocab", "char_vocab", "tokenize_words"]

_WORD_RE = re.compile(r"\w+(?:'\w+)?|[^\w\s]")


def tokenize_words(text: str, lower: bool = False) -> list[str]:
    """Words (letters, digits, underscores, with one inner apostrophe: "don't") and single
    punctuation marks, in order; whitespace is dropped.

    >>> tokenize_words("Hello, world! Don't panic.")
    ['Hello', ',', 'world', '!', "Don't", 'panic', '.']
    """
    if not isinstance(text, str):
        raise TypeError(f"tokenize_words: text must be a str, got {type(text).__name__}")
    return _WORD_RE.findall(text.lower() if lower else text)


class Vocab:
    """A fixed mapping between tokens (str) and ids 0..len-1.

    Ids 0.. go to ``specials`` in the order given (e.g. '<pad>' = 0), then to the tokens seen
    ``min_freq`` times or more, most frequent first with ties broken alphabetically
    (torchtext's order), or all alphabetically with ``order='sorted'`` (char-rnn's convention).
    ``max_size`` caps the non-special tokens. Tokens outside the vocabulary map to '<unk>'
    when it is among the specials, otherwise they raise a KeyError naming the token.

    Args:
        tokens: an iterable of tokens, or a str (then its characters are the tokens).
        min_freq: minimum count for a token to be kept.
        specials: tokens placed first whatever their count.
        max_size: keep at most this many non-special tokens (None: all).
        order: 'frequency' or 'sorted'.

    Example::

        v = Vocab(tokenize_words(text), min_freq=2, specials=["<pad>", "<unk>"])
        ids = v.encode(tokenize_words("the cat"))      # int64 tensor
        v.decode(ids)                                  # 'the cat'
    """

    def __init__(
        self,
        tokens: Iterable[str] | str,
        min_freq: int = 1,
        specials: Sequence[str] = (),
        max_size: int | None = None,
        order: str = "frequency",
    ) -> None:
        if isinstance(min_freq, bool) or not isinstance(min_freq, int) or min_freq < 1:
            raise ValueError(f"Vocab: min_freq must be an int >= 1, got {min_freq!r}")
        if max_size is not None and (
            isinstance(max_size, bool) or not isinstance(max_size, int) or max_size < 0
        ):
            raise ValueError(
                f"Vocab: max_size must be a non-negative int or None, got {max_size!r}"
            )
        if order not in ("frequency", "sorted"):
            raise ValueError(f"Vocab: order must be 'frequency' or 'sorted', got {order!r}")
        if isinstance(specials, str):
            raise TypeError(f"Vocab: specials must be a sequence of str, got the str {specials!r}")
        specials = list(specials)
        if len(set(specials)) != len(specials):
            raise ValueError(f"Vocab: specials must be distinct, got {specials}")
        counts = Counter(tokens)
        bad = next((t for t in [*specials, *counts] if not isinstance(t, str)), None)
        if bad is not None:
            raise TypeError(f"Vocab: tokens must be str, got {bad!r} ({type(bad).__name__})")
        kept = [t for t, c in counts.items() if c >= min_freq and t not in set(specials)]
        if order == "frequency":
            kept.sort(key=lambda t: (-counts[t], t))
        else:
            kept.sort()
        if max_size is not None:
            kept = kept[:max_size]
        # Decoding joins characters with '' and words with ' '.
        self.sep = "" if isinstance(tokens, str) else " "
        self.specials = specials
        self.itos: list[str] = specials + kept
        self.stoi: dict[str, int] = {t: i for i, t in enumerate(self.itos)}
        self.counts = counts
        self._table = self._char_table()

    def __len__(self) -> int:
        return len(self.itos)

    def __contains__(self, token: object) -> bool:
        return token in self.stoi

    def __getitem__(self, token: str) -> int:
        idx = self.stoi.get(token, self.unk_index)
        if idx is None:
            raise KeyError(
                f"Vocab: token {token!r} is not in the vocabulary of {len(self)} tokens and "
                "there is no '<unk>' special to map it to"
            )
        return idx

    def __repr__(self) -> str:
        return f"Vocab(size={len(self)}, specials={self.specials})"

    @property
    def unk_index(self) -> int | None:
        """Id of '<unk>', or None when it is not a special (unknown tokens then raise)."""
        return self.stoi.get("<unk>") if "<unk>" in self.specials else None

    def encode(self, seq: str | Iterable[str]) -> Tensor:
        """Ids of the tokens of ``seq`` (a str encodes its characters) as an int64 tensor."""
        if isinstance(seq, str) and self._table is not None:
            return from_numpy(self._encode_chars(seq))
        ids = [self.stoi.get(t, -1) for t in seq]
        arr = np.asarray(ids, dtype=np.int64)
        missing = np.flatnonzero(arr < 0)
        if missing.size:
            tokens = list(seq) if isinstance(seq, str) else None
            first = tokens[missing[0]] if tokens is not None else self._first_unknown(seq)
            arr[missing] = self._unk_for(first)
        return from_numpy(arr)

    def decode(self, ids: Tensor | Sequence[int], sep: str | None = None) -> str:
        """The tokens of ``ids`` joined by ``sep`` (default '' for a character vocabulary, built
        from a str, and ' ' otherwise)."""
        tokens = self.lookup_tokens(ids)
        return (self.sep if sep is None else sep).join(tokens)

    def lookup_tokens(self, ids: Tensor | Sequence[int]) -> list[str]:
        """The token of each id in a 1-D tensor or sequence of ints."""
        arr = np.asarray(ids.numpy() if isinstance(ids, Tensor) else ids)
        if arr.size and not np.issubdtype(arr.dtype, np.integer):
            raise TypeError(f"Vocab.decode: ids must be integers, got {arr.dtype} values")
        arr = arr.reshape(-1).astype(np.int64)
        bad = np.flatnonzero((arr < 0) | (arr >= len(self)))
        if bad.size:
            raise IndexError(
                f"Vocab.decode: id {int(arr[bad[0]])} at position {int(bad[0])} is out of range "
                f"for a vocabulary of {len(self)} tokens"
            )
        return np.asarray(self.itos, dtype=object)[arr].tolist()

    def _unk_for(self, token: object) -> int:
        if self.unk_index is None:
            raise KeyError(
                f"Vocab.encode: token {token!r} is not in the vocabulary of {len(self)} tokens "
                "and there is no '<unk>' special to map it to"
            )
        return self.unk_index

    def _first_unknown(self, seq: Iterable[str]) -> object:
        return next(t for t in seq if t not in self.stoi)

    def _char_table(self) -> np.ndarray | None:
        """Code point -> id table when every non-special token is one character, else None."""
        if not all(len(t) == 1 for t in self.itos if t not in self.specials):
            return None
        chars = [t for t in self.itos if len(t) == 1]
        codes = np.array([ord(c) for c in chars], dtype=np.int64)
        table = np.full(int(codes.max(initial=0)) + 1, -1, dtype=np.int64)
        table[codes] = [self.stoi[c] for c in chars]
        return table

    def _encode_chars(self, text: str) -> np.ndarray:
        table = self._table
        assert table is not None
        codes = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32).astype(np.int64)
        ids = np.where(codes < table.shape[0], table[np.minimum(codes, table.shape[0] - 1)], -1)
        missing = np.flatnonzero(ids < 0)
        if missing.size:
            ids[missing] = self._unk_for(text[missing[0]])
        return ids


def char_vocab(text: str, specials: Sequence[str] = ()) -> Vocab:
    """The sorted distinct characters of ``text`` (after ``specials``), as char-rnn builds its
    vocabulary: Shakespeare's 65 or 84 symbols, one id each."""
    if not isinstance(text, str):
        raise TypeError(f"char_vocab: text must be a str, got {type(text).__name__}")
    return Vocab(text, specials=specials, order="sorted")
