"""One training loop for every atnat model (in the spirit of nanoGPT's single train.py with per-model configs).

A trainer supplies the model and four hooks; the loop owns everything else:

    next_batch(gen)      -> tuple of tensors       one training batch, drawn with the loop's seeded generator
    loss(model, batch)   -> scalar tensor          the training loss (batch already on the device)
    evaluate(model)      -> {"val": float, ...}    validation; "val" is the early-stopping criterion (lower is better)
    load_committed(model)                          copy the committed weights (model.safetensors) into the model

Optimiser: AdamW (weight decay on matrices only), linear warm-up then cosine decay to min_lr over `steps`,
gradient clipping. Every `eval_every` steps the loop evaluates; the best weights by "val" are kept in the
checkpoint; training stops when "val" has not improved for `patience` evaluations (early stopping) or at `steps`.
With --soup 1 every evaluation also tries the current weights in a greedy model soup (checkpoint averaging
decided by validation, class Soup), which is the best weights whenever it validates lower.

Checkpoint (atomic: written to NAME.tmp, then renamed): models/data/cache/NAME.pt =
    {"model", "best_model", "model_config", "optimizer", "step", "best", "history", "wall_seconds", "train_config", "gen",
     "soup" (with --soup 1: the model soup's weight sum, members and val; see Soup)}
and a small, committed summary models/NAME/train_state.json = {"step", "best", "history", "wall_seconds", ...}.
With --snapshot 1 every checkpoint also writes the committed snapshot models/NAME/resume.safetensors: the best
weights (f32) with the summary and the model config in its metadata, so that a run can go on over sessions (whose
machines keep no cache) while the exported model.safetensors stays what the site ships and the cards measure
(a teacher trains on while its student is distilled from the exported one). `python3 -m models.common.train_loop
--snapshot NAME` (from the repository root) writes it from this machine's checkpoint.

Resuming (`--resume`): from the cache checkpoint if this machine has it (model, optimiser moments, data RNG, step;
with another `--steps` than the checkpoint's the cosine is recomputed, so the learning rate ramps up to it again);
otherwise from the committed snapshot if there is one, else from the committed weights and train_state.json (step
and history), either with fresh optimiser moments and a `resume_warmup`-step linear ramp of the learning rate. So
a run continues across sessions from what was committed. export.py scripts (load_best) read the checkpoint's best
weights, or the snapshot's on a machine without the checkpoint.
When the validation itself changes at a restart (other targets, e.g. g2p's --nat-targets from a new teacher),
`--revalidate 1` evaluates the stored best weights (and the soup) again first, so that later evaluations compare
with the same measure.

Runs on CPU (Debian's torch 1.13, `threads` threads) and on CUDA with a recent torch (`--device cuda`).
Debian's torch does its matrix products in OpenBLAS, whose own thread pool ignores `threads` and takes every core:
when two runs share the 2-vCPU machine, start each with OPENBLAS_NUM_THREADS=1. Measured in session 11 (AMD EPYC,
2 vCPU): poet-at 0.5 s/step alone with OpenBLAS's default pool, 0.74 s/step alone with one thread, 0.85 s/step
beside pixnat (1.14 s/step) when both ran with one thread, against about 1.4-1.75 s/step each with both pools.
"""
import copy
import dataclasses
import json
import math
import os
import time
from dataclasses import dataclass

import numpy as np
import torch

from . import safetensors_io

MODELS_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CACHE_DIR = os.path.join(MODELS_DIR, "data", "cache")


@dataclass
class TrainConfig:
    steps: int = 10000  # total optimiser steps of the schedule (cosine ends here)
    batch_size: int = 32
    lr: float = 1.5e-3
    min_lr: float = 1e-4
    warmup: int = 200
    weight_decay: float = 0.1
    grad_clip: float = 1.0
    seed: int = 1337
    eval_every: int = 500
    ckpt_every: int = 250
    log_every: int = 50
    patience: int = 4  # evaluations without a new best "val" before stopping
    resume_warmup: int = 100  # LR ramp after resuming without optimiser moments
    soup: int = 0  # 1: greedy model soup over the evaluated weights (Soup below)
    revalidate: int = 0  # 1: on resuming, evaluate the best weights (and the soup) again: the validation changed
    snapshot: int = 0  # 1: every checkpoint also writes the committed snapshot models/NAME/resume.safetensors
    threads: int = 1
    device: str = "cpu"


