#!/usr/bin/env python3
"""Python side of bench/train_throughput.sh, plus its helpers. Run by the shell script.

  train    the `paramscale train` loop with PyTorch's Python frontend (same libtorch 1.13):
           the network is built from `paramscale arch --json` (same layers, widths and parameter
           count), the data, per-step work and per-epoch bookkeeping mirror src/nn/{trainer,batches,
           dataset,model}.cc. Writes a JSON result.
  measure  run a command as a child process; write its wall time and peak RSS (ru_maxrss of
           RUSAGE_CHILDREN: the kernel's high-water mark of the child, no polling) as JSON.
  collect  append one CSV row (both sides of one case) from the files the runs wrote.
  table    print the markdown table of a CSV (median over repeats).

Only `train` imports torch and numpy, so `measure` adds nothing to the measured process.
"""
import argparse
import csv
import json
import os
import resource
import statistics
import subprocess
import sys
import time

MASK64 = (1 << 64) - 1
# src/nn/dataset.cc, load_fashion_mnist: statistics of the zero-padded 32x32 training images.
FASHION_MEAN, FASHION_STD = 0.2190, 0.3318


# --- src/nn/dataset.cc: the splitmix64 Rng and its Fisher-Yates permutation ------------------------
class Rng:
    def __init__(self, state):
        self.state = state & MASK64

    def next(self):
        self.state = (self.state + 0x9E3779B97F4A7C15) & MASK64
        z = self.state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK64
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK64
        return z ^ (z >> 31)

    def below(self, n):
        return self.next() % n


def permutation(n, rng):
    p = list(range(n))
    for i in range(n - 1, 0, -1):
        j = rng.below(i + 1)
        p[i], p[j] = p[j], p[i]
    return p


def read_idx(path, np):
    import gzip
    with gzip.open(path, "rb") as f:
        data = f.read()
    magic = int.from_bytes(data[0:4], "big")
    ndim = magic & 0xFF
    if magic >> 8 != 0x08:  # unsigned byte
        sys.exit(f"train_throughput: {path} is not an unsigned-byte IDX file")
    dims = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


def load_fashion_mnist(data_dir, subset, test_subset, seed, np):
    """Train and test sets as uint8 [N,1,32,32] (28x28 zero-padded by 2) and int64 labels; the
    subsets are the same images as `paramscale train --subset/--test-subset` (same Rng, seeds)."""
    def part(prefix):
        x = read_idx(f"{data_dir}/{prefix}-images-idx3-ubyte.gz", np)
        y = read_idx(f"{data_dir}/{prefix}-labels-idx1-ubyte.gz", np).astype(np.int64)
        padded = np.zeros((x.shape[0], 1, 32, 32), dtype=np.uint8)
        padded[:, 0, 2:30, 2:30] = x
        return padded, y

    train_x, train_y = part("train")
    test_x, test_y = part("t10k")
    if subset > 0:
        if subset > len(train_y):
            sys.exit(f"train_throughput: --subset {subset} > {len(train_y)} training images")
        idx = np.asarray(permutation(len(train_y), Rng(seed ^ 0xDA7A5E7))[:subset], dtype=np.int64)
        train_x, train_y = train_x[idx], train_y[idx]
    if test_subset > 0:
        if test_subset > len(test_y):
            sys.exit(f"train_throughput: --test-subset {test_subset} > {len(test_y)} test images")
        idx = np.asarray(permutation(len(test_y), Rng(0x7E57))[:test_subset], dtype=np.int64)
        test_x, test_y = test_x[idx], test_y[idx]
    return train_x, train_y, test_x, test_y


