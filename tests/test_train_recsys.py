"""``profundo train mf`` and ``profundo train neumf`` (Unit 4) end to end, on small synthetic MovieLens files.

Every data file is written here in MovieLens' own layouts (u.data: ``user item rating timestamp``,
tab-separated, ids from 1; ratings.dat with ``::``; ratings.csv with its header), from a low-rank rating
matrix, so nothing needs ../shared or the network.
"""
import json
import math

import numpy as np
import pytest

import profundo
from profundo.cli import main as cli
from profundo.models import MatrixFactorization
from profundo.train import mf as mf_task
from profundo.train.recsys_common import load_ratings


def low_rank_ratings(num_users=60, num_items=40, rank=3, density=0.5, seed=0):
    """Distinct (user, item) pairs with ratings 1..5 from a rank-``rank`` matrix plus biases (original ids
    from 1, as MovieLens), and increasing timestamps."""
    rng = np.random.default_rng(seed)
    P, Q = rng.normal(size=(num_users, rank)), rng.normal(size=(num_items, rank))
    full = 3.5 + 0.6 * (P @ Q.T) / math.sqrt(rank) + rng.normal(0, 0.4, num_users)[:, None] \
        + rng.normal(0, 0.4, num_items)[None, :]
    mask = rng.random((num_users, num_items)) < density
    mask[np.arange(num_users), rng.integers(0, num_items, num_users)] = True  # every user rates something
    mask[rng.integers(0, num_users, num_items), np.arange(num_items)] = True  # every item is rated
    u, i = np.nonzero(mask)
    r = np.clip(np.rint(full[u, i]), 1, 5).astype(int)
    order = rng.permutation(len(u))
    return u[order] + 1, i[order] + 1, r[order], 880000000 + np.arange(len(u)) * 17


def write_u_data(folder, **kw):
    folder.mkdir(parents=True, exist_ok=True)
    u, i, r, t = low_rank_ratings(**kw)
    (folder / "u.data").write_text("".join(f"{a}\t{b}\t{c}\t{d}\n" for a, b, c, d in zip(u, i, r, t)))
    return folder


def run(capsys, *argv):
    code = cli(["train", *argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


# ---------------------------------------------------------------- data
def test_ratings_from_a_folder_in_each_movielens_layout(tmp_path):
    u, i, r, t = low_rank_ratings(num_users=7, num_items=5)
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "u.data").write_text("".join(f"{a}\t{b}\t{c}\t{d}\n" for a, b, c, d in zip(u, i, r, t)))
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "ratings.dat").write_text("".join(f"{a}::{b}::{c}::{d}\n" for a, b, c, d in zip(u, i, r, t)))
    (tmp_path / "c").mkdir()
    (tmp_path / "c" / "ratings.csv").write_text("userId,movieId,rating,timestamp\n" + "".join(
        f"{a},{b},{c}.0,{d}\n" for a, b, c, d in zip(u, i, r, t)))
    for name in "abc":
        data, label = load_ratings(str(tmp_path / name))
        assert (data.num_users, data.num_items, len(data)) == (7, 5, len(u)), name
        np.testing.assert_array_equal(data.user, u - 1)  # ids 1..n become 0..n-1
        np.testing.assert_array_equal(data.item, i - 1)
        np.testing.assert_array_equal(data.rating, r.astype(np.float32))
        np.testing.assert_array_equal(data.timestamp, t)
        assert str(tmp_path / name) in label


def test_named_variant_is_found_under_root_as_ml_100k_or_movielens_100k(tmp_path, no_network):
    write_u_data(tmp_path / "one" / "ml-100k", num_users=5, num_items=4)
    write_u_data(tmp_path / "two" / "movielens-100k", num_users=6, num_items=4)
    assert load_ratings("movielens-100k", tmp_path / "one")[0].num_users == 5
    assert load_ratings("movielens-100k", tmp_path / "two")[0].num_users == 6
    assert not no_network


