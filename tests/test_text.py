"""profundo.text: d2l's text pipeline (Vocab, tokenizers, language-model batches, translation arrays, BLEU).

The oracle is d2l's own code: its loop-based functions are copied below (``d2l_*``, from d2l-en's
``d2l/torch.py``, 1.0 and the 2nd edition) and profundo's vectorized versions must give the same results.
Every test is offline: the bundled corpora or small texts written here.
"""
import collections
import math
import random
import re
from pathlib import Path

import numpy as np
import pytest

import profundo
from profundo import text as T
from profundo._errors import is_checked

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"


def checked(exc_info):
    assert is_checked(exc_info.value) and "Pista" in str(exc_info.value), str(exc_info.value)
    return str(exc_info.value)


# ------------------------------------------------------------------------ d2l's code (the oracle)
class D2lVocab:
    def __init__(self, tokens=[], min_freq=0, reserved_tokens=[]):  # noqa: B006
        if tokens and isinstance(tokens[0], list):
            tokens = [token for line in tokens for token in line]
        counter = collections.Counter(tokens)
        self.token_freqs = sorted(counter.items(), key=lambda x: x[1], reverse=True)
        self.idx_to_token = list(sorted(set(['<unk>'] + reserved_tokens + [
            token for token, freq in self.token_freqs if freq >= min_freq])))
        self.token_to_idx = {token: idx for idx, token in enumerate(self.idx_to_token)}

    def __getitem__(self, tokens):
        if not isinstance(tokens, (list, tuple)):
            return self.token_to_idx.get(tokens, self.token_to_idx['<unk>'])
        return [self.__getitem__(token) for token in tokens]


def d2l_preprocess_nmt(text):
    text = text.replace('\u202f', ' ').replace('\xa0', ' ')
    no_space = lambda char, prev_char: char in ',.!?' and prev_char != ' '  # noqa: E731
    out = [' ' + char if i > 0 and no_space(char, text[i - 1]) else char for i, char in enumerate(text.lower())]
    return ''.join(out)


def d2l_tokenize_nmt(text, max_examples=None):
    src, tgt = [], []
    for i, line in enumerate(text.split('\n')):
        if max_examples and i > max_examples:
            break
        parts = line.split('\t')
        if len(parts) == 2:
            src.append([t for t in f'{parts[0]} <eos>'.split(' ') if t])
            tgt.append([t for t in f'{parts[1]} <eos>'.split(' ') if t])
    return src, tgt


def d2l_build_arrays(src, tgt, num_steps):
    def build(sentences, is_tgt):
        pad_or_trim = lambda seq, t: seq[:t] if len(seq) > t else seq + ['<pad>'] * (t - len(seq))  # noqa: E731
        sentences = [pad_or_trim(s, num_steps) for s in sentences]
        if is_tgt:
            sentences = [['<bos>'] + s for s in sentences]
        vocab = D2lVocab(sentences, min_freq=2)
        array = np.array([vocab[s] for s in sentences])
        return array, vocab, (array != vocab['<pad>']).astype(np.int32).sum(1)
    s, sv, slen = build(src, False)
    t, tv, _ = build(tgt, True)
    return (s, t[:, :-1], slen, t[:, 1:]), sv, tv


def d2l_bleu(pred_seq, label_seq, k):
    pred_tokens, label_tokens = pred_seq.split(' '), label_seq.split(' ')
    len_pred, len_label = len(pred_tokens), len(label_tokens)
    score = math.exp(min(0, 1 - len_label / len_pred))
    for n in range(1, min(k, len_pred) + 1):
        num_matches, label_subs = 0, collections.defaultdict(int)
        for i in range(len_label - n + 1):
            label_subs[' '.join(label_tokens[i: i + n])] += 1
        for i in range(len_pred - n + 1):
            if label_subs[' '.join(pred_tokens[i: i + n])] > 0:
                num_matches += 1
                label_subs[' '.join(pred_tokens[i: i + n])] -= 1
        score *= math.pow(num_matches / (len_pred - n + 1), math.pow(0.5, n))
    return score


