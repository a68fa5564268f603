"""Flower's side of `fedmil bench peers`: its legacy server or one client, on the workload FedMIL runs.

Written for the benchmark (not Flower's): FedAvg over float32 tensors of the shapes given as JSON; a client
returns the parameters it got plus a fixed delta (the same overhead-only work as FedMIL's fixed-delta trainer),
or, given a site folder (bags.csv + bags/<id>.npy, FedMIL's site data format), trains FedMIL's attention-MIL
model in PyTorch on it for one epoch (Adam, one bag per step, as LocalTrainer and ../perf/mil_peer.py) and
returns the trained parameters; evaluation is off on both sides. The server prints its own timestamps:
  flower-round <r> start <unix seconds>   (configure_fit)
  flower-round <r> end <unix seconds>     (after aggregate_fit)
Usage:
  flower_peer.py server PORT ROUNDS CLIENTS SHAPES_JSON
  flower_peer.py client PORT SHAPES_JSON [SITE_DIR LEARNING_RATE EPOCHS]
"""
import json
import sys
import time

import numpy as np

try:
    import flwr_shims  # noqa: F401  (Debian's typer/SQLAlchemy; see ../shared/peers/flower/README.md)
except ImportError:
    pass  # Flower installed with pip needs no shims

DELTA = np.float32(1e-4)


def zeros(shapes):
    return [np.zeros(s, dtype=np.float32) for s in shapes]


def server(port, rounds, clients, shapes):
    from flwr.common import ndarrays_to_parameters
    from flwr.compat.server.app import start_server
    from flwr.server import ServerConfig
    from flwr.server.strategy import FedAvg

    class TimedFedAvg(FedAvg):
        def configure_fit(self, server_round, parameters, client_manager):
            print(f"flower-round {server_round} start {time.time():.6f}", flush=True)
            return super().configure_fit(server_round, parameters, client_manager)

        def aggregate_fit(self, server_round, results, failures):
            out = super().aggregate_fit(server_round, results, failures)
            print(f"flower-round {server_round} end {time.time():.6f} results {len(results)} "
                  f"failures {len(failures)}", flush=True)
            return out

    strategy = TimedFedAvg(fraction_fit=1.0, min_fit_clients=clients, min_available_clients=clients,
                           fraction_evaluate=0.0, min_evaluate_clients=0,
                           initial_parameters=ndarrays_to_parameters(zeros(shapes)))
    print("flower-server listening", flush=True)
    start_server(server_address=f"127.0.0.1:{port}", config=ServerConfig(num_rounds=rounds), strategy=strategy)
    print("flower-server finished", flush=True)


def client(port, shapes):
    from flwr.client import NumPyClient
    from flwr.compat.client.app import start_client

    class FixedDeltaClient(NumPyClient):
        def get_parameters(self, config):
            return zeros(shapes)

        def fit(self, parameters, config):
            return [p + DELTA for p in parameters], 2, {}

        def evaluate(self, parameters, config):
            return 0.0, 2, {}

    start_client(server_address=f"127.0.0.1:{port}", client=FixedDeltaClient().to_client(), insecure=True)


def training_client(port, shapes, site_dir, lr, epochs):
    """A Flower client that trains the same model as FedMIL's sites, in PyTorch, on the same bags."""
    import csv
    import os
    import random

    import torch
    from torch import nn
    from flwr.client import NumPyClient
    from flwr.compat.client.app import start_client

    torch.set_num_threads(1)  # as FedMIL's sites in the benchmark (ai.djl.pytorch.num_threads=1)
    torch.set_num_interop_threads(1)
    hidden, input_dim = shapes[0]
    attention = shapes[2][0]

    class AttentionMil(nn.Module):
        def __init__(self):
            super().__init__()
            self.encoder = nn.Sequential(nn.Linear(input_dim, hidden), nn.ReLU())
            self.V = nn.Linear(hidden, attention)
            self.w = nn.Linear(attention, 1, bias=False)
            self.classifier = nn.Linear(hidden, 1)

        def forward(self, x):
            h = self.encoder(x)
            a = torch.softmax(self.w(torch.tanh(self.V(h))), dim=0)
            return self.classifier(a.t().mm(h)).reshape(1)

    bags = []
    with open(os.path.join(site_dir, "bags.csv"), newline="") as f:
        for row in csv.DictReader(f):
            x = np.load(os.path.join(site_dir, "bags", row["bag_id"] + ".npy")).astype(np.float32)
            bags.append((torch.from_numpy(x), torch.tensor([float(row["label"])])))
    model = AttentionMil()
    params = list(model.parameters())  # the order of FedMIL's tensors: encoder, V, w, classifier
    loss_fn = nn.BCEWithLogitsLoss()
    rng = random.Random(7)

    class TrainingClient(NumPyClient):
        def get_parameters(self, config):
            return [p.detach().numpy().copy() for p in params]

        def fit(self, parameters, config):
            with torch.no_grad():
                for p, v in zip(params, parameters):
                    p.copy_(torch.from_numpy(v))
            opt = torch.optim.Adam(params, lr=lr)  # a fresh optimiser per round, as LocalTrainer
            order = list(range(len(bags)))
            for _ in range(epochs):
                rng.shuffle(order)
                for i in order:
                    x, y = bags[i]
                    opt.zero_grad(set_to_none=True)
                    loss = loss_fn(model(x), y)
                    loss.backward()
                    opt.step()
            return [p.detach().numpy().copy() for p in params], len(bags), {}

        def evaluate(self, parameters, config):
            return 0.0, len(bags), {}

    start_client(server_address=f"127.0.0.1:{port}", client=TrainingClient().to_client(), insecure=True)


if __name__ == "__main__":
    if sys.argv[1] == "server":
        server(int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), json.loads(sys.argv[5]))
    elif len(sys.argv) > 4:
        training_client(int(sys.argv[2]), json.loads(sys.argv[3]), sys.argv[4], float(sys.argv[5]),
                        int(sys.argv[6]))
    else:
        client(int(sys.argv[2]), json.loads(sys.argv[3]))
