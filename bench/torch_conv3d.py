"""Time PyTorch conv3d forward / backprop-input / backprop-filter on the issue's shapes.

Prints one JSON object on stdout: {"threads", "torch", "results": [{shape, op, layout, seconds}]}.
Run with Debian's interpreter: /usr/bin/python3 bench/torch_conv3d.py --threads 2 --repeats 5
"""
import argparse
import json
import time

import torch

SHAPES = [
    # name, batch, spatial, cin, cout, kernel, stride
    ("96^3x1->16 k3 s2", 2, 96, 1, 16, 3, 2),
    ("48^3x16->32 k3 s2", 2, 48, 16, 32, 3, 2),
    ("48^3x16->16 k3 s1", 2, 48, 16, 16, 3, 1),
]


def median_time(fn, repeats):
    fn()  # warm-up: oneDNN primitive creation, allocator
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    times.sort()
    return times[len(times) // 2]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--layouts", nargs="+", default=["channels_last", "contiguous"])
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    results = []
    for name, n, s, cin, cout, k, stride in SHAPES:
        for layout in args.layouts:
            fmt = torch.channels_last_3d if layout == "channels_last" else torch.contiguous_format
            x = torch.randn(n, cin, s, s, s).to(memory_format=fmt)
            w = torch.randn(cout, cin, k, k, k).to(memory_format=fmt)
            pad = k // 2
            with torch.no_grad():
                y = torch.nn.functional.conv3d(x, w, None, stride, pad)
                dy = torch.randn_like(y).to(memory_format=fmt)

                def fwd():
                    torch.nn.functional.conv3d(x, w, None, stride, pad)

                def bwd(mask):
                    def run():
                        torch.ops.aten.convolution_backward(
                            dy, x, w, None, [stride] * 3, [pad] * 3, [1] * 3, False, [0] * 3, 1, mask
                        )

                    return run

                for op, fn in (
                    ("forward", fwd),
                    ("backprop-input", bwd([True, False, False])),
                    ("backprop-filter", bwd([False, True, False])),
                ):
                    sec = median_time(fn, args.repeats)
                    results.append({"shape": name, "op": op, "layout": layout, "seconds": sec})
    print(json.dumps({"threads": args.threads, "torch": torch.__version__, "results": results}))


if __name__ == "__main__":
    main()
