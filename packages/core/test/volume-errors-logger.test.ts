import { describe, expect, it } from 'vitest';
import {
  ArgumentError,
  DataError,
  FormatError,
  ResourceError,
  ShapeError,
  VoxelkitError,
  affineFromRows,
  allocate,
  createMemoryLogger,
  createVolume,
  dtypeOf,
  numel,
  silentLogger,
  spatialShape,
  volumeAxcodes,
  volumeSpacing,
  type DType,
} from '@voxelkit/core';

describe('createVolume', () => {
  it('keeps the data, copies the shape, defaults to the identity affine and empty meta', () => {
    const data = new Int16Array(24);
    const shape = [1, 2, 3, 4];
    const v = createVolume(data, shape);
    expect(v.data).toBe(data);
    expect(v.shape).toEqual([1, 2, 3, 4]);
    shape[0] = 9; // the volume's shape is its own copy
    expect(v.shape[0]).toBe(1);
    expect(v.dtype).toBe('int16');
    expect(Array.from(v.affine)).toEqual([1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1]);
    expect(v.meta).toEqual({});
    expect(spatialShape(v)).toEqual([2, 3, 4]);
  });

  it('rejects data whose length does not match the shape, naming expected and actual', () => {
    let error: unknown;
    try {
      createVolume(new Float32Array(7), [1, 2, 2, 2]);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ArgumentError);
    const e = error as ArgumentError;
    expect(e.code).toBe('E_ARGUMENT');
    expect(e.details).toMatchObject({ field: 'data.length', expected: 8, actual: 7 });
    expect(e.message).toBe(
      'volume data length does not match its shape (field data.length; expected 8; got 7)',
    );
  });

  it('reads spacing and orientation codes from the affine', () => {
    const v = createVolume(
      new Uint8Array(8),
      [1, 2, 2, 2],
      affineFromRows([
        [0, 0, -3, 0],
        [2, 0, 0, 0],
        [0, 1.5, 0, 0],
      ]),
    );
    // voxel i → +y (A), j → +z (S), k → −x (L)
    expect(volumeAxcodes(v)).toBe('ASL');
    expect(volumeSpacing(v)).toEqual([2, 1.5, 3]);
  });
});

describe('dtypes', () => {
  const all: DType[] = [
    'uint8',
    'int8',
    'uint16',
    'int16',
    'uint32',
    'int32',
    'float32',
    'float64',
  ];

  it('allocate and dtypeOf agree for every dtype', () => {
    for (const dtype of all) {
      const a = allocate(dtype, 3);
      expect(a.length).toBe(3);
      expect(Array.from(a)).toEqual([0, 0, 0]);
      expect(dtypeOf(a)).toBe(dtype);
    }
  });

  it('refuses arrays that are not volume storage', () => {
    expect(() => dtypeOf(new Uint8ClampedArray(1) as unknown as Uint8Array)).toThrow(ArgumentError);
    expect(() => dtypeOf(new BigInt64Array(1) as unknown as Int32Array)).toThrow(
      /unsupported typed array/,
    );
  });

  it('numel is the product of the shape, 1 for a scalar shape', () => {
    expect(numel([1, 2, 3, 4])).toBe(24);
    expect(numel([])).toBe(1);
    expect(numel([5, 0, 3])).toBe(0);
  });
});

describe('typed errors', () => {
  it('each class has its stable code, name and base class', () => {
    const cases: [VoxelkitError, string, string][] = [
      [new FormatError('m'), 'E_FORMAT', 'FormatError'],
      [new ArgumentError('m'), 'E_ARGUMENT', 'ArgumentError'],
      [new ShapeError('m'), 'E_SHAPE', 'ShapeError'],
      [new DataError('m'), 'E_DATA', 'DataError'],
      [new ResourceError('m'), 'E_RESOURCE', 'ResourceError'],
    ];
    for (const [error, code, name] of cases) {
      expect(error).toBeInstanceOf(VoxelkitError);
      expect(error).toBeInstanceOf(Error);
      expect(error.code).toBe(code);
      expect(error.name).toBe(name);
      expect(error.message).toBe('m');
    }
  });

  it('composes file, field, expected and actual into the message and keeps the cause', () => {
    const cause = new Error('ENOENT');
    const e = new DataError('cannot read', {
      file: '/d/ct.nii.gz',
      field: 'dim[3]',
      expected: [1, 2],
      actual: 'x',
      cause,
    });
    expect(e.message).toBe('cannot read (file /d/ct.nii.gz; field dim[3]; expected [1,2]; got x)');
    expect(e.cause).toBe(cause);
    expect(e.details.file).toBe('/d/ct.nii.gz');
  });

  it('shows values JSON cannot encode without throwing', () => {
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    expect(new ArgumentError('bad', { actual: circular }).message).toBe(
      'bad (got [object Object])',
    );
    expect(new ArgumentError('bad', { actual: 10n }).message).toBe('bad (got 10)');
  });
});

describe('loggers', () => {
  it('the memory logger keeps records in order, with fields only when given', () => {
    const log = createMemoryLogger();
    log.debug('a');
    log.info('b', { n: 1 });
    log.warn('c');
    log.error('d', { file: 'x' });
    expect(log.records).toEqual([
      { level: 'debug', message: 'a' },
      { level: 'info', message: 'b', fields: { n: 1 } },
      { level: 'warn', message: 'c' },
      { level: 'error', message: 'd', fields: { file: 'x' } },
    ]);
  });

  it('the silent logger accepts every level and returns nothing', () => {
    for (const level of ['debug', 'info', 'warn', 'error'] as const) {
      expect(silentLogger[level]('x', { a: 1 })).toBeUndefined();
    }
  });
});
