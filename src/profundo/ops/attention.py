"""Attention (Unit 3, issue 13): ``F.scaled_dot_product_attention`` and ``F.multi_head_attention_forward``.

Scaled dot-product attention, for queries q (..., L, E), keys k (..., S, E) and values v (..., S, Ev):

    scores  = scale * q @ k^T (+ a float mask, or -inf where a bool mask is False)    (..., L, S)
    weights = softmax(scores) over the keys (each query's weights sum to 1)
    out     = dropout(weights) @ v                                                   (..., L, Ev)

``Attention`` is that whole computation as one op (one graph node, ``ScaledDotProductAttentionBackward0``):
its forward is the backend's ``attention`` kernel and its backward, in ``Attention.backward``, the
backend's ``attention_backward`` (the readable formulas are in ``_backend/reference.py``).  It
returns the weights as a second output, which ``nn.MultiheadAttention`` hands back
(``need_weights=True``) and which may get a gradient of its own.

Multi-head attention (``multi_head_attention_forward``) projects the inputs, splits the
projections into ``num_heads`` heads of ``embed_dim // num_heads`` features, runs ``Attention`` on
all heads at once (the heads are one more batch dim) and projects the joined heads back.
"""
import math

from .._backend import backend_of
from .._dtype import scalar_type_name as _tname
from .._errors import error
from ..autograd import grad_mode
from ._base import Op, Tensor
from .shape import cat as _cat

__all__ = ["scaled_dot_product_attention", "multi_head_attention_forward"]

_GRAD = grad_mode.STATE
_OP = "scaled_dot_product_attention"


class Attention(Op):
    """``(out, weights)`` of scaled dot-product attention.  ``mask``: None or a tensor (bool: True =
    take part; float: added to the scores, and differentiable); ``keep``: None or dropout's
    multiplier array of the weights; ``safe``: all-masked rows get zero weights (not NaN)."""

    node_name = "ScaledDotProductAttentionBackward0"

    @staticmethod
    def forward(ctx, q, k, v, mask, scale, keep, safe):
        out, weights = backend_of(q).attention(q._data, k._data, v._data, None if mask is None else mask._data,
                                               scale, keep, safe)
        ctx.save_for_backward(q, k, v, weights)  # the weights: this node's output 1, kept without a copy
        ctx.scale, ctx.keep = scale, keep
        ctx.set_materialize_grads(False)  # the weights' gradient is usually None: no zeros made for it
        return out, weights

    @staticmethod
    def backward(ctx, g, g_weights):
        q, k, v, weights = ctx.saved_tensors
        need = ctx.needs_input_grad
        scale, keep = ctx.scale, ctx.keep
        if g is None and g_weights is None:
            return None, None, None, None, None, None, None
        if not _GRAD.enabled:
            # a first-order backward: the backend's kernel, on the arrays
            be = backend_of(q)
            ga = g._data if g is not None else be.xp.zeros(weights.shape[:-1] + v.shape[-1:], weights._data.dtype)
            dq, dk, dv, ds = be.attention_backward(ga, q._data, k._data, v._data, weights._data, keep, scale,
                                                   None if g_weights is None else g_weights._data)
            dq, dk, dv, ds = (Tensor._make(a) for a in (dq, dk, dv, ds))
        else:
            # create_graph=True: the same formulas written with tensor ops, so they are differentiable
            # too (``weights`` is this node's output: its own gradient flows back through this backward)
            keep_t = None if keep is None else Tensor._make(keep)
            dropped = weights if keep_t is None else weights * keep_t
            dv = dropped.mT @ g if g is not None else None
            dw = g @ v.mT if g is not None else None
            if dw is not None and keep_t is not None:
                dw = dw * keep_t
            if g_weights is not None:
                dw = g_weights if dw is None else dw + g_weights
            ds = weights * (dw - (dw * weights).sum(-1, keepdim=True))
            dq, dk = (ds @ k) * scale, (ds.mT @ q) * scale
        return (dq if need[0] else None, dk if need[1] else None, dv if need[2] else None,
                ds if need[3] else None, None, None, None)


