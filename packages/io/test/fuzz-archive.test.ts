/**
 * Fuzzing the safe tar / tar.gz extraction with hostile archives: entry names with `..`,
 * absolute paths and drive letters, symbolic and hard links pointing anywhere, device entries,
 * declared sizes far beyond the data, bad checksums and truncated streams. Every archive must
 * either extract only inside the destination or fail with a typed error leaving the destination
 * empty; nothing may ever appear outside it (checked over a whole sandbox folder around it), and
 * no extraction may hang.
 */
import { lstat, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { FormatError, VoxelkitError } from '@voxelkit/core';
import { extractTarArchive } from '@voxelkit/io/node';

const base = await mkdtemp(path.join(os.tmpdir(), 'vk-fuzz-tar-'));
let counter = 0;
afterAll(() => rm(base, { recursive: true, force: true }));

/** One tar entry as the generator describes it (fields are written into a raw ustar header). */
interface EntrySpec {
  name: string;
  type: string;
  linkname: string;
  content: Uint8Array;
  /** Size written in the header; the real content length when undefined. */
  declaredSize?: number;
  badChecksum: boolean;
  /** When set, a pax extended header before the entry overrides its name with this path. */
  paxPath?: string;
}

/** A pax record `"<len> path=<value>\n"`, where `<len>` counts the whole record. */
function paxRecord(key: string, value: string): Uint8Array {
  const body = ` ${key}=${value}\n`;
  const bodyBytes = new TextEncoder().encode(body).length;
  let len = bodyBytes + 1;
  while (String(len).length + bodyBytes !== len) len++;
  return new TextEncoder().encode(`${len}${body}`);
}

/** A 512-byte ustar header; names longer than 100 bytes go to the prefix field when possible. */
function header(e: EntrySpec): Uint8Array {
  const h = new Uint8Array(512);
  const put = (text: string, offset: number, length: number) => {
    const bytes = new TextEncoder().encode(text);
    h.set(bytes.subarray(0, length), offset);
  };
  const octal = (value: number, offset: number, length: number) =>
    put(
      value
        .toString(8)
        .padStart(length - 1, '0')
        .slice(-(length - 1)),
      offset,
      length - 1,
    );
  let name = e.name;
  let prefix = '';
  const cut = name.lastIndexOf('/', 155);
  if (new TextEncoder().encode(name).length > 100 && cut > 0) {
    prefix = name.slice(0, cut);
    name = name.slice(cut + 1);
  }
  put(name, 0, 100);
  octal(e.type === '5' ? 0o755 : 0o644, 100, 8);
  octal(0, 108, 8);
  octal(0, 116, 8);
  octal(e.declaredSize ?? e.content.length, 124, 12);
  octal(1_700_000_000, 136, 12);
  h.fill(0x20, 148, 156);
  put(e.type, 156, 1);
  put(e.linkname, 157, 100);
  put('ustar\u0000', 257, 6);
  put('00', 263, 2);
  put(prefix, 345, 155);
  let sum = h.reduce((s, b) => s + b, 0);
  if (e.badChecksum) sum += 1;
  put(sum.toString(8).padStart(6, '0') + '\u0000 ', 148, 8);
  return h;
}

/** Raw archive bytes: headers, padded contents, two zero blocks. */
function tarBytes(entries: EntrySpec[]): Uint8Array {
  const parts: Uint8Array[] = [];
  const expanded = entries.flatMap((e): EntrySpec[] =>
    e.paxPath === undefined
      ? [e]
      : [
          {
            name: 'PaxHeader/x',
            type: 'x',
            linkname: '',
            content: paxRecord('path', e.paxPath),
            badChecksum: false,
          },
          e,
        ],
  );
  for (const e of expanded) {
    parts.push(header(e));
    const padded = new Uint8Array(Math.ceil(e.content.length / 512) * 512);
    padded.set(e.content);
    parts.push(padded);
  }
  parts.push(new Uint8Array(1024));
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/**
 * The sandbox: `<box>/l1/l2/l3/dest` is the destination; `<box>/outside/secret.txt` must stay
 * untouched. Four levels keep any name with at most four `..` segments inside `<box>`.
 */
async function sandbox() {
  const box = path.join(base, String(counter++));
  const dest = path.join(box, 'l1', 'l2', 'l3', 'dest');
  await mkdir(dest, { recursive: true });
  await mkdir(path.join(box, 'outside'));
  await writeFile(path.join(box, 'outside', 'secret.txt'), 'secret');
  return { box, dest, outside: path.join(box, 'outside') };
}

/** Every path under `dir` (relative, `/`-separated), with its kind; links are not followed. */
async function walk(dir: string, prefix = ''): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const name of await readdir(dir)) {
    const full = path.join(dir, name);
    const rel = prefix === '' ? name : `${prefix}/${name}`;
    const st = await lstat(full);
    const kind = st.isSymbolicLink()
      ? 'link'
      : st.isDirectory()
        ? 'dir'
        : st.isFile()
          ? 'file'
          : 'other';
    out.set(rel, kind);
    if (kind === 'dir') for (const [k, v] of await walk(full, rel)) out.set(k, v);
  }
  return out;
}

