"""The shared training loop (models/common/train_loop.py) on a tiny MLP regression: resuming from the cache
checkpoint is bit-exact (and with another --steps ramps the learning rate up again), resuming without it starts from
the committed snapshot (--snapshot 1) or else the committed weights and state, early stopping keeps the
best weights, a greedy model soup (--soup 1) keeps the mean of the weights that lower validation and exports it
when it beats every single evaluation, and the learning rate follows warm-up then cosine.

    /usr/bin/python3 -m unittest discover -s tests/python -p 'test_train_loop.py'
"""
import json
import math
import os
import sys
import tempfile
import unittest
from dataclasses import dataclass

import torch
import torch.nn as nn

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, ROOT)
from models.common import exporting, train_loop  # noqa: E402

NAME = "tiny"
D_IN, D_OUT = 4, 2


@dataclass
class MLPConfig:
    d_in: int = D_IN
    d_hidden: int = 8
    d_out: int = D_OUT


class MLP(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.cfg = cfg
        self.fc1, self.fc2 = nn.Linear(cfg.d_in, cfg.d_hidden), nn.Linear(cfg.d_hidden, cfg.d_out)

    def forward(self, x):
        return self.fc2(torch.tanh(self.fc1(x)))


def make_model(seed):
    torch.manual_seed(seed)
    return MLP(MLPConfig())


W_TRUE = torch.linspace(-1, 1, D_IN * D_OUT).view(D_IN, D_OUT)
X_VAL = torch.linspace(-2, 2, 16 * D_IN).view(16, D_IN)


def next_batch(gen):
    x = torch.randn(8, D_IN, generator=gen)
    return x, x @ W_TRUE


def mse(model, batch):
    x, y = batch
    return ((model(x) - y) ** 2).mean()


def validate(model):
    return {"val": mse(model, (X_VAL, X_VAL @ W_TRUE)).item()}


def config(**kw):
    base = dict(
        steps=20,
        batch_size=8,
        lr=1e-2,
        min_lr=1e-3,
        warmup=5,
        weight_decay=0.1,
        seed=3,
        eval_every=5,
        ckpt_every=5,
        log_every=1000,
        patience=100,
        resume_warmup=4,
        threads=1,
    )
    return train_loop.TrainConfig(**{**base, **kw})


def cpu(model):
    return {k: v.detach().clone() for k, v in model.state_dict().items()}


def no_committed(model):
    raise AssertionError("load_committed must not be called")


def quiet(msg):
    pass


class Interrupted(Exception):
    pass


class TrainLoopTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.saved = train_loop.CACHE_DIR, train_loop.MODELS_DIR
        train_loop.MODELS_DIR = self.tmp.name
        train_loop.CACHE_DIR = os.path.join(self.tmp.name, "cache")
        os.makedirs(os.path.join(self.tmp.name, NAME))
        self.ckpt = os.path.join(train_loop.CACHE_DIR, NAME + ".pt")
        self.state = os.path.join(self.tmp.name, NAME, "train_state.json")

    def tearDown(self):
        train_loop.CACHE_DIR, train_loop.MODELS_DIR = self.saved
        self.tmp.cleanup()

    def run_loop(self, model, tc, batches=next_batch, evaluate=validate, load_committed=no_committed, resume=False):
        return train_loop.train(NAME, model, tc, batches, mse, evaluate, load_committed, resume=resume, log=quiet)

    def assert_same_weights(self, a, b):
        self.assertEqual(set(a), set(b))
        for k in a:
            self.assertTrue(torch.equal(a[k], b[k]), k)

    def test_resume_from_cache_checkpoint_is_bit_exact(self):
        tc = config()
        self.run_loop(make_model(0), tc)
        straight = torch.load(self.ckpt)
        os.remove(self.ckpt)

        calls = [0]

        def killed_after_10(gen):  # the run dies while drawing step 11's batch; its last checkpoint is step 10
            calls[0] += 1
            if calls[0] == 11:
                raise Interrupted
            return next_batch(gen)

        with self.assertRaises(Interrupted):
            self.run_loop(make_model(0), tc, batches=killed_after_10)
        self.assertEqual(torch.load(self.ckpt)["step"], 10)
        self.run_loop(make_model(1), tc, resume=True)  # another init: the weights must come from the checkpoint
        resumed = torch.load(self.ckpt)

        self.assertEqual(resumed["step"], 20)
        self.assert_same_weights(straight["model"], resumed["model"])
        self.assert_same_weights(straight["best_model"], resumed["best_model"])
        self.assertEqual([h["val"] for h in straight["history"]], [h["val"] for h in resumed["history"]])
        self.assertEqual([h["step"] for h in resumed["history"]], [5, 10, 15, 20])

    def test_resume_without_checkpoint_starts_from_committed_weights_and_state(self):
        committed = make_model(7).state_dict()
        history = [{"step": 10, "val": 0.5}, {"step": 15, "val": 1e-9}]
        with open(self.state, "w") as f:
            json.dump({"step": 15, "best": 1e-9, "history": history, "wall_seconds": 12.0}, f)
        seen, batches = [], [0]

        def load_committed(model):
            model.load_state_dict(committed)

        def counting_batches(gen):
            batches[0] += 1
            return next_batch(gen)

        def evaluate(model):
            seen.append({k: v.clone() for k, v in model.state_dict().items()})
            return validate(model)

        model = make_model(0)
        first = {}

        def first_loss(model, batch):
            if not first:
                first.update({k: v.detach().clone() for k, v in model.state_dict().items()})
            return mse(model, batch)

        summary = train_loop.train(
            NAME, model, config(), counting_batches, first_loss, evaluate, load_committed, resume=True, log=quiet
        )
        self.assert_same_weights(first, committed)  # step 16 started from the committed weights
        self.assertEqual(batches[0], 5)  # steps 16 .. 20 only
        self.assertEqual(summary["step"], 20)
        with open(self.state) as f:
            state = json.load(f)
        self.assertEqual(state["step"], 20)
        self.assertEqual(state["history"][:2], history)  # the committed history continues
        self.assertEqual([h["step"] for h in state["history"]], [10, 15, 20])
        self.assertGreaterEqual(state["wall_seconds"], 12.0)
        self.assertEqual(state["best"], 1e-9)  # nothing beat the committed best ...
        self.assert_same_weights(model.state_dict(), committed)  # ... so the best weights are the committed ones
        self.assertFalse(torch.equal(seen[-1]["fc1.weight"], committed["fc1.weight"]))  # though training moved them

    def test_snapshot_lets_a_run_go_on_without_the_cache_and_is_what_load_best_reads(self):
        self.run_loop(make_model(0), config(steps=10, snapshot=1))
        ck = torch.load(self.ckpt)
        os.remove(self.ckpt)  # a new machine: only committed files
        state, model_config, summary = train_loop.read_snapshot(NAME)
        self.assert_same_weights(state, ck["best_model"])
        self.assertEqual(model_config, {"d_in": D_IN, "d_hidden": 8, "d_out": D_OUT})
        self.assertEqual((summary["step"], summary["best"]), (10, ck["best"]))
        self.assertEqual(summary["history"], ck["history"])
        # export.py's load_best reads the snapshot where the checkpoint is missing
        model, best = train_loop.load_best(NAME, lambda mc: MLP(MLPConfig(**mc)))
        self.assert_same_weights(model.state_dict(), ck["best_model"])
        self.assertEqual(best["step"], 10)
        # --resume starts from the snapshot, not from the committed export (no_committed would raise)
        seen = []

        def evaluate(model):
            seen.append(1)
            return validate(model)

        first = {}

        def first_loss(model, batch):
            if not first:
                first.update(cpu(model))
            return mse(model, batch)

        summary = train_loop.train(
            NAME,
            make_model(5),
            config(steps=20),
            next_batch,
            first_loss,
            evaluate,
            no_committed,
            resume=True,
            log=quiet,
        )
        self.assert_same_weights(first, ck["best_model"])
        self.assertEqual(summary["step"], 20)
        self.assertEqual([h["step"] for h in summary["history"]], [5, 10, 15, 20])
        self.assertEqual(len(seen), 2)  # steps 15 and 20 only
        # a weight file that is not a snapshot is refused
        from models.common import safetensors_io

        safetensors_io.write(train_loop.snapshot_path(NAME), {"w": torch.zeros(2).numpy()}, "gpt", {})
        with self.assertRaisesRegex(ValueError, "not a training snapshot"):
            train_loop.read_snapshot(NAME)

    def test_resume_with_another_schedule_ramps_the_learning_rate(self):
        self.run_loop(make_model(0), config(steps=10))
        lines = []
        tc = config(steps=20, log_every=1)
        train_loop.train(
            NAME, make_model(0), tc, next_batch, mse, validate, no_committed, resume=True, log=lines.append
        )
        self.assertTrue(any(line.startswith("warm restart: schedule 10 -> 20 steps") for line in lines))
        lrs = {int(line.split()[1]): float(line.split()[5]) for line in lines if line.startswith("step ")}
        self.assertEqual(sorted(lrs), list(range(11, 21)))
        for step in range(11, 21):  # the step that ends at `step` ran with lr_at(step - 1), ramped over 4 steps
            ramp = min(1.0, (step - 10) / tc.resume_warmup)
            self.assertAlmostEqual(lrs[step], float(f"{train_loop.lr_at(step - 1, tc) * ramp:.2e}"), places=12)

    def test_early_stopping_keeps_the_best_weights(self):
        vals = iter([3.0, 2.0, 2.5, 2.4, 2.6, 1.0, 1.0])
        seen = []

        def scripted(model):
            seen.append({k: v.clone() for k, v in model.state_dict().items()})
            return {"val": next(vals)}

        model = make_model(0)
        summary = self.run_loop(model, config(steps=100, eval_every=2, ckpt_every=1000, patience=3), evaluate=scripted)
        # evaluations at steps 2 4 6 8 10; best 2.0 at step 4, then 3 without a better val: stop at step 10
        self.assertEqual(len(seen), 5)
        self.assertEqual(summary["step"], 10)
        self.assertEqual(summary["best"], 2.0)
        self.assertEqual([h["step"] for h in summary["history"]], [2, 4, 6, 8, 10])
        self.assert_same_weights(model.state_dict(), seen[1])
        ck = torch.load(self.ckpt)
        self.assertEqual(ck["step"], 10)
        self.assert_same_weights(ck["best_model"], seen[1])
        self.assert_same_weights(ck["model"], seen[4])
        self.assertFalse(torch.equal(seen[1]["fc1.weight"], seen[4]["fc1.weight"]))
        fresh, summary = train_loop.load_best(NAME, lambda mc: make_model(1))
        self.assert_same_weights(fresh.state_dict(), seen[1])
        self.assertEqual(summary["step"], 10)
        self.assertEqual(ck["model_config"], {"d_in": D_IN, "d_hidden": 8, "d_out": D_OUT})

    def test_soup_averages_the_weights_that_lower_validation_and_can_become_the_best(self):
        tc = config(steps=30, eval_every=5, soup=1)
        weights = []  # a plain run first: the weights at each evaluation (the run is deterministic)
        self.run_loop(
            make_model(0), config(steps=30, eval_every=5), evaluate=lambda m: weights.append(cpu(m)) or {"val": 1.0}
        )
        # validation = distance of fc2.bias from the midpoint of its values at the first two evaluations, so
        # the mean of those two weights (a soup of 2) is better than any single evaluation
        target = (weights[0]["fc2.bias"] + weights[1]["fc2.bias"]) / 2
        calls = []  # every evaluation's weights: the run's, then (from the second on) the soup candidate's

        def scripted(model):
            calls.append(cpu(model))
            return {"val": float((model.state_dict()["fc2.bias"] - target).norm())}

        model = make_model(0)
        summary = self.run_loop(model, tc, evaluate=scripted)
        seen = [calls[0]] + calls[1::2]  # the run's weights at each evaluation
        for a, b in zip(seen, weights):
            self.assert_same_weights(a, b)
        rows = summary["history"]
        self.assertEqual(len(rows), 6)
        self.assertNotIn("soup", rows[0])  # the first evaluation starts the soup with its own weights
        members = [seen[0]]
        for i, h in enumerate(rows[1:], 1):
            mean = {k: sum(m[k] for m in members + [seen[i]]) / (len(members) + 1) for k in seen[i]}
            self.assertEqual(h["soup"]["members"], len(members) + 1)
            self.assertAlmostEqual(h["soup"]["val"], float((mean["fc2.bias"] - target).norm()), places=5)
            soup_val = float((sum(m["fc2.bias"] for m in members) / len(members) - target).norm())
            self.assertEqual(h["soup"]["joined"], h["soup"]["val"] < soup_val)
            if h["soup"]["joined"]:
                members.append(seen[i])
        self.assertTrue(rows[1]["soup"]["joined"])
        self.assertLess(rows[1]["soup"]["val"], 1e-6)
        self.assertLess(summary["best"], 1e-6)  # the soup beat every single evaluation: it is the exported weights
        ck = torch.load(self.ckpt)
        soup = {k: sum(m[k] for m in members) / len(members) for k in seen[0]}
        for k in soup:
            self.assertTrue(torch.allclose(ck["best_model"][k], soup[k], atol=1e-6), k)
        self.assertEqual(ck["soup"]["n"], len(members))
        self.assertEqual(exporting.best_step(summary), 10)

    def test_revalidate_measures_the_best_weights_and_the_soup_again_on_resume(self):
        model = make_model(0)
        self.run_loop(model, config(steps=10, eval_every=5, soup=1))
        ck = torch.load(self.ckpt)
        seen = []

        def other(model):  # another validation: the stored best and soup figures no longer apply
            seen.append(cpu(model))
            return {"val": 100.0 + float(model.state_dict()["fc2.bias"].sum())}

        lines = []
        train_loop.train(
            NAME,
            make_model(1),
            config(steps=10, soup=1, revalidate=1),
            next_batch,
            mse,
            other,
            no_committed,
            resume=True,
            log=lines.append,
        )
        self.assert_same_weights(seen[0], ck["best_model"])
        soup = {k: v / ck["soup"]["n"] if v.is_floating_point() else v for k, v in ck["soup"]["sum"].items()}
        for k in soup:
            self.assertTrue(torch.allclose(seen[1][k], soup[k], atol=1e-6), k)
        expected = 100.0 + float(ck["best_model"]["fc2.bias"].sum())
        self.assertTrue(any(f"revalidated: best val {expected:.4f}" in line for line in lines), lines)
        self.assertEqual(torch.load(self.ckpt)["best"], expected)

    def test_lr_warmup_then_cosine_to_min_lr(self):
        tc = config(steps=30, warmup=6, lr=1e-2, min_lr=1e-3, eval_every=1000, ckpt_every=1000)
        optimizers, applied = [], []
        make = train_loop.make_optimizer

        def recording(model, tc):
            optimizers.append(make(model, tc))
            return optimizers[-1]

        def loss(model, batch):
            applied.append([g["lr"] for g in optimizers[0].param_groups])
            return mse(model, batch)

        train_loop.make_optimizer = recording
        try:
            train_loop.train(NAME, make_model(0), tc, next_batch, loss, validate, no_committed, log=quiet)
        finally:
            train_loop.make_optimizer = make
        self.assertEqual(len(applied), 30)
        for s, lrs in enumerate(applied):
            if s < 6:  # linear warm-up reaching the peak on its last step
                want = 1e-2 * (s + 1) / 6
            else:
                want = 1e-3 + 0.5 * (1e-2 - 1e-3) * (1 + math.cos(math.pi * (s - 6) / 24))
            for lr in lrs:  # both parameter groups (with and without weight decay)
                self.assertAlmostEqual(lr, want, places=12, msg=f"step {s}")
        self.assertAlmostEqual(applied[5][0], 1e-2, places=12)
        self.assertTrue(all(a[0] >= b[0] for a, b in zip(applied[6:], applied[7:])))
        self.assertGreater(applied[-1][0], 1e-3)
        self.assertAlmostEqual(train_loop.lr_at(30, tc), 1e-3, places=12)  # min_lr exactly at `steps`
        self.assertAlmostEqual(train_loop.lr_at(18, tc), 5.5e-3, places=12)  # half-way through the cosine


if __name__ == "__main__":
    unittest.main()
