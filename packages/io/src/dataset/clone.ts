/**
 * Structural deep copy of pipeline records. Cached records must never be mutated by the random
 * part of a pipeline, so each access works on a copy: typed arrays are copied (`slice`), plain
 * objects and arrays are copied recursively, class instances keep their prototype, and
 * functions are shared. Unlike `structuredClone`, this keeps prototypes and tolerates functions.
 */

/**
 * Returns a deep structural copy of `value`.
 *
 * @param value - any record or value (volumes, nested objects, typed arrays, Maps, Sets, Dates).
 * @returns a copy sharing no mutable storage with `value`; cycles are preserved.
 *
 * @example
 * ```ts
 * const copy = cloneRecord({ image: { data: new Float32Array([1, 2]) } });
 * ```
 */
export function cloneRecord<T>(value: T): T {
  return cloneValue(value, new Map()) as T;
}

function cloneValue(value: unknown, seen: Map<object, unknown>): unknown {
  if (value === null || typeof value !== 'object') return value;
  const known = seen.get(value);
  if (known !== undefined) return known;
  if (ArrayBuffer.isView(value)) {
    const copy =
      value instanceof DataView
        ? new DataView(value.buffer.slice(value.byteOffset, value.byteOffset + value.byteLength))
        : (value as unknown as { slice(): unknown }).slice();
    seen.set(value, copy);
    return copy;
  }
  if (value instanceof ArrayBuffer) {
    const copy = value.slice(0);
    seen.set(value, copy);
    return copy;
  }
  if (value instanceof Date) return new Date(value.getTime());
  if (Array.isArray(value)) {
    const copy: unknown[] = [];
    seen.set(value, copy);
    for (const element of value) copy.push(cloneValue(element, seen));
    return copy;
  }
  if (value instanceof Map) {
    const copy = new Map();
    seen.set(value, copy);
    for (const [k, v] of value) copy.set(k, cloneValue(v, seen));
    return copy;
  }
  if (value instanceof Set) {
    const copy = new Set();
    seen.set(value, copy);
    for (const v of value) copy.add(cloneValue(v, seen));
    return copy;
  }
  const copy = Object.create(Object.getPrototypeOf(value)) as Record<string | symbol, unknown>;
  seen.set(value, copy);
  for (const key of Reflect.ownKeys(value)) {
    const descriptor = Object.getOwnPropertyDescriptor(value, key)!;
    if ('value' in descriptor) descriptor.value = cloneValue(descriptor.value, seen);
    Object.defineProperty(copy, key, descriptor);
  }
  return copy;
}
