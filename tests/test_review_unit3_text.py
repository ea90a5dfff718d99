"""Reproductions from the Unit 3 review (text, models, text CLIs): each failed before its fix."""
import numpy as np
import pytest

import profundo
from profundo import models, text

PAIRS = "\n".join(f"Go {i}.\tVa {i} !" for i in range(40)) + "\n"


def pairs_file(tmp_path):
    path = tmp_path / "pairs.txt"
    path.write_text(PAIRS, encoding="utf-8")
    return path


@pytest.mark.parametrize("call", [
    lambda: text.time_machine("bundled", root="/nonexistent"),
    lambda: text.time_machine("bundled", download=True),
    lambda: text.fra_eng("bundled", root="/nonexistent"),
    lambda: text.TimeMachine(root="/nonexistent"),
    lambda: text.MTFraEng(download=True),
])
def test_root_and_download_are_refused_without_the_cache(call):
    # they say where the download cache is: with another source they used to be ignored silently
    with pytest.raises(ValueError, match="appl(y|ies) only to source='cache'"):
        call()


def test_root_and_download_are_refused_for_a_file(tmp_path):
    with pytest.raises(ValueError, match="root applies only to source='cache'"):
        text.fra_eng(pairs_file(tmp_path), root=str(tmp_path))
    with pytest.raises(ValueError, match="root and download apply only to source='cache'"):
        text.time_machine(pairs_file(tmp_path), root=str(tmp_path), download=True)


@pytest.mark.parametrize("max_examples", ["5", -1, 2.5, True])
def test_tokenize_nmt_checks_max_examples(max_examples):
    with pytest.raises(ValueError, match="tokenize_nmt: max_examples"):
        text.tokenize_nmt("go .\tva !\nhi .\tsalut !", max_examples)


def test_tokenize_nmt_max_examples_zero_and_none():
    assert text.tokenize_nmt("go .\tva !", 0) == ([], [])
    assert text.tokenize_nmt("go .\tva !", None) == ([["go", ".", "<eos>"]], [["va", "!", "<eos>"]])


def test_truncate_pad_takes_numpy_integers():
    assert text.truncate_pad([1, 2], np.int64(4), 0) == [1, 2, 0, 0]
    assert text.truncate_pad([1, 2, 3], np.int32(2), 0) == [1, 2]


@pytest.mark.parametrize("make", [lambda: text.TimeMachine(2, 5, num_val="x"),
                                  lambda: text.TimeMachine(2, 5, num_val=-1),
                                  lambda: text.MTFraEng(2, num_val=-3),
                                  lambda: text.MTFraEng(2, num_val=1.5)])
def test_data_sets_check_num_val(make):
    with pytest.raises(ValueError, match="num_val must be an int >= 0"):
        make()


def test_mtfraeng_too_few_pairs_names_the_cli_options(tmp_path):
    with pytest.raises(ValueError, match="--pairs/--val-pairs"):
        text.MTFraEng(2, num_train=30, num_val=30, source=pairs_file(tmp_path))


def test_masked_softmax_refuses_a_list_of_lengths():
    with pytest.raises(TypeError, match="masked_softmax: valid_lens must be None or a tensor"):
        models.masked_softmax(profundo.rand(2, 2, 4), [2, 3])


def cli(capsys, *argv):
    from profundo.cli import main
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.mark.parametrize("argv", [["--epochs", "0"], ["--lr", "-1"], ["--dropout", "1"], ["--seed", "x"],
                                  ["--batch-size", "x"]])
def test_seq2seq_bad_values_have_a_spanish_hint(capsys, argv):
    from profundo.cli import main
    with pytest.raises(SystemExit) as e:
        main(["train", "seq2seq", *argv])
    assert e.value.code == 2
    err = capsys.readouterr().err
    assert "profundo train seq2seq: error:" in err and "Pista:" in err and "Traceback" not in err


def test_seq2seq_out_that_is_a_file_is_refused_clearly(tmp_path, capsys):
    (tmp_path / "file").write_text("x")
    code, _, err = cli(capsys, "train", "seq2seq", "--data", str(pairs_file(tmp_path)), "--pairs", "8",
                       "--val-pairs", "4", "--epochs", "1", "--out", str(tmp_path / "file"))
    assert code == 2 and "--out" in err and "is a file, not a folder" in err and "Pista" in err


def test_one_epoch_is_singular(tmp_path, capsys):
    path = tmp_path / "book.txt"
    path.write_text("the time traveller was one " * 20, encoding="utf-8")
    code, out, err = cli(capsys, "train", "charlm", "--text", str(path), "--epochs", "1", "--hidden", "4",
                         "--seq-len", "8", "--batch-size", "64", "--prefix", "the", "--num-preds", "3",
                         "--out", str(tmp_path / "run"), "--quiet")
    assert code == 0, err
    assert "(1 epoch," in out and "epochs" not in out


@pytest.mark.parametrize("argv", [["train", "--epochs", "1", "charlm"], ["train", "--data", "digits", "seq2seq"]])
def test_text_task_after_options_is_refused_by_name(capsys, argv):
    # used to say "unknown model 'charlm'" and list the image models
    code, _, err = cli(capsys, *argv)
    task = argv[-1]
    assert code == 2 and f"{task} has options of its own" in err and f"profundo train {task} --epochs 1" in err
    assert "Pista" in err and "unknown model" not in err


def test_vocab_takes_none_as_d2l_2nd_edition():
    # d2l 2nd ed.: Vocab(tokens=None, min_freq=0, reserved_tokens=None)
    assert text.Vocab(None).idx_to_token == ["<unk>"]
    vocab = text.Vocab(list("abca"), reserved_tokens=None)
    assert vocab.idx_to_token == ["<unk>", "a", "b", "c"] and vocab["a"] == 1


def test_load_data_time_machine_checks_max_tokens():
    with pytest.raises(TypeError, match="load_data_time_machine: max_tokens must be an int"):
        text.load_data_time_machine(2, 5, max_tokens="100")
    loader, vocab = text.load_data_time_machine(2, 5, max_tokens=100)
    assert sum(X.numel() for X, _ in loader) <= 100 and len(vocab) == 28