def test_missing_data_names_the_files_the_folder_the_licence_and_how_to_download(tmp_path, capsys, no_network):
    code, out, err = run(capsys, "mf", "--root", str(tmp_path), "--out", str(tmp_path / "run"))
    assert code == 2 and "Traceback" not in err
    for text in ("u.data", str(tmp_path / "ml-100k"), "--download", "https://files.grouplens.org/datasets/movielens/"
                 "ml-100k.zip", "licence", "no redistribution", "Pista:"):
        assert text in err, text
    assert not no_network and not (tmp_path / "run").exists()
    code, _, err = run(capsys, "neumf", "--data", "movielens-1m", "--root", str(tmp_path))
    assert code == 2 and "ratings.dat" in err and str(tmp_path / "ml-1m") in err
    code, _, err = run(capsys, "mf", "--data", str(tmp_path))  # a folder without a ratings file
    assert code == 2 and "u.data" in err and "ratings.csv" in err
    code, _, err = run(capsys, "mf", "--data", str(tmp_path / "nowhere"))
    assert code == 2 and "neither a MovieLens variant" in err
    code, _, err = run(capsys, "mf", "--data", str(tmp_path), "--download")
    assert code == 2 and "--download goes with a named variant" in err
    # before: --root was silently ignored when --data names a folder
    code, _, err = run(capsys, "neumf", "--data", str(tmp_path), "--root", str(tmp_path / "elsewhere"))
    assert code == 2 and "--root" in err and "goes with a named variant" in err and "Pista:" in err
    assert not no_network


def test_download_goes_through_load_movielens_verified(tmp_path, monkeypatch, capsys):
    calls = []

    def fake_load(variant, root, download):
        calls.append((variant, root, download))
        write_u_data(root / "ml-100k", num_users=6, num_items=5)
        from profundo.datasets.movielens import MovieLens
        import pandas as pd
        frame = pd.read_csv(root / "ml-100k" / "u.data", sep="\t", names=["user", "item", "rating", "timestamp"])
        frame["user"] -= 1
        frame["item"] -= 1
        return MovieLens("100k", frame, None, None, 6, 5)
    monkeypatch.setattr("profundo.datasets.load_movielens", fake_load)
    data, _ = load_ratings("movielens-100k", tmp_path, download=True)
    assert calls == [("100k", tmp_path, True)] and data.num_users == 6


# ---------------------------------------------------------------- mf
def test_cli_mf_trains_beats_the_global_mean_and_writes_the_run(tmp_path, capsys, no_network):
    folder = write_u_data(tmp_path / "ml-100k")
    out = tmp_path / "run"
    code, printed, err = run(capsys, "mf", "--data", str(folder), "--out", str(out), "--epochs", "8",
                             "--factors", "4", "--batch-size", "64", "--lr", "0.02", "--l2", "0.01")
    assert code == 0, err
    assert "epoch 8/8" in printed and "train_rmse" in printed and "val_rmse" in printed
    assert {p.name for p in out.iterdir()} >= {"config.json", "model.safetensors", "checkpoint.safetensors"}
    config = json.loads((out / "config.json").read_text())
    assert config["factors"] == 4 and config["optimizer"] == "adam" and config["lr"] == 0.02
    assert config["num_train"] + config["num_test"] == sum(1 for _ in open(folder / "u.data"))
    # the saved model predicts the test split with the test RMSE that was printed
    data, _ = load_ratings(str(folder))
    train, test = mf_task.split(data, config)
    model = MatrixFactorization(config["num_users"], config["num_items"], 4)
    model.load_state_dict(profundo.load(out / "model.safetensors"))
    assert float(model.global_mean) == pytest.approx(train.rating.mean(), rel=1e-6)
    with profundo.no_grad():
        pred = model(profundo.tensor(test.user), profundo.tensor(test.item)).numpy()
    test_rmse = math.sqrt(np.mean((pred - test.rating) ** 2))
    baseline = math.sqrt(np.mean((train.rating.mean() - test.rating) ** 2))
    assert f"test RMSE {test_rmse:.4f}" in printed
    assert test_rmse < 0.9 * baseline  # the factors learned the low-rank structure