def add_arguments(ap, defaults):
    """One flag per TrainConfig field (--steps, --lr, ...), defaulting to the model's own `defaults`."""
    for f in dataclasses.fields(TrainConfig):
        ap.add_argument("--" + f.name.replace("_", "-"), type=f.type, default=getattr(defaults, f.name))
    ap.add_argument("--resume", action="store_true", help="continue from the checkpoint or the committed weights")
    ap.add_argument("--time-steps", type=int, default=0, help="time this many steps, then exit (no checkpoint)")


def config_from_args(args):
    return TrainConfig(**{f.name: getattr(args, f.name) for f in dataclasses.fields(TrainConfig)})


def shuffled_batches(n, batch_size):
    """-> next_indices(gen): the next batch_size indices of a random permutation of range(n), drawn with `gen`;
    a new permutation each epoch (an epoch's last, incomplete batch is dropped)."""
    state = {"perm": None, "pos": 0}

    def next_indices(gen):
        if state["perm"] is None or state["pos"] + batch_size > n:
            state["perm"], state["pos"] = torch.randperm(n, generator=gen), 0
        state["pos"] += batch_size
        return state["perm"][state["pos"] - batch_size : state["pos"]]

    return next_indices


def lr_at(step, tc):
    """Linear warm-up over `warmup` steps, then cosine from lr to min_lr at `steps`."""
    if step < tc.warmup:
        return tc.lr * (step + 1) / tc.warmup
    t = min(1.0, (step - tc.warmup) / max(1, tc.steps - tc.warmup))
    return tc.min_lr + 0.5 * (tc.lr - tc.min_lr) * (1 + math.cos(math.pi * t))


def make_optimizer(model, tc):
    """AdamW; weight decay on matrices and embeddings (dim >= 2), not on norms, biases or 1-d vectors."""
    decay = [p for p in model.parameters() if p.dim() >= 2]
    no_decay = [p for p in model.parameters() if p.dim() < 2]
    return torch.optim.AdamW(
        [{"params": decay, "weight_decay": tc.weight_decay}, {"params": no_decay, "weight_decay": 0.0}],
        lr=tc.lr,
        betas=(0.9, 0.95),
    )


def save_atomic(obj, path):
    tmp = path + ".tmp"
    torch.save(obj, tmp)
    os.replace(tmp, path)


def write_json_atomic(obj, path):
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(obj, f, ensure_ascii=False, indent=1)
        f.write("\n")
    os.replace(tmp, path)


def cpu_state(model):
    return {k: v.detach().cpu().clone() for k, v in model.state_dict().items()}


class Soup:
    """A greedy model soup (Wortsman et al. 2022) over one run's evaluated weights, i.e. checkpoint averaging
    decided by validation: the soup is the uniform mean of its members' weights; at every evaluation the
    current weights join it if the mean with them validates lower than the soup without them. With --soup 1 the
    soup starts as the best weights the run starts or resumes with, and it becomes the best (exported) weights
    whenever it validates lower than every single evaluation. Kept in the checkpoint as a sum and a count."""

    def __init__(self, state=None):
        self.sum, self.n, self.val = (state["sum"], state["n"], state["val"]) if state else (None, 0, math.inf)

    def mean_with(self, extra=None):
        """The weights of a non-empty soup, with `extra` (a state dict) as one more member if given."""
        n = self.n + (extra is not None)
        out = {}
        for k, total in self.sum.items():
            if extra is not None:
                total = total + extra[k] if total.is_floating_point() else extra[k]
            out[k] = total / n if total.is_floating_point() else total.clone()
        return out

    def add(self, weights, val):
        """weights joins the soup, whose val (validation of the mean) becomes `val`."""
        if self.sum is None:
            self.sum = {k: v.clone() for k, v in weights.items()}
        else:
            for k, v in weights.items():
                if v.is_floating_point():
                    self.sum[k] += v
        self.n, self.val = self.n + 1, val

    def state(self):
        return {"sum": self.sum, "n": self.n, "val": self.val}


def effective_val(row):
    """A history row's validation: its weights', or the soup's where the weights joined it and lowered it."""
    soup = row.get("soup", {})
    return min(row["val"], soup["val"]) if soup.get("joined") else row["val"]


SUMMARY_KEYS = ("step", "best", "history", "wall_seconds", "train_config")


def snapshot_path(name):
    return os.path.join(MODELS_DIR, name, "resume.safetensors")


