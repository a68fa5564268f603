#!/usr/bin/python3
"""The PyTorch peer of FedMIL's training-throughput benchmark (fedmil bench perf --only training).

Trains the same attention-MIL model as LocalTrainer (Linear+ReLU encoder, attention V/tanh, score w without
bias, linear classifier; Adam, L2 weight decay added to the gradient; binary cross-entropy on the bag logit;
one bag per step, bags shuffled each epoch) on the same site folder (bags.csv + bags/<id>.npy), and prints one
line of JSON: bags per second (wall clock) and per CPU-second of the process, of each timed repetition. All bags are read into tensors before timing, as the
Java side holds them in memory too; the timed part is forward, backward, optimiser step, and reading the loss
value (which LocalTrainer also does every step, to stop on NaN).

Usage: mil_peer.py SITE_DIR --threads N --hidden 64 --attention 32 --epochs 1 --warmups 1 --reps 5 [--serve]

With --serve the peer does its warm-up runs, prints {"ready": true}, then times one run for every "run" line on its
stdin and answers each with a JSON line of one rate, so that the benchmark can alternate it with the Java side
repetition by repetition (--reps is then ignored).
"""
import argparse
import csv
import json
import os
import random
import sys
import time

import numpy as np
import torch
from torch import nn


class AttentionMil(nn.Module):
    def __init__(self, input_dim, hidden_dim, attention_dim):
        super().__init__()
        self.encoder = nn.Sequential(nn.Linear(input_dim, hidden_dim), nn.ReLU())
        self.V = nn.Linear(hidden_dim, attention_dim)
        self.w = nn.Linear(attention_dim, 1, bias=False)
        self.classifier = nn.Linear(hidden_dim, 1)
        nn.init.zeros_(self.w.weight)

    def forward(self, x):
        h = self.encoder(x)
        a = torch.softmax(self.w(torch.tanh(self.V(h))), dim=0)
        z = a.t().mm(h)
        return self.classifier(z).reshape(1)


def load(site_dir):
    bags = []
    with open(os.path.join(site_dir, "bags.csv"), newline="") as f:
        for row in csv.DictReader(f):
            x = np.load(os.path.join(site_dir, "bags", row["bag_id"] + ".npy")).astype(np.float32)
            bags.append((torch.from_numpy(x), torch.tensor([float(row["label"])])))
    return bags


def main():
    p = argparse.ArgumentParser()
    p.add_argument("site_dir")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--hidden", type=int, default=64)
    p.add_argument("--attention", type=int, default=32)
    p.add_argument("--epochs", type=int, default=1)
    p.add_argument("--warmups", type=int, default=1)
    p.add_argument("--reps", type=int, default=5)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--weight-decay", type=float, default=0.0)
    p.add_argument("--serve", action="store_true")
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.set_num_interop_threads(1)
    torch.manual_seed(7)
    bags = load(a.site_dir)
    model = AttentionMil(bags[0][0].shape[1], a.hidden, a.attention)
    loss_fn = nn.BCEWithLogitsLoss()
    rng = random.Random(7)

    def one_run():
        # a fresh optimiser per call, as LocalTrainer starts one per round
        opt = torch.optim.Adam(model.parameters(), lr=a.lr, weight_decay=a.weight_decay)
        order = list(range(len(bags)))
        start = time.perf_counter()
        cpu_start = time.process_time()
        for _ in range(a.epochs):
            rng.shuffle(order)
            for i in order:
                x, y = bags[i]
                opt.zero_grad(set_to_none=True)
                loss = loss_fn(model(x), y)
                loss.backward()
                value = loss.item()
                if not np.isfinite(value):
                    raise SystemExit("loss became %r" % value)
                opt.step()
        n = len(bags) * a.epochs
        return n / (time.perf_counter() - start), n / (time.process_time() - cpu_start)

    for _ in range(a.warmups):
        one_run()
    if a.serve:
        print(json.dumps({"ready": True}), flush=True)
        for line in sys.stdin:
            if line.strip() != "run":
                break
            wall, cpu = one_run()
            print(json.dumps({"bags_per_second": [wall], "bags_per_cpu_second": [cpu]}), flush=True)
        return 0
    runs = [one_run() for _ in range(a.reps)]
    print(json.dumps({"torch": torch.__version__, "threads": torch.get_num_threads(), "bags": len(bags),
                      "bags_per_second": [r[0] for r in runs], "bags_per_cpu_second": [r[1] for r in runs]}))


if __name__ == "__main__":
    sys.exit(main())
