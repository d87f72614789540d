import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { BACKEND_ENV_VAR, chooseBackend, initBackend, type ModuleLoader } from '@voxelkit/backend';
import { ArgumentError, createMemoryLogger, ResourceError } from '@voxelkit/core';

/** A loader that knows only the given fake modules; anything else is "not installed". */
function fakeLoader(modules: Record<string, Record<string, unknown>>): ModuleLoader {
  return async (specifier) => {
    const mod = modules[specifier];
    if (mod === undefined) throw new Error(`Cannot find module '${specifier}'`);
    return mod;
  };
}

describe('backend selection', () => {
  it('falls back tfjs-node-gpu → native → cpu and logs the choice once per call', async () => {
    const log = createMemoryLogger();
    const info = await chooseBackend({ logger: log }, {}, fakeLoader({}));
    expect(info.name).toBe('cpu');
    expect(info.tfBackend).toBe('cpu');
    expect(info.rejected.map((r) => r.name)).toEqual(['tfjs-node-gpu', 'native']);
    expect(info.rejected[0].reason).toMatch(/Cannot find module/);
    expect(log.records.filter((r) => r.level === 'info')).toHaveLength(1);
    expect(log.records.find((r) => r.level === 'info')?.message).toMatch(/compute backend: cpu/);
  });

  it('takes native kernels when @voxelkit/backend-native registers them', async () => {
    const calls: unknown[] = [];
    const loader = fakeLoader({
      '@voxelkit/backend-native': {
        registerNativeKernels: (options: unknown) => (calls.push(options), true),
      },
    });
    const info = await chooseBackend({ nativeOptions: { threads: 2 } }, {}, loader);
    expect(info).toMatchObject({ name: 'native', tfBackend: 'cpu', forced: false });
    expect(calls).toEqual([{ threads: 2 }]);
  });

  it('skips native kernels that report themselves unavailable', async () => {
    const loader = fakeLoader({
      '@voxelkit/backend-native': {
        registerNativeKernels: () => false,
        nativeUnavailableReason: () => 'libtorch not found',
      },
    });
    const info = await chooseBackend({ prefer: 'native' }, {}, loader);
    expect(info.name).toBe('cpu');
    expect(info.rejected).toEqual([
      { name: 'native', reason: 'native kernels unavailable: libtorch not found' },
      { name: 'tfjs-node-gpu', reason: expect.stringMatching(/Cannot find module/) },
    ]);
  });

  it(`is forced by ${BACKEND_ENV_VAR}, and fails loudly when the forced one is missing`, async () => {
    const native = fakeLoader({
      '@voxelkit/backend-native': { registerNativeKernels: () => true },
    });
    const cpu = await chooseBackend({}, { [BACKEND_ENV_VAR]: 'cpu' }, native);
    expect(cpu).toMatchObject({ name: 'cpu', forced: true });
    await expect(chooseBackend({}, { [BACKEND_ENV_VAR]: 'tfjs-node-gpu' }, native)).rejects.toThrow(
      ResourceError,
    );
    await expect(chooseBackend({}, { [BACKEND_ENV_VAR]: 'webgl' }, native)).rejects.toThrow(
      ArgumentError,
    );
    await expect(chooseBackend({ prefer: 'gpu' as never }, {}, native)).rejects.toThrow(/prefer/);
  });

  it('initBackend decides once per process and logs once', async () => {
    const log = createMemoryLogger();
    const a = await initBackend({ logger: log });
    const b = await initBackend({ logger: log, prefer: 'cpu' });
    expect(b).toBe(a);
    expect(log.records.filter((r) => r.level === 'info')).toHaveLength(1);
    // In this repository backend-native may or may not be built: either way a CPU-based backend.
    expect(['native', 'cpu']).toContain(a.name);
    expect(tf.getBackend()).toBe('cpu');
  });
});
