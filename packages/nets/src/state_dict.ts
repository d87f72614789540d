/**
 * State dicts: PyTorch-named tensors in PyTorch layout, the exchange format between voxelkit
 * models, checkpoints, safetensors files and MONAI/PyTorch weights.
 */

/** One tensor of a state dict: `data` is row-major float32 of `shape` (PyTorch layout). */
export interface StateDictEntry {
  /** PyTorch shape, e.g. `[out, in, kx, ky, kz]` for a conv weight; `[]` for a scalar. */
  shape: number[];
  /** Row-major values, last axis fastest. */
  data: Float32Array;
}

/**
 * PyTorch-style state dict: names such as `model.0.conv.unit0.conv.weight` mapped to tensors in
 * PyTorch memory layout (conv weight `[out, in, kx, ky, kz]`, transposed conv `[in, out, kx, ky,
 * kz]`). Integer buffers (`num_batches_tracked`) are carried as float32 scalars.
 */
export type StateDict = Map<string, StateDictEntry>;