def write_snapshot(name, best_state, model_config, summary):
    """The committed snapshot models/NAME/resume.safetensors (atomic): best_state's tensors in f32, and
    {"model_config", "summary"} as the file's config."""
    tensors = {k: v.detach().cpu().float().contiguous().numpy() for k, v in best_state.items()}
    path = snapshot_path(name)
    config = {"model_config": model_config, "summary": {k: summary[k] for k in SUMMARY_KEYS}}
    safetensors_io.write(path + ".tmp", tensors, "snapshot", config)
    os.replace(path + ".tmp", path)


def read_snapshot(name):
    """-> (best weights as a state dict, model_config, summary) of models/NAME/resume.safetensors."""
    tensors, meta = safetensors_io.read(snapshot_path(name))
    if meta.get("arch") != "snapshot":
        raise ValueError(f"{snapshot_path(name)}: not a training snapshot (arch {meta.get('arch')!r})")
    state = {k: torch.from_numpy(np.array(v)) for k, v in tensors.items()}
    return state, meta["config"]["model_config"], meta["config"]["summary"]


def load_best(name, make_model):
    """The best weights (by validation) of this machine's checkpoint, or else of the committed snapshot, in the
    model make_model(model_config) builds, where model_config is the dict the checkpoint recorded (None in
    checkpoints that predate it). -> (model in eval mode, the checkpoint's summary)."""
    ckpt = os.path.join(CACHE_DIR, name + ".pt")
    if os.path.exists(ckpt) or not os.path.exists(snapshot_path(name)):
        ck = torch.load(ckpt, map_location="cpu")
        best_state, model_config, summary = ck["best_model"], ck.get("model_config"), ck
    else:
        best_state, model_config, summary = read_snapshot(name)
    model = make_model(model_config)
    model.load_state_dict(best_state)
    return model.eval(), {k: summary[k] for k in SUMMARY_KEYS}