def test_mf_loss_decreases_and_beats_the_global_mean(tmp_path):
    folder = write_u_data(tmp_path / "ml", num_users=80, num_items=50, seed=1)
    args = mf_task.parser().parse_args(["--data", str(folder), "--epochs", "10", "--factors", "3", "--lr", "0.01",
                                        "--l2", "0.01", "--batch-size", "64", "--quiet"])
    result = mf_task.run(mf_task.plan(args), tmp_path / "run", quiet=True)
    h = result["history"]
    loss = h["train_loss"]
    assert all(b < a for a, b in zip(loss[:6], loss[1:6])) and loss[-1] < 0.3 * loss[0]
    assert h["val_rmse"][-1] < 0.6 * h["val_rmse"][0]
    assert result["rmse"]["test"] < 0.6 * result["baseline_rmse"]


def test_sparse_sgd_matches_dense_sgd(tmp_path):
    """The L2 penalty touches only the batch's rows, so row-sparse SGD makes the same steps as dense SGD."""
    folder = write_u_data(tmp_path / "ml", num_users=30, num_items=20)
    results = []
    for extra in ([], ["--sparse"]):
        args = mf_task.parser().parse_args(["--data", str(folder), "--epochs", "2", "--factors", "3", "--optimizer",
                                            "sgd", "--batch-size", "32", "--quiet", *extra])
        results.append(mf_task.run(mf_task.plan(args), tmp_path / f"run{len(extra)}", quiet=True))
    dense, sparse = (r["model"].state_dict() for r in results)
    assert results[1]["model"].P.sparse and not results[0]["model"].P.sparse
    for k in dense:
        np.testing.assert_allclose(sparse[k].numpy(), dense[k].numpy(), rtol=1e-5, atol=1e-6)


def test_sparse_adam_trains(tmp_path):
    folder = write_u_data(tmp_path / "ml", num_users=40, num_items=30)
    args = mf_task.parser().parse_args(["--data", str(folder), "--epochs", "6", "--factors", "3", "--optimizer",
                                        "sparseadam", "--sparse", "--lr", "0.03", "--l2", "0.01", "--batch-size",
                                        "32", "--quiet"])
    result = mf_task.run(mf_task.plan(args), tmp_path / "run", quiet=True)
    assert result["rmse"]["test"] < result["baseline_rmse"]


def test_rating_regression_predicts_as_matrix_factorization_and_penalizes_the_batch_rows():
    profundo.manual_seed(0)
    mf = MatrixFactorization(5, 4, 3, global_mean=3.0)
    model = mf_task.RatingRegression(mf, 0.5)
    user, item = profundo.tensor([0, 4, 4, 1]), profundo.tensor([3, 0, 0, 2])
    pred = model((user, item))
    np.testing.assert_allclose(pred.detach().numpy(), mf(user, item).detach().numpy(), rtol=1e-6)
    p, q = mf.P.weight.detach().numpy()[user.numpy()], mf.Q.weight.detach().numpy()[item.numpy()]
    bu = mf.user_bias.weight.detach().numpy()[user.numpy(), 0]
    bi = mf.item_bias.weight.detach().numpy()[item.numpy(), 0]
    expected = 0.5 * np.mean((p ** 2).sum(1) + (q ** 2).sum(1) + bu ** 2 + bi ** 2)
    assert float(model.penalty) == pytest.approx(expected, rel=1e-5)
    loss_fn = mf_task.RegularizedMSE(model)
    rating = profundo.tensor([4.0, 1.0, 2.0, 5.0])
    mse = float(((pred - rating) ** 2).mean())
    assert float(loss_fn(pred, rating)) == pytest.approx(mse + expected, rel=1e-5)
    model.eval()
    pred = model((user, item))
    assert model.penalty is None and float(loss_fn(pred, rating)) == pytest.approx(mse, rel=1e-5)