# ------------------------------------------------------------------ F.scaled_dot_product_attention
def _check_tensor(name, x, op=_OP):
    if not isinstance(x, Tensor):
        raise error(TypeError, op, f"{name} must be a Tensor, not {type(x).__name__}",
                    "convierte los datos con profundo.tensor(...)")


def _broadcast(op, *shapes):
    """The broadcast of ``shapes``, or PyTorch's error naming them."""
    out = []
    for dims in zip(*(((1,) * (max(map(len, shapes)) - len(s))) + tuple(s) for s in shapes)):
        sizes = {d for d in dims if d != 1}
        if len(sizes) > 1:
            raise error(RuntimeError, op, "the batch dims of query, key, value and attn_mask do not broadcast: "
                        + ", ".join(str(tuple(s)) for s in shapes),
                        "las dimensiones de lote (y de cabezas) deben coincidir o ser 1")
        out.append(sizes.pop() if sizes else 1)
    return tuple(out)


def dropout_keep(shape, p, like):
    """Dropout's multiplier of ``shape`` drawn from profundo's generator: 0 with probability ``p``,
    else ``1 / (1 - p)`` (an array of ``like``'s dtype and backend)."""
    from ..random import _rng, _to_device
    if p >= 1:
        return backend_of(like).xp.zeros(shape, like.dtype)
    keep = _rng(None).random(shape) >= p  # drawn on the host, like every random number (random.py)
    return _to_device((keep / (1 - p)).astype(like.dtype), None)