def train(name, model, tc, next_batch, loss, evaluate, load_committed, resume=False, time_steps=0, log=print):
    """Trains `model` in place; returns the summary written to models/NAME/train_state.json."""
    torch.manual_seed(tc.seed)
    if tc.device == "cpu":
        torch.set_num_threads(tc.threads)
        torch.set_flush_denormal(True)  # tiny gradients can hit float32 denormals, which are very slow on x86
    device = torch.device(tc.device)
    model.to(device)
    opt = make_optimizer(model, tc)
    gen = torch.Generator().manual_seed(tc.seed)
    ckpt_path = os.path.join(CACHE_DIR, name + ".pt")
    state_path = os.path.join(MODELS_DIR, name, "train_state.json")
    os.makedirs(CACHE_DIR, exist_ok=True)

    step, best, history, wall, best_state, ramp_from = 0, math.inf, [], 0.0, None, None
    soup = None
    if resume and os.path.exists(ckpt_path):
        ck = torch.load(ckpt_path, map_location="cpu")
        if tc.soup and ck.get("soup"):
            soup = Soup(ck["soup"])
        model.load_state_dict(ck["model"])
        opt.load_state_dict(ck["optimizer"])
        gen.set_state(ck["gen"])
        step, best, history, wall, best_state = (
            ck["step"],
            ck["best"],
            ck["history"],
            ck["wall_seconds"],
            ck["best_model"],
        )
        log(f"resumed from {ckpt_path} at step {step} (best val {best:.4f})")
        if ck["train_config"]["steps"] != tc.steps:  # another schedule: its learning rate here differs
            ramp_from = step
            log(
                f"warm restart: schedule {ck['train_config']['steps']} -> {tc.steps} steps; "
                f"learning rate ramps up over {tc.resume_warmup} steps"
            )
    elif resume:  # a new machine: the committed snapshot, else the committed weights and train_state.json
        if os.path.exists(snapshot_path(name)):
            best_state, _, st = read_snapshot(name)
            model.load_state_dict(best_state)
            source = "the committed snapshot"
        else:
            with open(state_path, encoding="utf-8") as f:
                st = json.load(f)
            load_committed(model)
            best_state, source = cpu_state(model), "the committed weights"
        step, best, history, wall = st["step"], st["best"], st["history"], st["wall_seconds"]
        ramp_from = step
        gen.manual_seed(tc.seed + step)
        log(f"resumed from {source} at step {step} (best val {best:.4f}); fresh optimiser moments")
    log(f"train {dataclasses.asdict(tc)}\nparams {sum(p.numel() for p in model.parameters())}")
    probe = copy.deepcopy(model).eval() if tc.soup or tc.revalidate else None  # evaluates other weights
    if tc.revalidate and best_state is not None:  # e.g. other targets in the val: the stored figures mislead
        with torch.no_grad():
            probe.load_state_dict(best_state)
            best = evaluate(probe)["val"]
            if soup is not None and soup.n:
                probe.load_state_dict(soup.mean_with())
                soup.val = evaluate(probe)["val"]
        log(f"revalidated: best val {best:.4f}" + (f", soup of {soup.n} {soup.val:.4f}" if soup is not None else ""))
    if tc.soup and soup is None:
        soup = Soup()
        if best_state is not None:  # the soup starts from the best weights so far
            soup.add(best_state, best)

    t0, wall0 = time.time(), wall

    def summary():
        return {
            "step": step,
            "best": best,
            "wall_seconds": round(wall0 + time.time() - t0, 1),
            "train_config": dataclasses.asdict(tc),
            "device": tc.device,
            "history": history,
        }

    def checkpoint():
        model_config = dataclasses.asdict(model.cfg) if dataclasses.is_dataclass(getattr(model, "cfg", None)) else None
        if tc.snapshot and best_state is not None:
            write_snapshot(name, best_state, model_config, summary())
        save_atomic(
            {
                "model": cpu_state(model),
                "best_model": best_state,
                "model_config": model_config,
                "optimizer": opt.state_dict(),
                "gen": gen.get_state(),
                "soup": soup.state() if soup is not None else None,
                **summary(),
            },
            ckpt_path,
        )
        write_json_atomic(summary(), state_path)

    model.train()
    run_loss, run_n, first = 0.0, 0, step
    end = step + time_steps if time_steps else tc.steps
    while step < end:
        lr = lr_at(step, tc)
        if ramp_from is not None and step < ramp_from + tc.resume_warmup:
            lr *= (step - ramp_from + 1) / tc.resume_warmup
        for g in opt.param_groups:
            g["lr"] = lr
        batch = tuple(t.to(device) for t in next_batch(gen))
        value = loss(model, batch)
        opt.zero_grad(set_to_none=True)
        value.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), tc.grad_clip)
        opt.step()
        step += 1
        run_loss, run_n = run_loss + value.item(), run_n + 1
        if step % tc.log_every == 0 or time_steps:
            el = time.time() - t0
            log(
                f"step {step} loss {run_loss / run_n:.4f} lr {lr:.2e} {el / (step - first):.3f}s/step "
                f"elapsed {el / 60:.1f}min"
            )
            run_loss, run_n = 0.0, 0
        if time_steps:
            continue
        stop = False
        if step % tc.eval_every == 0 or step == tc.steps:
            model.eval()
            with torch.no_grad():
                ev = evaluate(model)
                row = {"step": step, "lr": lr, **ev}
                if soup is not None:
                    current = cpu_state(model)
                    if soup.n == 0:
                        soup.add(current, ev["val"])
                    else:
                        probe.load_state_dict(soup.mean_with(current))
                        tried = evaluate(probe)
                        joined = tried["val"] < soup.val
                        row["soup"] = {"members": soup.n + 1, "joined": joined, **tried}
                        if joined:
                            soup.add(current, tried["val"])
            model.train()
            improved = ""
            if ev["val"] < best:
                best, best_state, improved = ev["val"], cpu_state(model), " (best)"
            if soup is not None and soup.val < best:
                best, best_state, improved = soup.val, soup.mean_with(), f" (best: the soup of {soup.n})"
            history.append({**row, "wall_seconds": round(wall0 + time.time() - t0, 1)})
            log("EVAL " + json.dumps(history[-1]) + improved)
            since_best = 0  # evaluations after the one that reached `best`
            for h in reversed(history):
                if effective_val(h) <= best:
                    break
                since_best += 1
            stop = since_best >= tc.patience
            if stop:
                log(f"early stop: no better val in {tc.patience} evaluations")
        if step % tc.ckpt_every == 0 or step == tc.steps or stop:
            checkpoint()
        if stop:
            break
    if not time_steps:
        checkpoint()
    if best_state is not None:
        model.load_state_dict(best_state)
    log(f"done at step {step}; best val {best:.4f}")
    return summary()


if __name__ == "__main__":
    import argparse

    ap = argparse.ArgumentParser(description="write models/NAME/resume.safetensors from this machine's checkpoint")
    ap.add_argument("--snapshot", metavar="NAME", required=True, help="e.g. poet-at")
    name = ap.parse_args().snapshot
    ck = torch.load(os.path.join(CACHE_DIR, name + ".pt"), map_location="cpu")
    write_snapshot(name, ck["best_model"], ck.get("model_config"), ck)
    print(f"{snapshot_path(name)}: step {ck['step']}, best val {ck['best']:.4f}")