def d2l_seq_data_iter_random(corpus, batch_size, num_steps, offset, order):
    # the 2nd edition's loop, with its two random draws given (offset, shuffled order of subsequence starts)
    corpus = corpus[offset:]
    num_subseqs = (len(corpus) - 1) // num_steps
    initial_indices = [list(range(0, num_subseqs * num_steps, num_steps))[i] for i in order]
    num_batches = num_subseqs // batch_size
    for i in range(0, batch_size * num_batches, batch_size):
        batch = initial_indices[i: i + batch_size]
        yield [corpus[j: j + num_steps] for j in batch], [corpus[j + 1: j + 1 + num_steps] for j in batch]


def d2l_seq_data_iter_sequential(corpus, batch_size, num_steps, offset):
    num_tokens = ((len(corpus) - offset - 1) // batch_size) * batch_size
    Xs = np.array(corpus[offset: offset + num_tokens]).reshape(batch_size, -1)
    Ys = np.array(corpus[offset + 1: offset + 1 + num_tokens]).reshape(batch_size, -1)
    num_batches = Xs.shape[1] // num_steps
    for i in range(0, num_steps * num_batches, num_steps):
        yield Xs[:, i: i + num_steps], Ys[:, i: i + num_steps]


SAMPLE = ("The Time Traveller (for so it will be convenient to speak of him)\n"
          "was expounding a recondite matter to us. His grey eyes shone and\n"
          "twinkled, and his usually pale face was flushed and animated.\n")
PAIRS = "Go.\tVa !\nHi.\tSalut\u202f!\nRun!\tCours\u202f!\nWho?\tQui ?\nWow!\tÇa alors\u202f!\nI won!\tJ'ai gagné !\n"


# ------------------------------------------------------------------------ tokenizers
def test_time_machine_preprocessing_and_tokenizers():
    clean = T.preprocess_time_machine(SAMPLE)
    assert clean == re.sub('[^A-Za-z]+', ' ', SAMPLE).lower()
    assert T.char_tokenize(clean) == list(clean) == T.tokenize(clean, "char")
    assert T.word_tokenize(clean) == clean.split() == T.tokenize(clean, "word")
    lines = T.read_time_machine_lines(SAMPLE)
    assert lines[0] == "the time traveller for so it will be convenient to speak of him"
    assert T.tokenize(lines, "word")[1][:3] == ["was", "expounding", "a"]
    assert T.tokenize(["ab", "c"], "char") == [["a", "b"], ["c"]]


def test_tokenizer_errors():
    assert "'char'" in checked(pytest.raises(ValueError, T.tokenize, "abc", "letter"))
    checked(pytest.raises(TypeError, T.tokenize, 42))
    checked(pytest.raises(TypeError, T.tokenize, ["a", 3]))
    checked(pytest.raises(TypeError, T.preprocess_time_machine, b"bytes"))


# ------------------------------------------------------------------------ Vocab
@pytest.mark.parametrize("min_freq,reserved", [(0, []), (2, []), (3, ["<pad>", "<bos>", "<eos>"])])
def test_vocab_matches_d2l(min_freq, reserved):
    tokens = T.tokenize(T.read_time_machine_lines(SAMPLE * 3 + "zebra"), "word")
    ours, theirs = T.Vocab(tokens, min_freq, reserved), D2lVocab(tokens, min_freq, reserved)
    assert ours.idx_to_token == theirs.idx_to_token
    assert ours.token_to_idx == theirs.token_to_idx
    assert ours.token_freqs == theirs.token_freqs
    assert len(ours) == len(theirs.idx_to_token)
    assert ours[tokens] == theirs[tokens]  # nested lists -> nested indices
    assert ours["not-a-word"] == ours.unk == ours.token_to_idx["<unk>"]
    assert ours.token_freqs[0] == ("and", 9)


def test_vocab_characters_of_the_time_machine():
    vocab = T.Vocab(list(T.preprocess_time_machine(T.time_machine())))
    # d2l 1.0's vocabulary: space, <unk>, then a..z (sorted)
    assert vocab.idx_to_token == [" ", "<unk>"] + [chr(c) for c in range(ord("a"), ord("z") + 1)]
    assert vocab.unk == 1 and len(vocab) == 28
    assert [t for t, _ in vocab.token_freqs[:3]] == [" ", "e", "t"]


def test_vocab_to_tokens():
    vocab = T.Vocab(list("hello world"))
    idx = vocab[list("hello")]
    assert vocab.to_tokens(idx) == list("hello")
    assert vocab.to_tokens(idx[0]) == "h"
    assert vocab.to_tokens(profundo.tensor([idx, idx])) == [list("hello")] * 2
    assert vocab.to_tokens(profundo.tensor(idx[1])) == "e"
    assert vocab.to_tokens([]) == []
    assert "out of range" in checked(pytest.raises(IndexError, vocab.to_tokens, 99))
    checked(pytest.raises(TypeError, vocab.to_tokens, 1.5))
    assert "Vocab(size=9" in repr(vocab)


def test_vocab_errors():
    assert "tokeniza" in checked(pytest.raises(TypeError, T.Vocab, "hello"))
    assert "a int" in checked(pytest.raises(TypeError, T.Vocab, 5))  # not iterable: a profundo error, not a bare one
    checked(pytest.raises(TypeError, T.Vocab, [1, 2, 3]))
    checked(pytest.raises(TypeError, T.Vocab, ["a"], "2"))
    checked(pytest.raises(TypeError, T.Vocab, ["a"], 0, "<pad>"))
    checked(pytest.raises(TypeError, T.Vocab(["a"]).__getitem__, 3))
    empty = T.Vocab()
    assert empty.idx_to_token == ["<unk>"] and empty["x"] == 0


# ------------------------------------------------------------------------ language-model batches
def test_lm_windows_are_d2l_timemachine_windows():
    corpus = list(np.random.default_rng(0).integers(0, 28, 50))
    X, Y = T.lm_windows(corpus, 7)
    expected = np.array([corpus[i:i + 8] for i in range(len(corpus) - 7)])
    assert X.dtype == profundo.int64 and tuple(X.shape) == (43, 7)
    np.testing.assert_array_equal(X.numpy(), expected[:, :-1])
    np.testing.assert_array_equal(Y.numpy(), expected[:, 1:])
    checked(pytest.raises(ValueError, T.lm_windows, [1, 2, 3], 3))


def test_random_partitioning_matches_d2l_loop():
    corpus = list(range(100, 153))
    profundo.manual_seed(3)
    ours = list(T.seq_data_iter_random(corpus, 2, 5))
    # replay the same two draws from profundo's generator for d2l's loop
    profundo.manual_seed(3)
    offset = int(profundo.randint(5, (1,)))
    order = profundo.randperm((len(corpus) - offset - 1) // 5).tolist()
    theirs = list(d2l_seq_data_iter_random(corpus, 2, 5, offset, order))
    assert len(ours) == len(theirs) > 0
    for (X, Y), (x, y) in zip(ours, theirs):
        assert X.dtype == profundo.int64
        assert X.tolist() == x and Y.tolist() == y
        np.testing.assert_array_equal(Y.numpy(), X.numpy() + 1)  # targets are the inputs shifted by one
    # every subsequence appears once: a partition
    starts = sorted(int(X[i, 0]) for X, _ in ours for i in range(2))
    assert len(set(starts)) == len(starts) and all((s - starts[0]) % 5 == 0 for s in starts)


def test_sequential_partitioning_matches_d2l_loop_and_rows_continue():
    corpus = list(range(61))
    profundo.manual_seed(5)
    ours = list(T.seq_data_iter_sequential(corpus, 3, 4))
    profundo.manual_seed(5)
    offset = int(profundo.randint(5, (1,)))
    theirs = list(d2l_seq_data_iter_sequential(corpus, 3, 4, offset))
    assert len(ours) == len(theirs) > 1
    for (X, Y), (x, y) in zip(ours, theirs):
        np.testing.assert_array_equal(X.numpy(), x)
        np.testing.assert_array_equal(Y.numpy(), y)
    for (X0, _), (X1, _) in zip(ours, ours[1:]):  # row i of the next batch continues row i
        np.testing.assert_array_equal(X1.numpy()[:, 0], X0.numpy()[:, -1] + 1)


def test_seq_loaders_are_reproducible_and_check_their_input():
    loader = T.SeqDataLoader(list(range(200)), 4, 6, use_random_iter=True)
    profundo.manual_seed(0)
    a = [X.tolist() for X, _ in loader]
    profundo.manual_seed(0)
    b = [X.tolist() for X, _ in loader]
    assert a == b and len(a) > 0
    it, vocab = T.load_data_time_machine(8, 10, max_tokens=2000)
    X, Y = next(iter(it))
    assert tuple(X.shape) == (8, 10) and len(vocab) == 28
    checked(pytest.raises(ValueError, lambda: list(T.seq_data_iter_random(list(range(10)), 4, 6))))
    checked(pytest.raises(ValueError, lambda: list(T.seq_data_iter_sequential(list(range(10)), 4, 6))))
    checked(pytest.raises(ValueError, lambda: list(T.seq_data_iter_random(list(range(99)), 0, 6))))
    checked(pytest.raises(TypeError, lambda: list(T.seq_data_iter_random(["a", "b"], 1, 1))))
    checked(pytest.raises(TypeError, lambda: list(T.seq_data_iter_random([[1, 2]], 1, 1))))


def test_the_books_section_9_2_usage():
    data = T.TimeMachine()
    raw_text = data._download()
    text = data._preprocess(raw_text)
    assert raw_text == T.time_machine() and text[:60] == "the time machine by h g wells i the time traveller for so it"
    tokens = data._tokenize(text)
    assert ",".join(tokens[:5]) == "t,h,e, ,t"
    corpus, vocab = data.build(raw_text)
    assert len(corpus) == len(tokens) and len(vocab) == 28 and data.X is None
    assert "num_steps" in checked(pytest.raises(ValueError, data.train_dataloader))
    data = T.MTFraEng()
    src, tgt = data._tokenize(data._preprocess(data._download()))
    assert src[:2] == [["go", ".", "<eos>"], ["run", "!", "<eos>"]] and tgt[1] == ["cours", "!", "<eos>"]
    assert len(src) == 2000  # no max_examples: every bundled pair
    assert "batch_size" in checked(pytest.raises(ValueError, data.val_dataloader))


def test_time_machine_data_module():
    data = T.TimeMachine(batch_size=4, num_steps=10, num_train=100, num_val=50)
    assert len(data.vocab) == 28 and tuple(data.X.shape) == (len(data.corpus) - 10, 10)
    assert data.vocab.to_tokens(data.X[0]) == list("the time m")
    X, Y = next(iter(data.train_dataloader()))
    assert tuple(X.shape) == (4, 10) and Y.dtype == profundo.int64
    assert sum(len(x) for x, _ in data.val_dataloader()) == 50
    corpus, vocab = data.build("it has", data.vocab)
    assert vocab is data.vocab and vocab.to_tokens(corpus) == list("it has")


# ------------------------------------------------------------------------ translation
def test_preprocess_nmt_matches_d2l():
    for text in (PAIRS, T.fra_eng()[:20000], "!Hi,there.\tNo ,ok?!\n", ""):
        assert T.preprocess_nmt(text) == d2l_preprocess_nmt(text)
    assert T.preprocess_nmt("Hi.\tSalut\u202f!") == "hi .\tsalut !"


def test_tokenize_nmt_appends_eos():
    src, tgt = T.tokenize_nmt(T.preprocess_nmt(PAIRS))
    assert src[0] == ["go", ".", "<eos>"] and tgt[4] == ["ça", "alors", "!", "<eos>"]
    assert (src, tgt) == d2l_tokenize_nmt(T.preprocess_nmt(PAIRS))
    src3, _ = T.tokenize_nmt(T.preprocess_nmt(PAIRS), max_examples=3)
    assert len(src3) == 3
    # manythings.org's third column (attribution) is dropped; lines without a tab are skipped
    s, t = T.tokenize_nmt("go .\tva !\tCC-BY 2.0 (France)\nno tab here\n")
    assert s == [["go", ".", "<eos>"]] and t == [["va", "!", "<eos>"]]
    checked(pytest.raises(TypeError, T.tokenize_nmt, ["go"]))


def test_truncate_pad_and_build_array_nmt():
    assert T.truncate_pad([1, 2, 3], 5, 0) == [1, 2, 3, 0, 0]
    assert T.truncate_pad([1, 2, 3, 4, 5, 6], 4, 0) == [1, 2, 3, 4]
    checked(pytest.raises(ValueError, T.truncate_pad, [1], 0, 0))
    src, _ = T.tokenize_nmt(T.preprocess_nmt(PAIRS))
    lines = [s[:-1] for s in src]  # the 2nd edition appends <eos> itself
    vocab = T.Vocab(lines, reserved_tokens=["<pad>", "<bos>", "<eos>"])
    array, valid = T.build_array_nmt(lines, vocab, 3)
    assert array.dtype == profundo.int64 and valid.dtype == profundo.int32
    assert vocab.to_tokens(array[0]) == ["go", ".", "<eos>"]
    assert vocab.to_tokens(array[5]) == ["i", "won", "!"]  # truncated: no room for <eos>
    assert valid.tolist() == [3] * 6
    array, valid = T.build_array_nmt(lines, vocab, 5)
    assert vocab.to_tokens(array[0]) == ["go", ".", "<eos>", "<pad>", "<pad>"] and valid[0] == 3
    checked(pytest.raises(ValueError, T.build_array_nmt, lines, T.Vocab(lines), 5))


@pytest.mark.parametrize("num_steps", [3, 9])
def test_build_arrays_match_d2l(num_steps):
    text = T.preprocess_nmt(T.fra_eng())
    src, tgt = T.tokenize_nmt(text, 300)
    (s, ti, sl, to), sv, tv = T.build_arrays(src, tgt, num_steps)
    (ds, dti, dsl, dto), dsv, dtv = d2l_build_arrays(src, tgt, num_steps)
    assert sv.idx_to_token == dsv.idx_to_token and tv.idx_to_token == dtv.idx_to_token
    for ours, theirs in ((s, ds), (ti, dti), (sl, dsl), (to, dto)):
        np.testing.assert_array_equal(ours.numpy(), theirs)
    assert sl.dtype == profundo.int32 and s.dtype == profundo.int64
    assert (ti[:, 0] == tv["<bos>"]).all()
    # with the vocabularies given, new sentences map through them (unknown words -> <unk>)
    (s2, *_), sv2, _ = T.build_arrays([["go", "zzz", "<eos>"]], [["va", "<eos>"]], num_steps, sv, tv)
    assert sv2 is sv and s2[0, 1] == sv.unk
    checked(pytest.raises(ValueError, T.build_arrays, src, tgt[:-1], num_steps))


def test_mtfraeng_is_the_books_data_module():
    data = T.MTFraEng(batch_size=3)
    src, tgt = d2l_tokenize_nmt(d2l_preprocess_nmt(T.fra_eng()), 640)  # d2l keeps 641 pairs
    arrays, sv, tv = d2l_build_arrays(src, tgt, 9)
    assert data.src_vocab.idx_to_token == sv.idx_to_token and data.tgt_vocab.idx_to_token == tv.idx_to_token
    for ours, theirs in zip(data.arrays, arrays):
        np.testing.assert_array_equal(ours.numpy(), theirs)
    s, ti, sl, to = next(iter(data.train_dataloader()))
    assert tuple(s.shape) == (3, 9) and tuple(sl.shape) == (3,)
    s, ti, sl, to = data.build(["Go."], ["Va !"])
    assert data.src_vocab.to_tokens(s[0])[:3] == ["go", ".", "<eos>"]
    assert data.tgt_vocab.to_tokens(to[0])[:3] == ["va", "!", "<eos>"]
    assert "pairs" in checked(pytest.raises(ValueError, T.MTFraEng, 3, num_train=5000))


# ------------------------------------------------------------------------ BLEU
def test_bleu_matches_d2l():
    cases = [("il court .", "il court !"), ("il est bon .", "il est bon ."), ("je suis calme .", "je suis calme ."),
             ("a b c d e", "a b"), ("a a a a", "a a b"), ("x", "a b c"), ("a b a b a b", "b a b a")]
    for k in (1, 2, 3, 4):
        for pred, label in cases:
            assert T.bleu(pred, label, k) == pytest.approx(d2l_bleu(pred, label, k), abs=0, rel=1e-15)
    assert T.bleu("il est bon .", "il est bon .", 2) == 1.0
    assert T.bleu("a b", "a b c d", 2) == pytest.approx(math.exp(-1))
    rng = random.Random(0)
    for _ in range(50):
        pred = " ".join(rng.choice("abc") for _ in range(rng.randint(1, 8)))
        label = " ".join(rng.choice("abc") for _ in range(rng.randint(1, 8)))
        assert T.bleu(pred, label, 3) == pytest.approx(d2l_bleu(pred, label, 3), rel=1e-15)
    checked(pytest.raises(TypeError, T.bleu, ["a"], "a", 2))
    checked(pytest.raises(ValueError, T.bleu, "a", "a", 0))


# ------------------------------------------------------------------------ corpora
def test_bundled_corpora_and_explicit_sources(tmp_path):
    tm = T.time_machine()
    assert tm.startswith("The Time Machine, by H. G. Wells") and len(tm) > 170000
    pairs = T.fra_eng()
    assert len(pairs.splitlines()) == 2000 and pairs.startswith("Go.\tVa !")
    # a path: d2l's Time Machine is checked by its hash, the pairs by their format
    copy = tmp_path / "tm.txt"
    copy.write_text(tm, encoding="utf-8")
    assert T.time_machine(copy) == tm
    other = tmp_path / "other.txt"
    other.write_text("just some text\n", encoding="utf-8")
    assert "timemachine" in checked(pytest.raises(ValueError, T.time_machine, other))
    assert T.read_text(other) == "just some text\n"
    assert "TAB" in checked(pytest.raises(ValueError, T.fra_eng, other))
    good = tmp_path / "pairs.txt"
    good.write_text(PAIRS, encoding="utf-8")
    assert T.fra_eng(str(good)) == PAIRS
    checked(pytest.raises(FileNotFoundError, T.read_text, tmp_path / "missing.txt"))
    checked(pytest.raises(IsADirectoryError, T.read_text, tmp_path))
    checked(pytest.raises(TypeError, T.time_machine, 3))
    (tmp_path / "empty.txt").write_text("")
    checked(pytest.raises(ValueError, T.read_text, tmp_path / "empty.txt"))


def test_cache_source_never_downloads_unless_asked(tmp_path):
    # an empty cache with download=False is an error that says so: no silent fallback to the bundled copy
    msg = checked(pytest.raises(Exception, T.time_machine, "cache", root=tmp_path))
    assert "download" in msg.lower()
    checked(pytest.raises(Exception, T.fra_eng, "cache", root=tmp_path))


@pytest.mark.skipif(not (SHARED / "timemachine" / "timemachine.txt").is_file(), reason="needs ../shared/data")
def test_bundled_time_machine_is_the_shared_file():
    assert T.time_machine() == T.time_machine(SHARED / "timemachine" / "timemachine.txt")