function withDeadline<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`extraction did not finish within ${ms} ms`)), ms);
  });
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}

/** Writes the archive next to the sandbox, extracts, and checks the safety contract. */
async function extractAndCheck(
  bytes: Uint8Array,
  onError?: (error: VoxelkitError) => void,
): Promise<'ok' | 'rejected'> {
  const { box, dest, outside } = await sandbox();
  const archive = path.join(base, `${counter}.archive`);
  await writeFile(archive, bytes);
  let outcome: 'ok' | 'rejected';
  let result: Awaited<ReturnType<typeof extractTarArchive>> | undefined;
  try {
    result = await withDeadline(extractTarArchive(archive, dest), 10_000);
    outcome = 'ok';
  } catch (error) {
    if (!(error instanceof VoxelkitError)) {
      throw new Error(`non-typed error: ${String(error)}`, { cause: error });
    }
    outcome = 'rejected';
    onError?.(error);
  }
  const all = await walk(box);
  for (const [rel, kind] of all) {
    const inside = rel.startsWith('l1/l2/l3/dest/') || rel === 'outside/secret.txt';
    const scaffold = ['l1', 'l1/l2', 'l1/l2/l3', 'l1/l2/l3/dest', 'outside'].includes(rel);
    expect(inside || scaffold, `unexpected ${kind} ${rel} outside the destination`).toBe(true);
    expect(kind === 'link' || kind === 'other', `${kind} ${rel} was created`).toBe(false);
    expect(path.basename(rel).startsWith('.extract-'), `staging folder ${rel} left`).toBe(false);
  }
  expect(await readFile(path.join(outside, 'secret.txt'), 'utf8')).toBe('secret');
  if (outcome === 'rejected') {
    expect(await readdir(dest), 'a failed extraction leaves the destination empty').toEqual([]);
  } else {
    expect((await readdir(dest)).sort()).toEqual([...(result?.topLevel ?? [])].sort());
  }
  await rm(box, { recursive: true, force: true });
  await rm(archive, { force: true });
  return outcome;
}

// Name segments mixing ordinary names with every escape the extractor must refuse.
const segment = fc.constantFrom(
  'a',
  'b',
  'x.nii.gz',
  '..',
  '.',
  '',
  'C:',
  'c:\\..',
  '..\\..',
  'n\0ul',
);
const entryName = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.array(segment, { minLength: 1, maxLength: 4 }).map((s) => s.join('/')),
  },
  fc.array(segment, { minLength: 1, maxLength: 3 }).map((s) => `/${s.join('/')}`),
  fc.constant('ABSOLUTE_OUTSIDE'),
  fc.constantFrom('./', '.', 'a/', 'a'.repeat(120), `${'d/'.repeat(60)}f`),
);
const linkTarget = fc.oneof(
  entryName,
  fc.constantFrom('../outside/secret.txt', '../../../../outside/secret.txt', 'SECRET'),
);
const entry = fc
  .record({
    name: entryName,
    type: fc.constantFrom('0', '0', '0', '5', '5', '1', '2', '3', '4', '6', '7', 'Z', '\0'),
    linkname: linkTarget,
    content: fc.uint8Array({ maxLength: 700 }),
    declaredSize: fc.option(fc.constantFrom(600, 0o77777777777, 1 << 30), { freq: 8 }),
    badChecksum: fc.integer({ min: 0, max: 14 }).map((n) => n === 0),
    paxPath: fc.option(entryName, { freq: 5 }),
  })
  .map((e): EntrySpec => ({
    ...e,
    declaredSize: e.declaredSize ?? undefined,
    paxPath: e.paxPath ?? undefined,
  }));

