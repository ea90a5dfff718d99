"""``profundo.set_num_threads`` / ``get_num_threads`` (PyTorch's names) set NumPy's BLAS threads."""
import pytest

import profundo as torch


def test_set_num_threads_changes_the_blas_threads_and_get_reads_them():
    pytest.importorskip("threadpoolctl")
    from threadpoolctl import threadpool_info
    before = torch.get_num_threads()
    try:
        torch.set_num_threads(1)
        assert torch.get_num_threads() == 1
        assert all(p["num_threads"] == 1 for p in threadpool_info() if p["user_api"] == "blas")
        a = torch.randn(64, 64)
        assert torch.allclose(a @ torch.eye(64), a)  # products still work
    finally:
        torch.set_num_threads(before)
    assert torch.get_num_threads() == before


@pytest.mark.parametrize("bad,text", [(0, "positive integer"), (-2, "positive integer"), (1.5, "expects an int"),
                                      ("2", "expects an int"), (True, "expects an int")])
def test_bad_thread_counts_are_refused_like_torch(bad, text):
    with pytest.raises(RuntimeError, match=text):
        torch.set_num_threads(bad)


def test_without_threadpoolctl_setting_threads_says_what_to_install(monkeypatch):
    import builtins
    real_import = builtins.__import__

    def no_threadpoolctl(name, *args, **kwargs):
        if name == "threadpoolctl":
            raise ImportError(name)
        return real_import(name, *args, **kwargs)
    monkeypatch.setattr(builtins, "__import__", no_threadpoolctl)
    with pytest.raises(RuntimeError, match="threadpoolctl"):
        torch.set_num_threads(1)
    monkeypatch.setenv("OMP_NUM_THREADS", "3")
    assert torch.get_num_threads() == 3