# --- src/nn/model.cc: a module that executes the layer list of `paramscale arch --json` -----------
def build_model(arch, torch):
    nn = torch.nn
    layers = arch["layers"]

    def conv_options(i, L):
        """Kernel, stride, padding, groups and bias of a conv: the IR JSON has no such fields, so
        take the one combination that gives the layer's output shape and parameter count."""
        src = layers[L["inputs"][0]]
        cin, cout = L["in_channels"], L["out_channels"]
        (h_in, w_in), (h_out, w_out) = src["output_shape"][1:], L["output_shape"][1:]
        found = []
        for k in (1, 3):
            for groups in sorted({1, cin}):
                if cin % groups or cout % groups:
                    continue
                for bias in (True, False):
                    if cout * (cin // groups) * k * k + (cout if bias else 0) != L["params"]:
                        continue
                    pad = k // 2
                    for stride in (1, 2):  # the smallest that fits (1x1 maps fit both)
                        if ((h_in + 2 * pad - k) // stride + 1, (w_in + 2 * pad - k) // stride + 1) \
                                == (h_out, w_out):
                            found.append((k, stride, pad, groups, bias))
                            break
        if len(found) > 1:  # e.g. 9 channels: depthwise 3x3 and dense 1x1 have equal counts
            dw = "depthwise" in L["name"]
            found = [f for f in found if (f[3] == cin and cin > 1) == dw]
        if len(found) != 1:
            sys.exit(f"train_throughput: cannot infer conv options of layer {i} {L['name']}: {found}")
        return found[0]

    class IRModel(nn.Module):
        def __init__(self):
            super().__init__()
            self.plan = []  # (op, inputs, module name or pool kernel)
            self.last_use = [len(layers)] * len(layers)
            for i, L in enumerate(layers):
                for j in L["inputs"]:
                    self.last_use[j] = i
                name = L["name"].replace(".", "_")
                op, arg = L["op"], None
                if op == "conv":
                    k, stride, pad, groups, bias = conv_options(i, L)
                    self.add_module(name, nn.Conv2d(L["in_channels"], L["out_channels"], k,
                                                    stride=stride, padding=pad, groups=groups,
                                                    bias=bias))
                    arg = name
                elif op == "batchnorm":
                    self.add_module(name, nn.BatchNorm2d(L["out_channels"]))
                    arg = name
                elif op == "linear":
                    bias = L["params"] == (L["in_channels"] + 1) * L["out_channels"]
                    self.add_module(name, nn.Linear(L["in_channels"], L["out_channels"], bias=bias))
                    arg = name
                elif op == "maxpool":
                    arg = layers[L["inputs"][0]]["output_shape"][1] // L["output_shape"][1]
                elif op not in ("input", "relu", "relu6", "gavgpool", "add", "flatten"):
                    sys.exit(f"train_throughput: layer op '{op}' is not supported here")
                self.plan.append((op, L["inputs"], arg))
            self.last_use[-1] = len(layers)

        def forward(self, x):
            F = torch.nn.functional
            out = [None] * len(self.plan)
            for i, (op, inputs, arg) in enumerate(self.plan):
                a = out[inputs[0]] if inputs else x
                if op == "input":
                    out[i] = x
                elif op in ("conv", "batchnorm"):
                    out[i] = getattr(self, arg)(a)
                elif op == "relu":
                    out[i] = torch.relu(a)
                elif op == "relu6":
                    out[i] = F.hardtanh(a, 0.0, 6.0)
                elif op == "maxpool":
                    out[i] = F.max_pool2d(a, arg, arg)
                elif op == "gavgpool":
                    out[i] = F.adaptive_avg_pool2d(a, (1, 1))
                elif op == "add":
                    out[i] = a + out[inputs[1]]
                elif op == "linear":
                    out[i] = getattr(self, arg)(a.flatten(1))
                elif op == "flatten":
                    out[i] = a.flatten(1)
                for j in inputs:  # drop tensors no later layer reads, as the C++ module does
                    if self.last_use[j] == i:
                        out[j] = None
            return out[-1].flatten(1)

    model = IRModel()
    if arch["model"] == "vgg11":  # the NeuralScale reference init (model.cc); others keep defaults
        with torch.no_grad():
            for m in model.modules():
                if isinstance(m, nn.Conv2d):
                    nn.init.kaiming_normal_(m.weight, 0.0, "fan_out", "relu")
                    if m.bias is not None:
                        m.bias.zero_()
                elif isinstance(m, nn.BatchNorm2d):
                    m.weight.fill_(0.5)
                    m.bias.zero_()
                elif isinstance(m, nn.Linear):
                    m.weight.normal_(0.0, 0.01)
                    if m.bias is not None:
                        m.bias.zero_()
    return model


def peak_rss_self_kib():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux


def cmd_train(a):
    # src/nn/batches.cc limit_blas_threads(): OpenBLAS single-threaded; set before torch loads it.
    os.environ["OPENBLAS_NUM_THREADS"] = "1"
    import numpy as np
    import torch
    F = torch.nn.functional

    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    with open(a.arch_json) as f:
        arch = json.load(f)
    if arch["dataset"] != "fashion-mnist":
        sys.exit("train_throughput: only fashion-mnist is implemented on the Python side")
    train_x, train_y, test_x, test_y = load_fashion_mnist(a.data_dir, a.subset, a.test_subset, a.seed, np)
    lut = ((np.arange(256, dtype=np.float32) / np.float32(255.0) - np.float32(FASHION_MEAN))
           / np.float32(FASHION_STD)).astype(np.float32)

    model = build_model(arch, torch)
    params = sum(p.numel() for p in model.parameters())
    if params != arch["totals"]["params"]:
        sys.exit(f"train_throughput: Python net has {params} parameters, arch --json says "
                 f"{arch['totals']['params']}")
    if a.expect_params and params != a.expect_params:
        sys.exit(f"train_throughput: Python net has {params} parameters, the C++ run {a.expect_params}")
    opt = torch.optim.SGD(model.parameters(), lr=a.lr, momentum=a.momentum,
                          weight_decay=a.weight_decay, nesterov=False)
    os.makedirs(a.out_dir, exist_ok=True)

    n, bs = len(train_y), a.batch_size
    steps = (n + bs - 1) // bs - (1 if n % bs == 1 else 0)  # as trainer.cc: no batch of one
    epochs, rss_train_only = [], None
    for epoch in range(1, a.epochs + 1):
        # ---- timed: exactly what trainer.cc times (permutation, batches, step, bookkeeping) ----
        t0 = time.perf_counter()
        model.train()
        perm = np.asarray(permutation(n, Rng(a.seed * 0x9E3779B97F4A7C15 + epoch)), dtype=np.int64)
        loss_sum, correct, seen = 0.0, 0, 0
        for s in range(steps):
            for group in opt.param_groups:  # trainer.cc sets the lr every step (constant here)
                group["lr"] = a.lr
            b = min(bs, n - s * bs)
            idx = perm[s * bs:s * bs + b]
            x = torch.from_numpy(lut[train_x[idx]])  # uint8 -> normalised float32, one lookup
            y = torch.from_numpy(train_y[idx])
            logits = model(x)
            loss = F.cross_entropy(logits, y)
            opt.zero_grad(set_to_none=False)  # libtorch 1.13 Optimizer::zero_grad() zeroes
            loss.backward()
            opt.step()
            loss_sum += loss.item() * b
            correct += logits.argmax(1).eq(y).sum().item()
            seen += b
        train_s = time.perf_counter() - t0
        # ---- untimed, mirrored so that the process does the same work as `paramscale train` ----
        if rss_train_only is None:
            rss_train_only = peak_rss_self_kib()
        test_acc = evaluate(model, test_x, test_y, lut, torch)
        torch.save({"model": model.state_dict(), "optimizer": opt.state_dict(), "epoch": epoch},
                   os.path.join(a.out_dir, "checkpoint.pt.tmp"))
        os.replace(os.path.join(a.out_dir, "checkpoint.pt.tmp"), os.path.join(a.out_dir, "checkpoint.pt"))
        epochs.append({"epoch": epoch, "images_per_second": seen / train_s, "train_seconds": train_s,
                       "train_loss": loss_sum / seen, "train_accuracy": correct / seen,
                       "test_accuracy": test_acc})
    # trainer.cc writes weights.psw at the end through a float copy of every tensor.
    with open(os.path.join(a.out_dir, "weights.bin"), "wb") as f:
        for t in model.state_dict().values():
            t.detach().to(torch.float32).numpy().copy().tofile(f)

    result = {"parameters": params, "widths": arch["widths"], "train_images": n,
              "test_images": len(test_y), "steps": steps,
              "threads": torch.get_num_threads(), "torch_version": torch.__version__,
              "epochs": epochs, "peak_rss_after_first_training_loop_kib": rss_train_only,
              "peak_rss_self_kib": peak_rss_self_kib()}
    with open(a.result, "w") as f:
        json.dump(result, f, indent=2)


def evaluate(model, xs, ys, lut, torch):
    """batches.cc evaluate(): eval mode, no grad, batches of 500."""
    if len(ys) == 0:
        return -1.0
    model.eval()
    correct = 0
    with torch.no_grad():
        for s in range(0, len(ys), 500):
            x = torch.from_numpy(lut[xs[s:s + 500]])
            correct += model(x).argmax(1).eq(torch.from_numpy(ys[s:s + 500])).sum().item()
    return correct / len(ys)


def cmd_measure(a):
    if not a.command:
        sys.exit("train_throughput: measure needs a command after --")
    t0 = time.perf_counter()
    rc = subprocess.run(a.command).returncode
    wall = time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss  # KiB; our only child
    with open(a.out, "w") as f:
        json.dump({"command": a.command, "returncode": rc, "wall_seconds": wall,
                   "peak_rss_kib": peak}, f, indent=2)
    sys.exit(rc)


# --- reporting ---------------------------------------------------------------------------------------
FIELDS = ["case", "model", "budget", "repeat", "parameters", "train_images", "test_images", "epochs",
          "timed_epochs",
          "threads", "cxx_img_s", "py_img_s", "ratio_cxx_over_py", "cxx_img_s_epoch1",
          "py_img_s_epoch1", "cxx_peak_rss_mib", "py_peak_rss_mib", "py_peak_rss_train_only_mib",
          "cxx_baseline_rss_mib", "py_baseline_rss_mib", "cxx_train_loss", "py_train_loss",
          "cxx_wall_s", "py_wall_s"]


def timed_rate(per_epoch_ips, epochs):
    """Images/s over the timed epochs: all but the first (warm-up) when there are two or more.
    Every epoch has the same images, so images/seconds over the epochs is the harmonic mean."""
    timed = per_epoch_ips[1:] if epochs >= 2 else per_epoch_ips
    return len(timed) / sum(1.0 / r for r in timed), len(timed)


def load_json(path):
    with open(path) as f:
        return json.load(f)


def cmd_collect(a):
    cxx = load_json(a.cxx_summary)
    py = load_json(a.py_result)
    cxx_m, py_m = load_json(a.cxx_measure), load_json(a.py_measure)
    base = load_json(a.baseline)
    if cxx["parameters"] != py["parameters"] or cxx["settings"]["widths"] != py["widths"]:
        sys.exit(f"train_throughput: {a.case}: C++ and Python networks differ "
                 f"({cxx['parameters']} vs {py['parameters']} parameters)")
    for k in ("train_images", "test_images"):
        if cxx["settings"][k] != py[k]:
            sys.exit(f"train_throughput: {a.case}: {k} C++ {cxx['settings'][k]}, Python {py[k]}")
    epochs = len(py["epochs"])
    cxx_ips = [e["images_per_second"] for e in cxx["epochs"]]
    py_ips = [e["images_per_second"] for e in py["epochs"]]
    cxx_rate, timed = timed_rate(cxx_ips, epochs)
    py_rate, _ = timed_rate(py_ips, epochs)
    mib = lambda kib: round(kib / 1024.0, 1)
    row = {"case": a.case, "model": a.model, "budget": a.budget, "repeat": a.repeat,
           "parameters": py["parameters"], "train_images": py["train_images"],
           "test_images": py["test_images"], "epochs": epochs,
           "timed_epochs": timed, "threads": py["threads"], "cxx_img_s": round(cxx_rate, 2),
           "py_img_s": round(py_rate, 2), "ratio_cxx_over_py": round(cxx_rate / py_rate, 4),
           "cxx_img_s_epoch1": round(cxx_ips[0], 2), "py_img_s_epoch1": round(py_ips[0], 2),
           "cxx_peak_rss_mib": mib(cxx_m["peak_rss_kib"]), "py_peak_rss_mib": mib(py_m["peak_rss_kib"]),
           "py_peak_rss_train_only_mib": mib(py["peak_rss_after_first_training_loop_kib"]),
           "cxx_baseline_rss_mib": mib(base["cxx_kib"]), "py_baseline_rss_mib": mib(base["py_kib"]),
           "cxx_train_loss": round(cxx["epochs"][-1]["train_loss"], 4),
           "py_train_loss": round(py["epochs"][-1]["train_loss"], 4),
           "cxx_wall_s": round(cxx_m["wall_seconds"], 1), "py_wall_s": round(py_m["wall_seconds"], 1)}
    new = not os.path.exists(a.csv) or os.path.getsize(a.csv) == 0
    with open(a.csv, "a", newline="") as f:
        w = csv.DictWriter(f, fieldnames=FIELDS)
        if new:
            w.writeheader()
        w.writerow(row)
    print(f"  {a.case}: C++ {row['cxx_img_s']:.1f} img/s, {row['cxx_peak_rss_mib']:.0f} MiB | "
          f"Python {row['py_img_s']:.1f} img/s, {row['py_peak_rss_mib']:.0f} MiB; train loss "
          f"{row['cxx_train_loss']} vs {row['py_train_loss']}", file=sys.stderr)
    # Same seed, same init order and same images: the two losses agree closely (4 decimals in the
    # runs seen so far); a large gap means the two sides no longer train the same thing.
    if abs(row["cxx_train_loss"] - row["py_train_loss"]) > 0.02 * abs(row["cxx_train_loss"]):
        print(f"train_throughput: warning: {a.case}: the training losses differ by more than 2%",
              file=sys.stderr)


def cmd_table(a):
    with open(a.csv) as f:
        rows = list(csv.DictReader(f))
    cases = list(dict.fromkeys(r["case"] for r in rows))
    med = lambda rs, k: statistics.median(float(r[k]) for r in rs)
    print("| case | C++ img/s | Python img/s | ratio C++/Py | C++ peak RSS MiB | Python peak RSS MiB |")
    print("|---|---:|---:|---:|---:|---:|")
    for c in cases:
        rs = [r for r in rows if r["case"] == c]
        cx, py = med(rs, "cxx_img_s"), med(rs, "py_img_s")
        print(f"| {c} | {cx:.1f} | {py:.1f} | {cx / py:.3f} | {med(rs, 'cxx_peak_rss_mib'):.0f} | "
              f"{med(rs, 'py_peak_rss_mib'):.0f} |")
    r0 = rows[0]
    reps = max(int(r["repeat"]) for r in rows)
    print(f"\n{r0['train_images']} training images ({r0['test_images']} test images evaluated "
          f"after each epoch, untimed), batch 128, {r0['threads']} threads; img/s over "
          f"{r0['timed_epochs']} of {r0['epochs']} epoch(s) (the first is warm-up when there are "
          f"two or more){'; median of %d repeats' % reps if reps > 1 else ''}. Idle-process RSS: "
          f"C++ {float(r0['cxx_baseline_rss_mib']):.0f} MiB (`paramscale --version`), Python "
          f"{float(r0['py_baseline_rss_mib']):.0f} MiB (`import torch`).")


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    t = sub.add_parser("train", help="the Python training run")
    t.add_argument("--arch-json", required=True, help="output of `paramscale arch ... --json`")
    t.add_argument("--data-dir", default="/usr/share/datasets/fashion-mnist")
    t.add_argument("--subset", type=int, default=6400)
    t.add_argument("--test-subset", type=int, default=0, help="0: the whole test set")
    t.add_argument("--epochs", type=int, default=2)
    t.add_argument("--batch-size", type=int, default=128)
    t.add_argument("--lr", type=float, default=0.05)
    t.add_argument("--momentum", type=float, default=0.9)
    t.add_argument("--weight-decay", type=float, default=5e-4)
    t.add_argument("--threads", type=int, default=2)
    t.add_argument("--seed", type=int, default=0)
    t.add_argument("--expect-params", type=int, default=0, help="the C++ run's parameter count")
    t.add_argument("--out-dir", required=True, help="checkpoint and weights go here")
    t.add_argument("--result", required=True, help="result JSON")
    m = sub.add_parser("measure", help="run a command, record wall time and peak RSS")
    m.add_argument("out")
    m.add_argument("command", nargs=argparse.REMAINDER)
    c = sub.add_parser("collect", help="append one CSV row")
    for k in ("csv", "case", "model", "budget", "repeat", "cxx_summary", "cxx_measure", "py_result",
              "py_measure", "baseline"):
        c.add_argument("--" + k.replace("_", "-"), required=True)
    tb = sub.add_parser("table", help="markdown table of a CSV")
    tb.add_argument("csv")
    a = p.parse_args()
    if a.cmd == "measure" and a.command[:1] == ["--"]:
        a.command = a.command[1:]
    {"train": cmd_train, "measure": cmd_measure, "collect": cmd_collect, "table": cmd_table}[a.cmd](a)


if __name__ == "__main__":
    main()
