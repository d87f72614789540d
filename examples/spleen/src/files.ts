/**
 * File helpers for the run folder: atomic writes (temp file, then rename) so a killed process
 * never leaves a half-written config, metrics file or checkpoint behind.
 */
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';

/** Writes `data` to `path` through a temp file in the same folder and a rename. */
export async function writeFileAtomic(path: string, data: string | Uint8Array): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const temp = `${path}.tmp-${process.pid}`;
  await writeFile(temp, data);
  await rename(temp, path);
}

/**
 * Replaces the folder `path` by the folder `staged` as atomically as a file system allows: the
 * old folder is moved aside, the new one renamed into place, then the old one deleted. A crash
 * between the two renames leaves `<path>.old`, which {@link recoverFolder} puts back.
 */
export async function replaceFolder(staged: string, path: string): Promise<void> {
  const old = `${path}.old`;
  await rm(old, { recursive: true, force: true });
  await rename(path, old).catch((e: NodeJS.ErrnoException) => {
    if (e.code !== 'ENOENT') throw e;
  });
  await rename(staged, path);
  await rm(old, { recursive: true, force: true });
}

/** Restores `<path>.old` when a crash hit between the two renames of {@link replaceFolder}. */
export async function recoverFolder(path: string): Promise<void> {
  const old = `${path}.old`;
  await rename(old, path).catch((e: NodeJS.ErrnoException) => {
    if (e.code !== 'ENOENT' && e.code !== 'ENOTEMPTY' && e.code !== 'EEXIST') throw e;
  });
}
