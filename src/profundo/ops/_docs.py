"""One-line docstrings, in PyTorch's wording, for the public ops that have none of their own.

``ops/__init__.py`` gives them to the functions (``help(profundo.sum)``) and the Tensor methods
(``help(profundo.Tensor.sum)``).  An op whose function has its own docstring keeps it."""

DOCS = {
    'add': 'Adds ``other``, scaled by ``alpha``, to ``input``.',
    'sub': 'Subtracts ``other``, scaled by ``alpha``, from ``input``.',
    'subtract': 'Alias for ``sub``.',
    'rsub': 'Subtracts ``input``, scaled by ``alpha``, from ``other``.',
    'mul': 'Multiplies ``input`` by ``other``.',
    'multiply': 'Alias for ``mul``.',
    'div': 'Divides each element of the input ``input`` by the corresponding element of ``other``.',
    'divide': 'Alias for ``div``.',
    'true_divide': 'Alias for ``div`` with ``rounding_mode=None``.',
    'pow': 'Takes the power of each element in ``input`` with ``exponent`` and returns a tensor with the result.',
    'square': 'Returns a new tensor with the square of the elements of ``input``.',
    'neg': 'Returns a new tensor with the negative of the elements of ``input``.',
    'negative': 'Alias for ``neg``.',
    'maximum': 'Computes the element-wise maximum of ``input`` and ``other``.',
    'minimum': 'Computes the element-wise minimum of ``input`` and ``other``.',
    'atan2': 'Element-wise arctangent of ``input / other`` with consideration of the quadrant.',
    'arctan2': 'Alias for ``atan2``.',
    'lerp': (
        'Does a linear interpolation of ``input`` and ``end`` based on ``weight``: ``input + weight * (end - '
        'input)``.'),
    'clamp': 'Clamps all elements in ``input`` into the range [``min``, ``max``].',
    'clip': 'Alias for ``clamp``.',
    'clamp_min': 'Clamps all elements in ``input`` to be at least ``min``.',
    'clamp_max': 'Clamps all elements in ``input`` to be at most ``max``.',
    'round': 'Rounds elements of ``input`` to the nearest integer.',
    'eq': 'Computes ``input == other`` element-wise.',
    'ne': 'Computes ``input != other`` element-wise.',
    'lt': 'Computes ``input < other`` element-wise.',
    'le': 'Computes ``input <= other`` element-wise.',
    'gt': 'Computes ``input > other`` element-wise.',
    'ge': 'Computes ``input >= other`` element-wise.',
    'not_equal': 'Alias for ``ne``.',
    'less': 'Alias for ``lt``.',
    'less_equal': 'Alias for ``le``.',
    'greater': 'Alias for ``gt``.',
    'greater_equal': 'Alias for ``ge``.',
    'logical_and': 'Computes the element-wise logical AND of the given input tensors.',
    'logical_or': 'Computes the element-wise logical OR of the given input tensors.',
    'logical_xor': 'Computes the element-wise logical XOR of the given input tensors.',
    'logical_not': 'Computes the element-wise logical NOT of the given input tensor.',
    'bitwise_and': 'Computes the bitwise AND of ``input`` and ``other``.',
    'bitwise_or': 'Computes the bitwise OR of ``input`` and ``other``.',
    'bitwise_xor': 'Computes the bitwise XOR of ``input`` and ``other``.',
    'bitwise_not': 'Computes the bitwise NOT of the given input tensor.',
    'isnan': 'Returns a new tensor with boolean elements representing if each element of ``input`` is NaN or not.',
    'isinf': 'Tests if each element of ``input`` is infinite (positive or negative infinity) or not.',
    'isfinite': 'Returns a new tensor with boolean elements representing if each element is `finite` or not.',
    'isposinf': 'Tests if each element of ``input`` is positive infinity or not.',
    'isneginf': 'Tests if each element of ``input`` is negative infinity or not.',
    'isclose': (
        'Returns a new tensor with boolean elements representing if each element of ``input`` is "close" to '
        'the corresponding element of ``other``.'),
    'allclose': 'Checks if ``|input - other| <= atol + rtol * |other|`` for all elements of ``input`` and ``other``.',
    'sum': 'Returns the sum of all elements in the ``input`` tensor.',
    'mean': 'Returns the mean value of all elements in the ``input`` tensor.',
    'nansum': 'Returns the sum of all elements, treating Not a Numbers (NaNs) as zero.',
    'prod': 'Returns the product of all elements in the ``input`` tensor.',
    'min': 'Returns the minimum value of all elements in the ``input`` tensor.',
    'amax': 'Returns the maximum value of each slice of the ``input`` tensor in the given dimension(s) ``dim``.',
    'amin': 'Returns the minimum value of each slice of the ``input`` tensor in the given dimension(s) ``dim``.',
    'argmax': 'Returns the indices of the maximum value of all elements in the ``input`` tensor.',
    'argmin': 'Returns the indices of the minimum value(s) of the flattened tensor or along a dimension.',
    'var': 'Calculates the variance over the dimensions specified by ``dim``.',
    'std': 'Calculates the standard deviation over the dimensions specified by ``dim``.',
    'var_mean': 'Calculates the variance and mean over the dimensions specified by ``dim``.',
    'std_mean': 'Calculates the standard deviation and mean over the dimensions specified by ``dim``.',
    'norm': 'Returns the matrix norm or vector norm of a given tensor.',
    'cumsum': 'Returns the cumulative sum of elements of ``input`` in the dimension ``dim``.',
    'cumprod': 'Returns the cumulative product of elements of ``input`` in the dimension ``dim``.',
    'all': 'Tests if all elements in ``input`` evaluate to `True`.',
    'any': 'Tests if any element in ``input`` evaluates to `True`.',
    'count_nonzero': 'Counts the number of non-zero values in the tensor ``input`` along the given ``dim``.',
    'softmax': 'Applies a softmax function along dimension ``dim``.',
    'log_softmax': 'Applies a softmax followed by a logarithm along dimension ``dim``.',
    'logsumexp': (
        'Returns the log of summed exponentials of each row of the ``input`` tensor in the given dimension '
        '``dim``.'),
    'reshape': 'Returns a tensor with the same data and number of elements as ``input``, but with the specified shape.',
    'flatten': 'Flattens ``input`` by reshaping it into a one-dimensional tensor.',
    'unflatten': 'Expands a dimension of the input tensor over multiple dimensions.',
    'permute': 'Returns a view of the original tensor ``input`` with its dimensions permuted.',
    'transpose': 'Returns a tensor that is a transposed version of ``input``.',
    'swapaxes': 'Alias for ``transpose``.',
    'swapdims': 'Alias for ``transpose``.',
    't': 'Expects ``input`` to be <= 2-D tensor and transposes dimensions 0 and 1.',
    'movedim': (
        'Moves the dimension(s) of ``input`` at the position(s) in ``source`` to the position(s) in '
        '``destination``.'),
    'moveaxis': 'Alias for ``movedim``.',
    'expand': 'Returns a new view of the ``self`` tensor with singleton dimensions expanded to a larger size.',
    'broadcast_to': 'Broadcasts ``input`` to the shape ``size``.',
    'broadcast_tensors': 'Broadcasts the given tensors to one shape, according to the broadcasting rules.',
    'squeeze': 'Returns a tensor with all specified dimensions of ``input`` of size `1` removed.',
    'unsqueeze': 'Returns a new tensor with a dimension of size one inserted at the specified position.',
    'cat': 'Concatenates the given sequence of tensors in ``tensors`` in the given dimension.',
    'concat': 'Alias of ``cat``.',
    'concatenate': 'Alias of ``cat``.',
    'stack': 'Concatenates a sequence of tensors along a new dimension.',
    'hstack': 'Stack tensors in sequence horizontally (column wise).',
    'vstack': 'Stack tensors in sequence vertically (row wise).',
    'narrow': 'Returns a new tensor that is a narrowed version of ``input`` tensor.',
    'select': 'Slices the ``input`` tensor along the selected dimension at the given index.',
    'split': 'Splits the tensor into chunks.',
    'chunk': 'Attempts to split a tensor into the specified number of chunks.',
    'unbind': 'Removes a tensor dimension.',
    'flip': 'Reverse the order of an n-D tensor along given axis in dims.',
    'fliplr': 'Flip tensor in the left/right direction, returning a new tensor.',
    'flipud': 'Flip tensor in the up/down direction, returning a new tensor.',
    'repeat_interleave': 'Repeat elements of a tensor.',
    'tile': 'Constructs a tensor by repeating the elements of ``input``.',
    'tril': (
        'Returns the lower triangular part of the matrix (2-D tensor) or batch of matrices ``input``; the '
        'other elements are 0.'),
    'triu': (
        'Returns the upper triangular part of the matrix (2-D tensor) or batch of matrices ``input``; the '
        'other elements are 0.'),
    'clone': 'Returns a copy of ``input``.',
    'diagonal': (
        'Returns a partial view of ``input`` with its diagonal elements with respect to ``dim1`` and ``dim2``'
        ' appended as a dimension at the end of the shape.'),
    'diag_embed': (
        'Creates a tensor whose diagonals of certain 2D planes (specified by ``dim1`` and ``dim2``) are '
        'filled by ``input``.'),
    'diag': 'A 2-D square tensor with the 1-D ``input`` on its diagonal, or the diagonal of the 2-D ``input``.',
    'index_select': (
        'Returns a new tensor which indexes the ``input`` tensor along dimension ``dim`` using the entries in'
        ' ``index``.'),
    'index_add': 'Out-of-place version of ``Tensor.index_add_``.',
    'gather': 'Gathers values along an axis specified by `dim`.',
    'scatter': 'Out-of-place version of ``Tensor.scatter_``.',
    'scatter_add': 'Out-of-place version of ``Tensor.scatter_add_``.',
    'masked_fill': 'Out-of-place version of ``Tensor.masked_fill_``.',
    'masked_select': (
        'Returns a new 1-D tensor which indexes the ``input`` tensor according to the boolean mask ``mask``.'),
    'nonzero': 'Returns a tensor containing the indices of all non-zero elements of ``input``.',
    'argwhere': 'Returns a tensor containing the indices of all non-zero elements of ``input``.',
    'take': 'Returns a new tensor with the elements of ``input`` at the given indices.',
    'take_along_dim': (
        'Selects values from ``input`` at the 1-dimensional indices from ``indices`` along the given ``dim``.'),
    'index_put': 'Out-of-place version of ``Tensor.index_put_``.',
    'mm': 'Performs a matrix multiplication of the matrices ``input`` and ``mat2``.',
    'bmm': 'Performs a batch matrix-matrix product of matrices stored in ``input`` and ``mat2``.',
    'mv': 'Performs a matrix-vector product of the matrix ``input`` and the vector ``vec``.',
    'dot': 'Computes the dot product of two 1D tensors.',
    'outer': 'Outer product of ``input`` and ``vec2``.',
    'ger': 'Alias of ``outer``.',
    'trace': 'Returns the sum of the elements of the diagonal of the input 2-D matrix.',
    'einsum': (
        'Sums the product of the elements of the input ``operands`` along dimensions specified using a '
        'notation based on the Einstein summation convention.'),
    'logcumsumexp': (
        'Returns the logarithm of the cumulative sum of the exponentials of ``input`` in the dimension '
        '``dim``.'),
    'view': 'Returns a new tensor with the same data as the ``self`` tensor but of a different ``shape``.',
    'view_as': 'View this tensor as the same size as ``other``.',
    'reshape_as': 'Returns this tensor as the same shape as ``other``.',
    'expand_as': 'Expand this tensor to the same size as ``other``.',
    'repeat': 'Repeats this tensor along the specified dimensions.',
    'contiguous': 'Returns a contiguous in memory tensor containing the same data as ``self`` tensor.',
    'type_as': 'Returns this tensor cast to the type of the given tensor.',
    'type': 'Returns the type name if ``dtype`` is not given, else this tensor cast to the given type.',
    'float': '``self.float()`` is equivalent to ``self.to(profundo.float32)``.',
    'double': '``self.double()`` is equivalent to ``self.to(profundo.float64)``.',
    'half': '``self.half()`` is equivalent to ``self.to(profundo.float16)``.',
    'long': '``self.long()`` is equivalent to ``self.to(profundo.int64)``.',
    'int': '``self.int()`` is equivalent to ``self.to(profundo.int32)``.',
    'short': '``self.short()`` is equivalent to ``self.to(profundo.int16)``.',
    'char': '``self.char()`` is equivalent to ``self.to(profundo.int8)``.',
    'byte': '``self.byte()`` is equivalent to ``self.to(profundo.uint8)``.',
    'bool': '``self.bool()`` is equivalent to ``self.to(profundo.bool)``.',
    'bernoulli_': 'Fills each location of ``self`` with an independent sample from Bernoulli(``p``).',
    'bitwise_left_shift_': 'In-place version of ``Tensor.bitwise_left_shift``.',
    'bitwise_right_shift_': 'In-place version of ``Tensor.bitwise_right_shift``.',
    'clamp_': 'In-place version of ``Tensor.clamp``.',
    'clip_': 'Alias for ``Tensor.clamp_``.',
    'copy_': 'Copies the elements from ``src`` into ``self`` tensor and returns ``self``.',
    'exponential_': 'Fills ``self`` tensor with elements drawn from the exponential distribution of rate ``lambd``.',
    'fill_': 'Fills ``self`` tensor with the specified value.',
    'index_add_': (
        'Accumulate the elements of ``alpha`` times ``source`` into the ``self`` tensor by adding to the '
        'indices in the order given in ``index``.'),
    'index_fill_': (
        'Fills the elements of the ``self`` tensor with value ``value`` by selecting the indices in the order'
        ' given in ``index``.'),
    'lerp_': 'In-place version of ``Tensor.lerp``.',
    'masked_fill_': 'Fills elements of ``self`` tensor with ``value`` where ``mask`` is True.',
    'normal_': (
        'Fills ``self`` tensor with elements samples from the normal distribution parameterized by ``mean`` '
        'and ``std``.'),
    'pow_': 'In-place version of ``Tensor.pow``.',
    'random_': (
        'Fills ``self`` tensor with numbers sampled from the discrete uniform distribution over ``[from, to -'
        ' 1]``.'),
    'scatter_': (
        'Writes all values from the tensor ``src`` into ``self`` at the indices specified in the ``index`` '
        'tensor.'),
    'scatter_add_': (
        'Adds all values from the tensor ``src`` into ``self`` at the indices specified in the ``index`` '
        'tensor in a similar fashion as ``Tensor.scatter_``.'),
    'scatter_reduce_': (
        'Reduces all values from ``src`` into ``self`` at the indices in ``index`` with the reduction '
        '``reduce``.'),
    'uniform_': (
        'Fills ``self`` tensor with numbers sampled from the continuous uniform distribution on [``from``, '
        '``to``).'),
    'zero_': 'Fills ``self`` tensor with zeros.',
    'new_zeros': 'Returns a Tensor of size ``size`` filled with ``0``.',
    'new_ones': 'Returns a Tensor of size ``size`` filled with ``1``.',
    'new_empty': 'Returns a Tensor of size ``size`` filled with uninitialized data.',
    'new_full': 'Returns a Tensor of size ``size`` filled with ``fill_value``.',
    'new_tensor': 'Returns a new Tensor with ``data`` as the tensor data.',
}
