import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { pack } from 'tar-stream';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  DataError,
  FormatError,
  ResourceError,
  createMemoryLogger,
  type ProgressEvent,
} from '@voxelkit/core';
import { downloadAndExtract, downloadFile, loadDecathlonDataset } from '../src/node.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const sharedSpleen = path.resolve(here, '../../../../shared/data/spleen-mini');

/** Tar (optionally gzipped) built with tar-stream from literal entries. */
async function makeTar(
  entries: {
    name: string;
    type?: 'file' | 'directory' | 'symlink' | 'link' | 'character-device';
    body?: Buffer | string;
    linkname?: string;
  }[],
  gzip = true,
): Promise<Buffer> {
  const p = pack();
  const chunks: Buffer[] = [];
  const done = new Promise<void>((resolve, reject) => {
    p.on('data', (c) => chunks.push(c as Buffer));
    p.on('end', () => resolve());
    p.on('error', reject);
  });
  for (const e of entries) {
    const type = e.type ?? 'file';
    if (type === 'file') p.entry({ name: e.name, type }, e.body ?? '');
    else p.entry({ name: e.name, type, linkname: e.linkname });
  }
  p.finalize();
  await done;
  const tar = Buffer.concat(chunks);
  return gzip ? gzipSync(tar, { level: 1 }) : tar;
}

const md5 = (b: Buffer) => createHash('md5').update(b).digest('hex');

/** The shared spleen-mini folder as `spleen-mini/…` entries of a .tar.gz. */
async function spleenArchive(): Promise<Buffer> {
  const entries: Parameters<typeof makeTar>[0] = [{ name: 'spleen-mini/', type: 'directory' }];
  entries.push({
    name: 'spleen-mini/dataset.json',
    body: await readFile(path.join(sharedSpleen, 'dataset.json')),
  });
  for (const sub of ['imagesTr', 'labelsTr']) {
    for (const f of (await readdir(path.join(sharedSpleen, sub))).sort()) {
      entries.push({
        name: `spleen-mini/${sub}/${f}`,
        body: await readFile(path.join(sharedSpleen, sub, f)),
      });
    }
  }
  return makeTar(entries);
}

interface Served {
  body: Buffer;
  /** Close the socket after this many body bytes, on the first request only. */
  cutFirstAt?: number;
  /** Send this many body bytes, then go silent (socket left open), on the first request only. */
  stallFirstAt?: number;
  /** Announce this Content-Length (and send a few bytes only). */
  fakeLength?: number;
  /** Answer 200 with the whole body even when a Range is asked for. */
  ignoreRange?: boolean;
  status?: number;
}

let server: http.Server;
let base = '';
const routes = new Map<string, Served>();
const requests: { url: string; range?: string }[] = [];