@pytest.mark.parametrize("argv, text", [
    (["--optimizer", "sparseadam"], "needs row-sparse gradients: add --sparse"),
    (["--sparse"], "--optimizer adam does not support sparse gradients"),
    (["--sparse", "--optimizer", "sgd", "--weight-decay", "0.1"], "--weight-decay is not supported with --sparse"),
])
def test_mf_refuses_impossible_option_combinations(tmp_path, capsys, argv, text):
    folder = write_u_data(tmp_path / "ml", num_users=5, num_items=4)
    code, _, err = run(capsys, "mf", "--data", str(folder), "--out", str(tmp_path / "run"), *argv)
    assert code == 2 and text in err and "Pista:" in err and "Traceback" not in err
    assert not (tmp_path / "run").exists()


@pytest.mark.parametrize("argv", [["--factors", "0"], ["--epochs", "-1"], ["--lr", "nan"], ["--l2", "-0.1"],
                                  ["--test-ratio", "1"], ["--optimizer", "rmsprop"], ["--batch-size", "x"]])
def test_mf_bad_option_values_are_argparse_errors(capsys, argv):
    with pytest.raises(SystemExit) as e:
        cli(["train", "mf", *argv])
    assert e.value.code == 2
    err = capsys.readouterr().err
    assert "error:" in err and "Traceback" not in err


def test_out_that_is_a_file_is_refused(tmp_path, capsys):
    folder = write_u_data(tmp_path / "ml", num_users=5, num_items=4)
    (tmp_path / "file").write_text("x")
    code, _, err = run(capsys, "mf", "--data", str(folder), "--out", str(tmp_path / "file"))
    assert code == 2 and "is a file, not a folder" in err


# ---------------------------------------------------------------- neumf
def write_clustered(folder, num_users=45, num_items=30, groups=3, seed=0):
    """Implicit data with structure: each user interacts with ~70 % of its group's items only, at random
    times, so its latest item (held out) is one of its group's, unlike most unseen items."""
    rng = np.random.default_rng(seed)
    group_of_user, group_of_item = np.arange(num_users) % groups, np.arange(num_items) % groups
    mask = (group_of_user[:, None] == group_of_item[None, :]) & (rng.random((num_users, num_items)) < 0.7)
    u, i = np.nonzero(mask)
    t = rng.permutation(len(u)) + 880000000
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "u.data").write_text("".join(f"{a + 1}\t{b + 1}\t{rng.integers(1, 6)}\t{c}\n"
                                           for a, b, c in zip(u, i, t)))
    return folder


def test_cli_neumf_trains_ranks_and_writes_the_run(tmp_path, capsys, no_network):
    folder = write_clustered(tmp_path / "ml")
    out = tmp_path / "run"
    code, printed, err = run(capsys, "neumf", "--data", str(folder), "--out", str(out), "--epochs", "6",
                             "--factors", "4", "--hidden", "8", "4", "--batch-size", "64", "--lr", "0.02",
                             "--candidates", "10", "--k", "3")
    assert code == 0, err
    assert "epoch 6/6" in printed and "test_hit_rate@3" in printed and "test_ndcg@3" in printed
    assert {p.name for p in out.iterdir()} >= {"config.json", "model.safetensors", "checkpoint.safetensors"}
    config = json.loads((out / "config.json").read_text())
    assert config["hidden"] == [8, 4] and config["loss"] == "bpr" and config["num_test"] == 45
    from profundo.models import NeuMF
    model = NeuMF(4, config["num_users"], config["num_items"], [8, 4])
    model.load_state_dict(profundo.load(out / "model.safetensors"))
    # the held-out items (all in the user's group) rank high: a random ranking's HitRate@3 is 3/11
    hr = float(printed.split("HitRate@3 ")[1].split(",")[0])
    assert hr > 0.6