def scaled_dot_product_attention(query, key, value, attn_mask=None, dropout_p=0.0, is_causal=False, scale=None,
                                 enable_gqa=False):
    """``softmax(query @ key^T * scale + mask) @ value`` (PyTorch's ``F.scaled_dot_product_attention``).

    ``attn_mask``: bool (True = this query may attend to this key) or float (added to the scores),
    broadcast to (..., L, S).  ``is_causal``: query i sees keys 0..i (top-left aligned when L != S).
    ``scale``: default ``1 / sqrt(E)``.  ``dropout_p``: dropout on the weights (always applied, as
    PyTorch: pass 0.0 in eval mode).  ``enable_gqa``: grouped-query attention (fewer key/value heads,
    dim -3, each shared by ``Hq / Hkv`` query heads).  A query whose keys are all masked out gets
    zeros."""
    for name, x in (("query", query), ("key", key), ("value", value)):
        _check_tensor(name, x)
    qa, ka, va = query._data, key._data, value._data
    if qa.ndim < 2 or ka.ndim < 2 or va.ndim < 2:
        raise error(RuntimeError, _OP, f"Expected query, key, and value to all be  at least 2 dimensional, but got "
                    f"query.dim: {qa.ndim} key.dim: {ka.ndim} and value.dim: {va.ndim} instead.",
                    "las formas son (..., L, E) para query y (..., S, E) para key y value")
    if not (qa.dtype == ka.dtype == va.dtype):
        raise error(RuntimeError, _OP, f"Expected query, key, and value to have the same dtype, but got "
                    f"query.dtype: {_tname(qa.dtype)} key.dtype: {_tname(ka.dtype)} and value.dtype: "
                    f"{_tname(va.dtype)} instead.", "convierte los tres al mismo tipo, p. ej. con .float()")
    if qa.dtype.kind != "f":
        raise error(RuntimeError, _OP, f"expected a floating point query, key and value, but found {_tname(qa.dtype)}",
                    "la atención calcula con flotantes: convierte con .float()")
    if attn_mask is not None and is_causal:
        raise error(RuntimeError, _OP, "_scaled_dot_product_attention: Explicit attn_mask should not be set when "
                    "is_causal=True", "usa attn_mask o is_causal=True, no los dos")
    if isinstance(dropout_p, bool) or not isinstance(dropout_p, (int, float)) or not 0 <= dropout_p <= 1:
        raise error(RuntimeError, _OP, f"dropout probability has to be between 0 and 1, but got {dropout_p}",
                    "dropout_p es la probabilidad de apagar cada peso: un número entre 0 y 1")
    if qa.shape[-1] != ka.shape[-1]:
        raise error(RuntimeError, _OP, f"query and key must have the same embedding size (the last dim), but got "
                    f"query {tuple(qa.shape)} and key {tuple(ka.shape)}",
                    "cada consulta se compara con cada clave por producto escalar: la última dimensión debe coincidir")
    if ka.shape[-2] != va.shape[-2]:
        raise error(RuntimeError, _OP, f"key and value must have the same sequence length (dim -2), but got "
                    f"key {tuple(ka.shape)} and value {tuple(va.shape)}", "cada clave va con su valor: S debe coincidir")
    if enable_gqa and qa.ndim >= 3 and ka.ndim >= 3:
        key, value = _expand_groups(query, key, value)
        ka, va = key._data, value._data
    L, S = qa.shape[-2], ka.shape[-2]
    mask = None
    if attn_mask is not None:
        _check_tensor("attn_mask", attn_mask)
        md = attn_mask._data.dtype
        if md != bool and md != qa.dtype and md.name != "float32":  # (PyTorch's rule: bool, float, or query's)
            raise error(RuntimeError, _OP, f"Expected attn_mask dtype to be bool or float or to match query dtype, "
                        f"but got attn_mask.dtype: {_tname(md)} and  query.dtype: {_tname(qa.dtype)} instead.",
                        "la máscara es bool (True = participa) o del mismo tipo flotante que query (se suma)")
        ms = attn_mask._data.shape
        if len(ms) > 0 and (ms[-1] not in (1, S) or len(ms) > 1 and ms[-2] not in (1, L)):
            raise error(RuntimeError, _OP, f"attn_mask of shape {tuple(ms)} does not broadcast to the attention "
                        f"weights' (..., {L}, {S}) (L queries, S keys)", "la máscara tiene forma (L, S) o (..., L, S)")
        mask = attn_mask if md == bool or md == qa.dtype else attn_mask.to(query.dtype)
    batch = _broadcast(_OP, qa.shape[:-2], ka.shape[:-2], va.shape[:-2],
                       () if mask is None else mask._data.shape[:-2])
    if is_causal:  # query i may look at keys 0..i (torch.ones(L, S).tril())
        xp = backend_of(query).xp
        mask = Tensor._make(xp.tril(xp.ones((L, S), bool)))
    if scale is None:
        scale = 1 / math.sqrt(qa.shape[-1]) if qa.shape[-1] else math.inf
    keep = dropout_keep(batch + (L, S), dropout_p, qa) if dropout_p > 0 else None
    return Attention.apply(query, key, value, mask, float(scale), keep, True)[0]


