"""Median time of nibabel loading a NIfTI file's voxels (decompress + decode), in ms."""
import json
import statistics
import sys
import time

import nibabel as nib
import numpy as np

path, repeats = sys.argv[1], int(sys.argv[2])
np.asanyarray(nib.load(path).dataobj)  # warm-up
times = []
for _ in range(repeats):
    t0 = time.perf_counter()
    data = np.asanyarray(nib.load(path).dataobj)
    times.append((time.perf_counter() - t0) * 1000)
print(json.dumps({"median_ms": statistics.median(times), "shape": list(data.shape)}))