describe('extractTarArchive under fuzzing', () => {
  it('never writes outside the destination, never hangs, and fails only with typed errors', async () => {
    const archive = fc.record({
      entries: fc.array(entry, { minLength: 1, maxLength: 5 }),
      gzip: fc.boolean(),
      cut: fc.option(fc.double({ min: 0, max: 1, noNaN: true }), { freq: 4 }),
    });
    const outcomes = { ok: 0, rejected: 0 };
    await fc.assert(
      fc.asyncProperty(archive, async ({ entries, gzip, cut }) => {
        // Placeholders become absolute paths into this run's sandbox (created next).
        const next = path.join(base, String(counter));
        const absolute = (name: string) =>
          name === 'ABSOLUTE_OUTSIDE' ? path.join(next, 'outside', 'pwned') : name;
        const resolved = entries.map((e) => ({
          ...e,
          name: absolute(e.name),
          paxPath: e.paxPath === undefined ? undefined : absolute(e.paxPath),
          linkname: e.linkname === 'SECRET' ? path.join(next, 'outside', 'secret.txt') : e.linkname,
        }));
        let bytes = tarBytes(resolved);
        if (gzip) bytes = gzipSync(bytes);
        if (cut !== null) bytes = bytes.subarray(0, Math.floor(cut * bytes.length));
        outcomes[await extractAndCheck(bytes)]++;
      }),
      { numRuns: 80 },
    );
    // The generator reaches both outcomes, so the property checks both branches.
    expect(outcomes.ok).toBeGreaterThan(0);
    expect(outcomes.rejected).toBeGreaterThan(0);
  });

  it('rejects the classic escapes with a FormatError naming the entry', async () => {
    const cases: Partial<EntrySpec>[] = [
      { name: '../evil' },
      { name: 'a/../../evil' },
      { name: '/abs/evil' },
      { name: 'C:/evil' },
      { name: 'link', type: '2', linkname: '../../outside/secret.txt' },
      { name: 'hard', type: '1', linkname: '/etc/passwd' },
      { name: 'dev', type: '3' },
      { name: 'big', content: new Uint8Array(10), declaredSize: 1 << 30 },
      { name: 'innocent', paxPath: '../../outside/pax-evil' },
      { name: 'innocent', paxPath: '/abs/pax-evil' },
    ];
    for (const c of cases) {
      const spec: EntrySpec = {
        name: 'ok',
        type: '0',
        linkname: '',
        content: new Uint8Array(0),
        badChecksum: false,
        ...c,
      };
      const bytes = tarBytes([
        {
          name: 'first.txt',
          type: '0',
          linkname: '',
          content: new Uint8Array(3),
          badChecksum: false,
        },
        spec,
      ]);
      let caught: VoxelkitError | undefined;
      expect(await extractAndCheck(bytes, (e) => (caught = e)), JSON.stringify(c)).toBe('rejected');
      expect(caught).toBeInstanceOf(FormatError);
      expect(caught?.details.file).toMatch(/\.archive$/);
      // The truncated entry's content fails while reading; its index is not checked here (the
      // extractor reports the next index for failures inside an entry's data).
      if (c.declaredSize === undefined) expect(caught?.details.field).toBe('entries[1]');
    }
  });

  it('extracts random clean archives exactly (every file, byte for byte)', async () => {
    const tree = fc
      .uniqueArray(
        fc.array(fc.constantFrom('a', 'b', 'c.nii.gz', 'Task09'), { minLength: 1, maxLength: 3 }),
        { minLength: 1, maxLength: 6, selector: (s) => s.join('/') },
      )
      // A path cannot be both a file and a folder of another file.
      .map((paths) =>
        paths.filter(
          (p) =>
            !paths.some(
              (q) => q.length > p.length && q.slice(0, p.length).join('/') === p.join('/'),
            ),
        ),
      );
    await fc.assert(
      fc.asyncProperty(
        tree,
        fc.array(fc.uint8Array({ maxLength: 1500 }), { minLength: 6, maxLength: 6 }),
        fc.boolean(),
        async (paths, contents, gzip) => {
          const { dest, box } = await sandbox();
          const entries: EntrySpec[] = paths.map((p, i) => ({
            name: p.join('/'),
            type: '0',
            linkname: '',
            content: contents[i],
            badChecksum: false,
          }));
          const raw = tarBytes(entries);
          const archive = path.join(base, `${counter}-clean.tar`);
          await writeFile(archive, gzip ? gzipSync(raw) : raw);
          const result = await extractTarArchive(archive, dest);
          expect(result.files).toBe(entries.length);
          expect(result.bytes).toBe(entries.reduce((n, e) => n + e.content.length, 0));
          expect(result.topLevel).toEqual([...new Set(paths.map((p) => p[0]))].sort());
          for (const e of entries) {
            const written = await readFile(path.join(dest, ...e.name.split('/')));
            expect(new Uint8Array(written)).toEqual(e.content);
          }
          const files = [...(await walk(dest)).values()].filter((k) => k === 'file').length;
          expect(files).toBe(entries.length);
          await rm(box, { recursive: true, force: true });
          await rm(archive, { force: true });
        },
      ),
      { numRuns: 40 },
    );
  });

  it('extracts a clean archive with files and folders', async () => {
    const { dest, box } = await sandbox();
    const archive = path.join(base, 'clean.tar.gz');
    const text = new TextEncoder().encode('hello');
    await writeFile(
      archive,
      gzipSync(
        tarBytes([
          {
            name: 'Task/',
            type: '5',
            linkname: '',
            content: new Uint8Array(0),
            badChecksum: false,
          },
          { name: 'Task/a.txt', type: '0', linkname: '', content: text, badChecksum: false },
        ]),
      ),
    );
    const result = await extractTarArchive(archive, dest);
    expect(result).toEqual({ topLevel: ['Task'], files: 1, bytes: 5 });
    expect(await readFile(path.join(dest, 'Task', 'a.txt'), 'utf8')).toBe('hello');
    await rm(box, { recursive: true, force: true });
  });
});
