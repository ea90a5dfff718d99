"""Error parity with PyTorch, shared by the test modules."""
import pytest

from profundo._errors import is_checked


def assert_raises_like_torch(theirs, ours):
    """``ours()`` raises the exception type that ``theirs()`` (PyTorch) raises,
    as profundo's checked error with a Spanish hint."""
    with pytest.raises(Exception) as expected:
        theirs()
    with pytest.raises(type(expected.value)) as got:
        ours()
    assert is_checked(got.value) and "Pista" in str(got.value)