def test_neumf_all_unseen_candidates_match_a_direct_ranking(tmp_path):
    from profundo.train import neumf as task
    folder = write_clustered(tmp_path / "ml", num_users=30, num_items=24, seed=2)
    args = task.parser().parse_args(["--data", str(folder), "--epochs", "2", "--factors", "4", "--hidden", "6",
                                     "--batch-size", "64", "--candidates", "all", "--k", "4", "--quiet"])
    result = task.run(task.plan(args), tmp_path / "run", quiet=True)
    model, cand = result["model"], result["candidates"]
    assert cand.indptr is not None
    data, _ = load_ratings(str(folder))
    from profundo.recsys import split_interactions
    train, test = split_interactions(data, "seq-aware")
    seen = train.implicit()
    with profundo.no_grad():
        model.eval()
        hits, ndcg = [], []
        for u, i in zip(test.user, test.item):
            items = np.setdiff1d(np.arange(data.num_items), seen.items_of(u))
            s = task.logits(model, profundo.tensor(np.full(len(items), u)), profundo.tensor(items)).numpy()
            rank = int((s >= s[items == i][0]).sum()) - 1  # ties ranked pessimistically, as the metrics
            hits.append(rank < 4)
            ndcg.append(1 / math.log2(rank + 2) if rank < 4 else 0.0)
    assert result["hit_rate"] == pytest.approx(np.mean(hits)) and result["ndcg"] == pytest.approx(np.mean(ndcg))


def test_neumf_logits_are_the_scores_before_the_sigmoid():
    from profundo.models import NeuMF
    from profundo.train import neumf as task
    profundo.manual_seed(0)
    model = NeuMF(4, 6, 5, [8, 3])
    with profundo.no_grad():
        for p in model.parameters():
            p.mul_(300.0)  # large weights: many probabilities round to exactly 1.0 or 0.0 in float32
        user, item = profundo.tensor([0, 1, 2, 5, 5, 3]), profundo.tensor([4, 0, 2, 1, 3, 3])
        z = task.logits(model, user, item)
        np.testing.assert_allclose(z.sigmoid().numpy(), model(user, item).numpy(), rtol=1e-6)
        assert len(set(z.numpy().tolist())) == 6 and len(set(model(user, item).numpy().tolist())) < 6


def test_neumf_bce_loss_decreases(tmp_path):
    from profundo.train import neumf as task
    folder = write_clustered(tmp_path / "ml", num_users=30, num_items=24, seed=3)
    args = task.parser().parse_args(["--data", str(folder), "--epochs", "4", "--factors", "4", "--hidden", "6",
                                     "--batch-size", "64", "--loss", "bce", "--negatives", "3", "--lr", "0.02",
                                     "--candidates", "8", "--k", "3", "--quiet"])
    result = task.run(task.plan(args), tmp_path / "run", quiet=True)
    loss = result["history"]["train_loss"]
    assert loss[-1] < loss[0] < math.log(2) + 0.01


def test_neumf_refuses_data_it_cannot_rank(tmp_path, capsys):
    folder = tmp_path / "ml"
    folder.mkdir()
    (folder / "u.data").write_text("".join(f"{u}\t{i}\t3\t{u * 10 + i}\n"
                                           for u in range(1, 5) for i in range(u, u + 3)))
    code, _, err = run(capsys, "neumf", "--data", str(folder), "--candidates", "100", "--out", str(tmp_path / "r"))
    assert code == 2 and "--candidates 100" in err and "Pista:" in err
    (tmp_path / "one").mkdir()
    (tmp_path / "one" / "u.data").write_text("1\t1\t5\t10\n1\t2\t4\t11\n2\t1\t3\t12\n")
    code, _, err = run(capsys, "neumf", "--data", str(tmp_path / "one"), "--out", str(tmp_path / "r"))
    assert code == 2 and "at least 2 interactions" in err
    # before: accepted, and HitRate@k was 1.0 for every model
    code, _, err = run(capsys, "neumf", "--data", str(folder), "--candidates", "5", "--k", "6",
                       "--out", str(tmp_path / "r"))
    assert code == 2 and "--k 6 ranks the held-out item among only 6 items" in err and "Pista:" in err


@pytest.mark.parametrize("argv", [["--candidates", "0"], ["--candidates", "some"], ["--loss", "mse"],
                                  ["--hidden"], ["--negatives", "0"], ["--optimizer", "sparseadam"]])
def test_neumf_bad_option_values_are_argparse_errors(capsys, argv):
    with pytest.raises(SystemExit) as e:
        cli(["train", "neumf", *argv])
    assert e.value.code == 2 and "error:" in capsys.readouterr().err
