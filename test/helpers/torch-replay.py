# Replays fusetune training steps in PyTorch: the same initial weights, batches in row order of the
# training rows (x, y), torch.optim with the same settings and torch.nn's loss (CrossEntropyLoss,
# MSELoss or HuberLoss, reduction 'mean'). Reads a JSON spec (argv[1]) and prints
# {"losses": [...], "params": [...]}: the batch loss of every step and the final parameters in the
# kernels' layout (every layer's W [in][out] row-major at wBase, every bias at bBase).
import json
import sys

import torch

spec = json.load(open(sys.argv[1]))
widths = spec["widths"]
L = len(widths) - 1
dtype = torch.float32
layers = [torch.nn.Linear(widths[l], widths[l + 1]) for l in range(L)]
init = spec["init"]
with torch.no_grad():
    for l, layer in enumerate(layers):
        n_in, n_out = widths[l], widths[l + 1]
        w = torch.tensor(init[spec["wBase"][l] : spec["wBase"][l] + n_in * n_out], dtype=dtype)
        layer.weight.copy_(w.reshape(n_in, n_out).T)
        layer.bias.copy_(torch.tensor(init[spec["bBase"][l] : spec["bBase"][l] + n_out], dtype=dtype))

activation = {"relu": torch.relu, "tanh": torch.tanh, "sigmoid": torch.sigmoid, "linear": lambda z: z}[spec["activation"]]


def forward(x):
    for l, layer in enumerate(layers):
        x = layer(x)
        if l < L - 1:
            x = activation(x)
    return x


loss_spec = spec["loss"]
if loss_spec["kind"] == "xent":
    loss_fn = torch.nn.CrossEntropyLoss()
elif loss_spec["kind"] == "mse":
    loss_fn = torch.nn.MSELoss()
else:
    loss_fn = torch.nn.HuberLoss(delta=loss_spec["delta"])

params = [p for layer in layers for p in layer.parameters()]
o = spec["optimizer"]
kind = o["kind"]
if kind in ("sgd", "momentum"):
    opt = torch.optim.SGD(params, lr=o["lr"], momentum=o["momentum"], dampening=o["dampening"], nesterov=o["nesterov"])
elif kind == "rmsprop":
    opt = torch.optim.RMSprop(params, lr=o["lr"], alpha=o["alpha"], eps=o["eps"], momentum=o["momentum"])
elif kind == "adam":
    opt = torch.optim.Adam(params, lr=o["lr"], betas=(o["beta1"], o["beta2"]), eps=o["eps"])
else:
    opt = torch.optim.AdamW(params, lr=o["lr"], betas=(o["beta1"], o["beta2"]), eps=o["eps"], weight_decay=o["weightDecay"])

x = torch.tensor(spec["x"], dtype=dtype).reshape(-1, widths[0])
if loss_spec["kind"] == "xent":
    y = torch.tensor(spec["y"], dtype=torch.long)
else:
    y = torch.tensor(spec["y"], dtype=dtype).reshape(-1, 1)
B = spec["batch"]
# --no-shuffle: batch i of every epoch is rows i·B … i·B + B − 1; the last partial batch is dropped.
batches = len(x) // B
losses = []
for step in range(spec["steps"]):
    i = step % batches
    xb = x[i * B : (i + 1) * B]
    yb = y[i * B : (i + 1) * B]
    opt.zero_grad()
    loss = loss_fn(forward(xb), yb)
    loss.backward()
    opt.step()
    losses.append(loss.item())

out = [0.0] * spec["P"]
with torch.no_grad():
    for l, layer in enumerate(layers):
        w = layer.weight.T.reshape(-1).tolist()
        out[spec["wBase"][l] : spec["wBase"][l] + len(w)] = w
        b = layer.bias.tolist()
        out[spec["bBase"][l] : spec["bBase"][l] + len(b)] = b
print(json.dumps({"losses": losses, "params": out}))