def _expand_groups(query, key, value):
    """Grouped-query attention: each key/value head (dim -3) repeated for the ``Hq / Hkv`` query
    heads that share it (``repeat_interleave``, so its gradient sums theirs)."""
    hq = query._data.shape[-3]
    out = []
    for name, x in (("key", key), ("value", value)):
        h = x._data.shape[-3]
        if h == 0 or hq % h:
            raise error(RuntimeError, _OP, f"enable_gqa: the number of query heads ({hq}) must be a multiple of the "
                        f"number of {name} heads ({h})", "con enable_gqa cada cabeza de key/value sirve a Hq / Hkv consultas")
        out.append(x if h == hq else x.repeat_interleave(hq // h, dim=-3))
    return out


# ------------------------------------------------------------------ multi-head attention
_MHA = "multi_head_attention_forward"


def canonical_mask(mask, mask_name, other_type, other_name, target_type, check_other=True):
    """A mask as PyTorch's multi-head attention uses it: a float mask as is; a bool one (True = NOT
    allowed, the opposite of scaled_dot_product_attention's) as 0 / -inf in ``target_type``."""
    if mask is None:
        return None
    _check_tensor(mask_name, mask, _MHA)
    md = mask._data.dtype
    if md != bool and md.kind != "f":
        raise error(AssertionError, _MHA, f"only bool and floating types of {mask_name} are supported",
                    "la máscara es bool (True = se ignora) o flotante (se suma a las puntuaciones)")
    if check_other and other_type is not None and md != other_type:
        import warnings
        warnings.warn(f"Support for mismatched {mask_name} and {other_name} is deprecated. Use same type for both "
                      "instead.", stacklevel=3)
    if md == bool:
        xp = backend_of(mask).xp
        return Tensor._make(xp.where(mask._data, -xp.inf, 0).astype(target_type))
    return mask


def _shape_check(query, key, value, key_padding_mask, attn_mask, num_heads):
    """PyTorch's ``_mha_shape_check``: 3-D (batched) or 2-D (unbatched) inputs; returns is_batched."""
    qd, kd, vd = query.dim(), key.dim(), value.dim()
    if qd == 3:
        if kd != 3 or vd != 3:
            raise error(AssertionError, _MHA, f"For batched (3-D) `query`, expected `key` and `value` to be 3-D but "
                        f"found {kd}-D and {vd}-D tensors respectively", "query, key y value son (L, N, E) o (N, L, E)")
        if key_padding_mask is not None and key_padding_mask.dim() != 2:
            raise error(AssertionError, _MHA, "For batched (3-D) `query`, expected `key_padding_mask` to be `None` or "
                        f"2-D but found {key_padding_mask.dim()}-D tensor instead", "key_padding_mask es (N, S)")
        if attn_mask is not None and attn_mask.dim() not in (2, 3):
            raise error(AssertionError, _MHA, "For batched (3-D) `query`, expected `attn_mask` to be `None`, 2-D or "
                        f"3-D but found {attn_mask.dim()}-D tensor instead", "attn_mask es (L, S) o (N * num_heads, L, S)")
        return True
    if qd == 2:
        if kd != 2 or vd != 2:
            raise error(AssertionError, _MHA, f"For unbatched (2-D) `query`, expected `key` and `value` to be 2-D but "
                        f"found {kd}-D and {vd}-D tensors respectively", "sin lote: query (L, E), key y value (S, E)")
        if key_padding_mask is not None and key_padding_mask.dim() != 1:
            raise error(AssertionError, _MHA, "For unbatched (2-D) `query`, expected `key_padding_mask` to be `None` "
                        f"or 1-D but found {key_padding_mask.dim()}-D tensor instead", "sin lote, key_padding_mask es (S,)")
        if attn_mask is not None:
            if attn_mask.dim() not in (2, 3):
                raise error(AssertionError, _MHA, "For unbatched (2-D) `query`, expected `attn_mask` to be `None`, "
                            f"2-D or 3-D but found {attn_mask.dim()}-D tensor instead", "attn_mask es (L, S)")
            expected = (num_heads, query.shape[0], key.shape[0])
            if attn_mask.dim() == 3 and tuple(attn_mask.shape) != expected:
                raise error(AssertionError, _MHA, f"Expected `attn_mask` shape to be {expected} but got "
                            f"{tuple(attn_mask.shape)}", "sin lote, una máscara 3-D es (num_heads, L, S)")
        return False
    raise error(AssertionError, _MHA, f"query should be unbatched 2D or batched 3D tensor but received {qd}-D query "
                "tensor", "query es (L, E) o (L, N, E) / (N, L, E)")


def _linear(x, w, b):
    from ..nn.functional import linear
    return linear(x, w, b)


def _in_projection_packed(q, k, v, w, b):
    """The three projections with one packed (3E, E) weight: one matmul when q, k and v are one
    tensor (self-attention), two when k is v (encoder-decoder attention)."""
    e = q.shape[-1]
    if k is v:
        if q is k:
            return _linear(q, w, b).chunk(3, dim=-1)
        w_q, w_kv = w.split([e, 2 * e])
        b_q, b_kv = (None, None) if b is None else b.split([e, 2 * e])
        return (_linear(q, w_q, b_q),) + _linear(k, w_kv, b_kv).chunk(2, dim=-1)
    w_q, w_k, w_v = w.chunk(3)
    b_q, b_k, b_v = (None, None, None) if b is None else b.chunk(3)
    return _linear(q, w_q, b_q), _linear(k, w_k, b_k), _linear(v, w_v, b_v)


def _split_heads(x, n, h, batch_first):
    """(N, T, E) or (T, N, E) -> (N, H, T, D): the heads become a batch dim (a view)."""
    if batch_first:
        return x.view(n, x.shape[1], h, -1).transpose(1, 2)
    return x.view(x.shape[0], n, h, -1).permute(1, 2, 0, 3)


def multi_head_attention_forward(query, key, value, embed_dim_to_check, num_heads, in_proj_weight, in_proj_bias,
                                 bias_k, bias_v, add_zero_attn, dropout_p, out_proj_weight, out_proj_bias,
                                 training=True, key_padding_mask=None, need_weights=True, attn_mask=None,
                                 use_separate_proj_weight=False, q_proj_weight=None, k_proj_weight=None,
                                 v_proj_weight=None, static_k=None, static_v=None, average_attn_weights=True,
                                 is_causal=False):
    """PyTorch's ``F.multi_head_attention_forward``: inputs (L, N, E) / (S, N, E), or unbatched
    (L, E); returns ``(output, weights)`` (weights None when ``need_weights=False``)."""
    return mha_forward(query, key, value, embed_dim_to_check, num_heads, in_proj_weight, in_proj_bias, bias_k,
                       bias_v, add_zero_attn, dropout_p, out_proj_weight, out_proj_bias, training, key_padding_mask,
                       need_weights, attn_mask, use_separate_proj_weight, q_proj_weight, k_proj_weight,
                       v_proj_weight, static_k, static_v, average_attn_weights, is_causal, batch_first=False)


def mha_forward(query, key, value, embed_dim_to_check, num_heads, in_proj_weight, in_proj_bias, bias_k, bias_v,
                add_zero_attn, dropout_p, out_proj_weight, out_proj_bias, training, key_padding_mask, need_weights,
                attn_mask, use_separate_proj_weight, q_proj_weight, k_proj_weight, v_proj_weight, static_k, static_v,
                average_attn_weights, is_causal, batch_first):
    """``multi_head_attention_forward`` for (L, N, E) inputs, or (N, L, E) ones with ``batch_first``
    (``nn.MultiheadAttention`` passes them as they are: no transposes in and out)."""
    for name, x in (("query", query), ("key", key), ("value", value)):
        _check_tensor(name, x, _MHA)
    is_batched = _shape_check(query, key, value, key_padding_mask, attn_mask, num_heads)
    if not is_batched:  # one sequence: a batch of one, (T, 1, E)
        query, key, value = query.unsqueeze(1), key.unsqueeze(1), value.unsqueeze(1)
        if key_padding_mask is not None:
            key_padding_mask = key_padding_mask.unsqueeze(0)
        batch_first = False
    seq = 1 if batch_first else 0  # the sequence dim of the inputs
    tgt_len, bsz, embed_dim = query.shape[seq], query.shape[1 - seq], query.shape[2]
    src_len = key.shape[seq]
    dt = query._data.dtype
    key_padding_mask = canonical_mask(key_padding_mask, "key_padding_mask",
                                      None if attn_mask is None else attn_mask._data.dtype, "attn_mask", dt)
    if is_causal and attn_mask is None:
        raise error(RuntimeError, _MHA, "Need attn_mask if specifying the is_causal hint. You may use the Transformer "
                    "module method `generate_square_subsequent_mask` to create this mask.",
                    "pasa attn_mask=nn.Transformer.generate_square_subsequent_mask(L) junto con is_causal=True")
    causal = False
    if is_causal and key_padding_mask is None and not need_weights:
        attn_mask, causal = None, True  # the hint alone: the causal mask is built inside (as PyTorch's sdpa)
    else:
        attn_mask = canonical_mask(attn_mask, "attn_mask", None, "", dt, check_other=False)
    if embed_dim != embed_dim_to_check:
        raise error(AssertionError, _MHA, f"was expecting embedding dimension of {embed_dim_to_check}, but got "
                    f"{embed_dim}", "la última dimensión de query debe ser embed_dim")
    head_dim = embed_dim // num_heads
    if head_dim * num_heads != embed_dim:
        raise error(AssertionError, _MHA, f"embed_dim {embed_dim} not divisible by num_heads {num_heads}",
                    "embed_dim debe ser múltiplo de num_heads")
    if use_separate_proj_weight:
        if tuple(key.shape[:2]) != tuple(value.shape[:2]):
            raise error(AssertionError, _MHA, f"key's sequence and batch dims {tuple(key.shape[:2])} do not match "
                        f"value's {tuple(value.shape[:2])}", "key y value deben tener la misma longitud y lote")
        for name, w in (("q", q_proj_weight), ("k", k_proj_weight), ("v", v_proj_weight)):
            if w is None:
                raise error(AssertionError, _MHA, f"use_separate_proj_weight is True but {name}_proj_weight is None",
                            "pasa q_proj_weight, k_proj_weight y v_proj_weight")
        b_q, b_k, b_v = (None, None, None) if in_proj_bias is None else in_proj_bias.chunk(3)
        q, k, v = _linear(query, q_proj_weight, b_q), _linear(key, k_proj_weight, b_k), _linear(value, v_proj_weight, b_v)
    else:
        if tuple(key.shape) != tuple(value.shape):
            raise error(AssertionError, _MHA, f"key shape {tuple(key.shape)} does not match value shape "
                        f"{tuple(value.shape)}", "key y value deben tener la misma forma")
        if in_proj_weight is None:
            raise error(AssertionError, _MHA, "use_separate_proj_weight is False but in_proj_weight is None",
                        "pasa in_proj_weight")
        q, k, v = _in_projection_packed(query, key, value, in_proj_weight, in_proj_bias)
    if attn_mask is not None:  # (L, S), or (N * H, L, S) seen as (N, H, L, S)
        if attn_mask.dim() == 2:
            if tuple(attn_mask.shape) != (tgt_len, src_len):
                raise error(RuntimeError, _MHA, f"The shape of the 2D attn_mask is {tuple(attn_mask.shape)}, but "
                            f"should be {(tgt_len, src_len)}.", "attn_mask 2-D es (L, S)")
        elif attn_mask.dim() == 3:
            if tuple(attn_mask.shape) != (bsz * num_heads, tgt_len, src_len):
                raise error(RuntimeError, _MHA, f"The shape of the 3D attn_mask is {tuple(attn_mask.shape)}, but "
                            f"should be {(bsz * num_heads, tgt_len, src_len)}.", "attn_mask 3-D es (N * num_heads, L, S)")
            attn_mask = attn_mask.view(bsz, num_heads, tgt_len, src_len)
        else:
            raise error(RuntimeError, _MHA, f"attn_mask's dimension {attn_mask.dim()} is not supported",
                        "attn_mask es (L, S) o (N * num_heads, L, S)")
    from ..nn.functional import pad
    if bias_k is not None and bias_v is not None:  # one learnt key/value more, at the end of every sequence
        if static_k is not None or static_v is not None:
            raise error(AssertionError, _MHA, "bias cannot be added to static key.", "no uses bias_k con static_k")
        shape = (bsz, 1, embed_dim) if batch_first else (1, bsz, embed_dim)
        k = _cat([k, bias_k.reshape(1, 1, embed_dim).expand(shape)], seq)
        v = _cat([v, bias_v.reshape(1, 1, embed_dim).expand(shape)], seq)
        attn_mask = None if attn_mask is None else pad(attn_mask, (0, 1))
        key_padding_mask = None if key_padding_mask is None else pad(key_padding_mask, (0, 1))
    elif bias_k is not None or bias_v is not None:
        raise error(AssertionError, _MHA, f"bias_{'k' if bias_k is not None else 'v'} is set but "
                    f"bias_{'v' if bias_k is not None else 'k'} is None", "da bias_k y bias_v, o ninguno")
    q = _split_heads(q, bsz, num_heads, batch_first)
    k = _static(static_k, "static_k", bsz, num_heads, head_dim) if static_k is not None else \
        _split_heads(k, bsz, num_heads, batch_first)
    v = _static(static_v, "static_v", bsz, num_heads, head_dim) if static_v is not None else \
        _split_heads(v, bsz, num_heads, batch_first)
    if add_zero_attn:  # one all-zero key/value more
        from ..creation import zeros
        z = zeros((bsz, num_heads, 1, head_dim), dtype=k.dtype)
        k, v = _cat([k, z], 2), _cat([v, z], 2)
        attn_mask = None if attn_mask is None else pad(attn_mask, (0, 1))
        key_padding_mask = None if key_padding_mask is None else pad(key_padding_mask, (0, 1))
    src_len = k.shape[2]
    if key_padding_mask is not None:
        if key_padding_mask.shape[0] != bsz:
            raise error(AssertionError, _MHA, f"Expected key_padded_mask.shape[0] to be {bsz}, but got "
                        f"{key_padding_mask.shape[0]}", "key_padding_mask es (N, S)")
        if key_padding_mask.shape[1] != src_len:
            raise error(AssertionError, _MHA, f"Expected key_padded_mask.shape[1] to be {src_len}, but got "
                        f"{key_padding_mask.shape[1]}", "key_padding_mask es (N, S)")
        kpm = key_padding_mask.view(bsz, 1, 1, src_len)
        attn_mask = kpm if attn_mask is None else attn_mask + kpm
        causal = False
    if not training:
        dropout_p = 0.0
    if causal:
        xp = backend_of(q).xp
        attn_mask = Tensor._make(xp.tril(xp.ones((tgt_len, src_len), bool)))
    keep = dropout_keep((bsz, num_heads, tgt_len, src_len), dropout_p, q._data) if dropout_p > 0 else None
    out, weights = Attention.apply(q, k, v, attn_mask, 1 / math.sqrt(head_dim), keep, not need_weights)
    # (N, H, L, D) -> (N, L, E) or (L, N, E): the heads side by side again
    out = out.transpose(1, 2) if batch_first else out.permute(2, 0, 1, 3)
    out = _linear(out.reshape(out.shape[0], out.shape[1], embed_dim), out_proj_weight, out_proj_bias)
    if not is_batched:
        out = out.squeeze(1)
    if not need_weights:
        return out, None
    if keep is not None:  # the weights returned are the ones used: after dropout (as PyTorch)
        weights = weights * Tensor._make(keep)
    if average_attn_weights:
        weights = weights.mean(dim=1)
    if not is_batched:
        weights = weights.squeeze(0)
    return out, weights


def _static(x, name, bsz, num_heads, head_dim):
    """A precomputed key or value, (N * H, S, D), as (N, H, S, D)."""
    if x.shape[0] != bsz * num_heads:
        raise error(AssertionError, _MHA, f"expecting {name}.size(0) of {bsz * num_heads}, but got {x.shape[0]}",
                    f"{name} es (N * num_heads, S, head_dim)")
    if x.shape[2] != head_dim:
        raise error(AssertionError, _MHA, f"expecting {name}.size(2) of {head_dim}, but got {x.shape[2]}",
                    f"{name} es (N * num_heads, S, head_dim)")
    return x.view(bsz, num_heads, x.shape[1], head_dim)