beforeAll(async () => {
  server = http.createServer((req, res) => {
    requests.push({ url: req.url ?? '', range: req.headers.range });
    const route = routes.get(req.url ?? '');
    if (!route || route.status) {
      res.writeHead(route?.status ?? 404).end();
      return;
    }
    const { body } = route;
    const range = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
    if (range && !route.ignoreRange) {
      const start = Number(range[1]);
      if (start >= body.length) {
        res.writeHead(416, { 'content-range': `bytes */${body.length}` }).end();
        return;
      }
      res.writeHead(206, {
        'content-length': body.length - start,
        'content-range': `bytes ${start}-${body.length - 1}/${body.length}`,
      });
      res.end(body.subarray(start));
      return;
    }
    if (route.fakeLength !== undefined) {
      res.writeHead(200, { 'content-length': route.fakeLength });
      res.write(body.subarray(0, 16));
      return;
    }
    res.writeHead(200, { 'content-length': body.length });
    if (route.stallFirstAt !== undefined) {
      const stall = route.stallFirstAt;
      route.stallFirstAt = undefined;
      res.write(body.subarray(0, stall));
      return;
    }
    if (route.cutFirstAt !== undefined) {
      const cut = route.cutFirstAt;
      route.cutFirstAt = undefined;
      res.write(body.subarray(0, cut), () => setTimeout(() => res.socket?.destroy(), 20));
      return;
    }
    res.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

let tmp = '';
beforeEach(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'vk-download-'));
  routes.clear();
  requests.length = 0;
});
afterEach(async () => {
  await rm(tmp, { recursive: true, force: true });
});

describe('downloadAndExtract with a local HTTP server', () => {
  let archive: Buffer;
  beforeAll(async () => {
    archive = await spleenArchive();
  });

  it('downloads, verifies MD5, extracts a loadable data set, then skips on the second call', async () => {
    routes.set('/spleen-mini.tar.gz', { body: archive });
    const progress: ProgressEvent[] = [];
    const dest = path.join(tmp, 'data');
    const result = await downloadAndExtract(`${base}/spleen-mini.tar.gz`, dest, {
      md5: md5(archive),
      onProgress: (e) => progress.push(e),
    });
    expect(result).toEqual({
      datasetDir: path.join(dest, 'spleen-mini'),
      archivePath: path.join(dest, 'spleen-mini.tar.gz'),
      downloaded: true,
      extracted: true,
    });
    const ds = await loadDecathlonDataset(result.datasetDir);
    expect(ds.training).toHaveLength(3);
    const original = await readFile(path.join(sharedSpleen, 'imagesTr/spleen_ts002.nii.gz'));
    expect(md5(await readFile(ds.training[1].image))).toBe(md5(original));
    expect(existsSync(`${result.archivePath}.part`)).toBe(false);
    expect((await readdir(dest)).sort()).toEqual(['spleen-mini', 'spleen-mini.tar.gz']);
    const downloads = progress.filter((e) => e.stage === 'download');
    expect(downloads.at(-1)).toMatchObject({ done: archive.length, total: archive.length });
    expect(progress.some((e) => e.stage === 'extract')).toBe(true);

    const again = await downloadAndExtract(`${base}/spleen-mini.tar.gz`, dest, {
      md5: md5(archive),
    });
    expect(again).toMatchObject({ downloaded: false, extracted: false });
    expect(requests).toHaveLength(1);
  });

  it('a corrupted download (one byte flipped) fails the MD5 check and is deleted', async () => {
    const corrupted = Buffer.from(archive);
    corrupted[corrupted.length >> 1] ^= 0xff;
    routes.set('/spleen-mini.tar.gz', { body: corrupted });
    const dest = path.join(tmp, 'data');
    const error = await downloadAndExtract(`${base}/spleen-mini.tar.gz`, dest, {
      md5: md5(archive),
    }).catch((e) => e);
    expect(error).toBeInstanceOf(DataError);
    expect(error.details).toMatchObject({
      field: 'md5',
      expected: md5(archive),
      actual: md5(corrupted),
    });
    // Neither the archive nor its .part file nor an extracted folder is left behind.
    expect(await readdir(dest)).toEqual([]);
  });

  it('an upper-case expected MD5 is accepted', async () => {
    routes.set('/spleen-mini.tar.gz', { body: archive });
    const result = await downloadAndExtract(`${base}/spleen-mini.tar.gz`, tmp, {
      md5: md5(archive).toUpperCase(),
    });
    expect(result.downloaded).toBe(true);
  });

  it('a connection closed mid-body is resumed with a Range request and completes', async () => {
    const half = Math.floor(archive.length / 2);
    routes.set('/spleen-mini.tar.gz', { body: archive, cutFirstAt: half });
    const logger = createMemoryLogger();
    const result = await downloadAndExtract(`${base}/spleen-mini.tar.gz`, tmp, {
      md5: md5(archive),
      retryDelayMs: 1,
      logger,
    });
    // The resume starts where the received bytes end: at most `half` (bytes in flight when the
    // socket closed are lost), and more than zero.
    expect(requests).toHaveLength(2);
    expect(requests[0].range).toBeUndefined();
    const resumedAt = Number(/^bytes=(\d+)-$/.exec(requests[1].range ?? '')?.[1]);
    expect(resumedAt).toBeGreaterThan(0);
    expect(resumedAt).toBeLessThanOrEqual(half);
    expect(md5(await readFile(result.archivePath))).toBe(md5(archive));
    expect((await loadDecathlonDataset(result.datasetDir)).training).toHaveLength(3);
    expect(logger.records.some((r) => r.level === 'warn' && /retrying/.test(r.message))).toBe(true);
  });

  it('a silent connection times out and the retry resumes where it stopped', async () => {
    const stall = 2_000_000;
    routes.set('/f.bin', { body: archive, stallFirstAt: stall });
    const file = path.join(tmp, 'f.bin');
    await downloadFile(`${base}/f.bin`, file, {
      md5: md5(archive),
      idleTimeoutMs: 300,
      retryDelayMs: 1,
    });
    expect(md5(await readFile(file))).toBe(md5(archive));
    expect(requests).toHaveLength(2);
    const resumedAt = Number(/^bytes=(\d+)-$/.exec(requests[1].range ?? '')?.[1]);
    expect(resumedAt).toBeGreaterThan(0);
    expect(resumedAt).toBeLessThanOrEqual(stall);
  });

  it('an aborted download keeps its .part file, and the next call resumes it', async () => {
    routes.set('/f.bin', { body: archive, stallFirstAt: 1_500_000 });
    const file = path.join(tmp, 'f.bin');
    const controller = new AbortController();
    const aborted = downloadFile(`${base}/f.bin`, file, {
      signal: controller.signal,
      onProgress: (e) => {
        if (e.done >= 1_000_000) controller.abort();
      },
    }).catch((e) => e);
    const error = await aborted;
    expect(error.name).toBe('AbortError');
    const kept = (await readFile(`${file}.part`)).length;
    expect(kept).toBeGreaterThan(0);
    await downloadFile(`${base}/f.bin`, file, { md5: md5(archive) });
    expect(requests.at(-1)!.range).toBe(`bytes=${kept}-`);
    expect(md5(await readFile(file))).toBe(md5(archive));
  });

  it('a .part file left by an earlier run is resumed, not restarted', async () => {
    routes.set('/spleen-mini.tar.gz', { body: archive });
    const partial = 1_000_000;
    await writeFile(path.join(tmp, 'spleen-mini.tar.gz.part'), archive.subarray(0, partial));
    await downloadAndExtract(`${base}/spleen-mini.tar.gz`, tmp, { md5: md5(archive) });
    expect(requests.map((r) => r.range)).toEqual([`bytes=${partial}-`]);
  });

  it('a server that ignores Range restarts the file from zero and still ends correct', async () => {
    routes.set('/f.bin', { body: archive, ignoreRange: true });
    const file = path.join(tmp, 'f.bin');
    await writeFile(`${file}.part`, Buffer.from('stale bytes from some other file'));
    await downloadFile(`${base}/f.bin`, file, { md5: md5(archive) });
    expect(md5(await readFile(file))).toBe(md5(archive));
  });

  it('a complete .part (416 on resume) is accepted after its MD5 checks out', async () => {
    routes.set('/f.bin', { body: archive });
    const file = path.join(tmp, 'f.bin');
    await writeFile(`${file}.part`, archive);
    await downloadFile(`${base}/f.bin`, file, { md5: md5(archive) });
    expect(requests.map((r) => r.range)).toEqual([`bytes=${archive.length}-`]);
    expect(existsSync(file)).toBe(true);
  });

  it('an archive already on disk with the right MD5 is reused without a request', async () => {
    await writeFile(path.join(tmp, 'spleen-mini.tar.gz'), archive);
    const result = await downloadAndExtract(`${base}/spleen-mini.tar.gz`, tmp, {
      md5: md5(archive),
    });
    expect(result).toMatchObject({ downloaded: false, extracted: true });
    expect(requests).toHaveLength(0);
  });

  it('a download larger than the free disk space -> ResourceError before writing, no retry', async () => {
    routes.set('/huge.tar', { body: archive, fakeLength: 2 ** 50 });
    const file = path.join(tmp, 'huge.tar');
    const error = await downloadFile(`${base}/huge.tar`, file, { retryDelayMs: 1 }).catch((e) => e);
    expect(error).toBeInstanceOf(ResourceError);
    expect(error.details).toMatchObject({ field: 'content-length', actual: 2 ** 50 });
    expect(requests).toHaveLength(1);
    expect(existsSync(`${file}.part`)).toBe(false);
  });

  it('HTTP 404 -> DataError on the status, without retries', async () => {
    const error = await downloadFile(`${base}/missing.tar`, path.join(tmp, 'x.tar'), {
      retryDelayMs: 1,
    }).catch((e) => e);
    expect(error).toBeInstanceOf(DataError);
    expect(error.details).toMatchObject({ field: 'HTTP status', actual: 404 });
    expect(requests).toHaveLength(1);
  });

  it('HTTP 503 is retried, then fails with the attempts named', async () => {
    routes.set('/busy', { body: archive, status: 503 });
    const error = await downloadFile(`${base}/busy`, path.join(tmp, 'x'), {
      retries: 2,
      retryDelayMs: 1,
    }).catch((e) => e);
    expect(error).toBeInstanceOf(DataError);
    expect(error.details.field).toBe('retries');
    expect(requests).toHaveLength(3);
  });

  it('an archive without the expected data set folder -> DataError', async () => {
    routes.set('/other.tar.gz', {
      body: await makeTar([{ name: 'other/readme.txt', body: 'hi' }]),
    });
    const error = await downloadAndExtract(`${base}/other.tar.gz`, tmp).catch((e) => e);
    expect(error).toBeInstanceOf(DataError);
    expect(error.details.field).toBe('datasetFolder');
  });

  it('rejects a non-HTTP URL and a malformed MD5 before any request', async () => {
    await expect(downloadAndExtract('file:///etc/passwd', tmp)).rejects.toThrow(/http/);
    await expect(downloadFile(`${base}/x`, path.join(tmp, 'x'), { md5: 'abc' })).rejects.toThrow(
      /md5/,
    );
    expect(requests).toHaveLength(0);
  });
});

describe('downloadAndExtract refuses archives that escape the destination', () => {
  const evil: [string, Parameters<typeof makeTar>[0]][] = [
    [
      'a ../evil file',
      [
        { name: 'ok/a.txt', body: 'fine' },
        { name: '../evil', body: 'pwned' },
      ],
    ],
    ['a nested ../ path', [{ name: 'ok/../../evil', body: 'pwned' }]],
    ['a Windows ..\\ path', [{ name: '..\\evil', body: 'pwned' }]],
    ['a ../ directory', [{ name: '../', type: 'directory' }]],
    ['an absolute path', [{ name: '/tmp/voxelkit-abs-evil', body: 'pwned' }]],
    ['a symlink to outside', [{ name: 'ok/link', type: 'symlink', linkname: '../../evil' }]],
    ['an absolute symlink', [{ name: 'link', type: 'symlink', linkname: '/etc/passwd' }]],
    ['a hard link to outside', [{ name: 'hard', type: 'link', linkname: '../evil' }]],
    ['a device file', [{ name: 'dev', type: 'character-device' }]],
  ];

  for (const [what, entries] of evil) {
    it(`${what} -> FormatError, nothing written outside or left inside`, async () => {
      routes.set('/evil.tar.gz', { body: await makeTar(entries) });
      const dest = path.join(tmp, 'sub', 'dest');
      const error = await downloadAndExtract(`${base}/evil.tar.gz`, dest).catch((e) => e);
      expect(error).toBeInstanceOf(FormatError);
      expect(error.details.file).toBe(path.join(dest, 'evil.tar.gz'));
      expect(error.message).toMatch(/unsafe archive entry|not extracted/);
      expect(existsSync(path.join(tmp, 'sub', 'evil'))).toBe(false);
      expect(existsSync(path.join(tmp, 'evil'))).toBe(false);
      expect(existsSync('/tmp/voxelkit-abs-evil')).toBe(false);
      // Only the archive itself remains: no staging folder, no partial extraction.
      expect(await readdir(dest)).toEqual(['evil.tar.gz']);
    });
  }

  it('an in-tree symlink is skipped with a warning and a plain .tar extracts', async () => {
    const { extractTarArchive } = await import('../src/node.js');
    const tar = await makeTar(
      [
        { name: 'set/a.txt', body: 'A' },
        { name: 'set/alias', type: 'symlink', linkname: 'a.txt' },
      ],
      false,
    );
    await writeFile(path.join(tmp, 'set.tar'), tar);
    const logger = createMemoryLogger();
    const result = await extractTarArchive(path.join(tmp, 'set.tar'), path.join(tmp, 'out'), {
      logger,
    });
    expect(result).toEqual({ topLevel: ['set'], files: 1, bytes: 1 });
    expect(await readdir(path.join(tmp, 'out', 'set'))).toEqual(['a.txt']);
    expect(logger.records.filter((r) => r.level === 'warn')).toHaveLength(1);
  });

  it('a leading ./ entry (tar -C dir -cf x.tar .) is the destination itself', async () => {
    const { extractTarArchive } = await import('../src/node.js');
    const tar = await makeTar([
      { name: './', type: 'directory' },
      { name: './set/', type: 'directory' },
      { name: './set/a.txt', body: 'A' },
    ]);
    await writeFile(path.join(tmp, 'dot.tar.gz'), tar);
    const result = await extractTarArchive(path.join(tmp, 'dot.tar.gz'), path.join(tmp, 'out'));
    expect(result.topLevel).toEqual(['set']);
    expect(await readFile(path.join(tmp, 'out', 'set', 'a.txt'), 'utf8')).toBe('A');
  });

  it('a file entry named ./ -> FormatError', async () => {
    const { extractTarArchive } = await import('../src/node.js');
    await writeFile(path.join(tmp, 'x.tar'), await makeTar([{ name: '.', body: 'x' }], false));
    await expect(extractTarArchive(path.join(tmp, 'x.tar'), path.join(tmp, 'out'))).rejects.toThrow(
      /empty name/,
    );
  });

  it('a corrupt gzip stream -> FormatError and nothing extracted', async () => {
    const { extractTarArchive } = await import('../src/node.js');
    const good = await makeTar([{ name: 'set/a.txt', body: 'x'.repeat(100_000) }]);
    const bad = Buffer.concat([good.subarray(0, 40), Buffer.alloc(200, 7)]);
    await writeFile(path.join(tmp, 'bad.tar.gz'), bad);
    await expect(
      extractTarArchive(path.join(tmp, 'bad.tar.gz'), path.join(tmp, 'out')),
    ).rejects.toThrow(FormatError);
    expect(await readdir(path.join(tmp, 'out'))).toEqual([]);
  });
});
