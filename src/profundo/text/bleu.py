"""BLEU (d2l's ``bleu``): n-gram precisions up to ``k``, weighted 1/2**n, times a brevity penalty."""
import collections
import math
import numbers

from .._errors import error


def bleu(pred_seq, label_seq, k):
    """BLEU of a predicted sentence against its reference, both strings of space-separated tokens.

    ``exp(min(0, 1 - len_label / len_pred)) * prod_{n=1..k} p_n ** (1 / 2**n)``, where ``p_n`` is the share of
    the prediction's n-grams found in the reference (each reference n-gram matched at most as often as it occurs).
    """
    for name, seq in (("pred_seq", pred_seq), ("label_seq", label_seq)):
        if not isinstance(seq, str):
            raise error(TypeError, "bleu", f"{name} must be a str of space-separated tokens, got "
                        f"{type(seq).__name__}", "une los tokens: ' '.join(tokens)")
    if not isinstance(k, numbers.Integral) or isinstance(k, bool) or k < 1:
        raise error(ValueError, "bleu", f"k must be a positive int (the longest n-gram), got {k!r}",
                    "p. ej. k=2 compara unigramas y bigramas")
    pred_tokens, label_tokens = pred_seq.split(" "), label_seq.split(" ")
    len_pred, len_label = len(pred_tokens), len(label_tokens)
    score = math.exp(min(0, 1 - len_label / len_pred))
    for n in range(1, min(k, len_pred) + 1):
        num_matches, label_subs = 0, collections.Counter(
            " ".join(label_tokens[i: i + n]) for i in range(len_label - n + 1))
        for i in range(len_pred - n + 1):
            gram = " ".join(pred_tokens[i: i + n])
            if label_subs[gram] > 0:
                num_matches += 1
                label_subs[gram] -= 1
        score *= math.pow(num_matches / (len_pred - n + 1), math.pow(0.5, n))
    return score
