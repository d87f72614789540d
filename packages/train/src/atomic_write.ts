/**
 * Crash-safe file replacement: write a temporary file next to the target, flush it to disk,
 * rename it over the target (atomic on POSIX file systems), then flush the directory entry.
 * A crash at any point leaves either the old file or the new one, never a torn mix.
 */
import { randomBytes } from 'node:crypto';
import { open, rename, unlink, type FileHandle } from 'node:fs/promises';
import path from 'node:path';

/** Suffix marker of temporary files; a crash can leave `<name>.tmp-*` files behind. */
export const TEMP_MARKER = '.tmp-';

/**
 * Writes `content` (one buffer or a sequence of chunks) to `target` atomically.
 *
 * @param target - final path; its directory must exist.
 * @param content - the bytes; chunks are written in order (lets large files stream).
 */
export async function writeFileAtomic(
  target: string,
  content: Uint8Array | Iterable<Uint8Array> | AsyncIterable<Uint8Array>,
): Promise<void> {
  const temp = `${target}${TEMP_MARKER}${process.pid}-${randomBytes(4).toString('hex')}`;
  const handle = await open(temp, 'w');
  let committed = false;
  try {
    if (content instanceof Uint8Array) {
      await handle.writeFile(content);
    } else {
      for await (const chunk of content) await writeAll(handle, chunk);
    }
    await handle.sync();
    await handle.close();
    await rename(temp, target);
    committed = true;
    await syncDirectory(path.dirname(target));
  } finally {
    if (!committed) {
      await handle.close().catch(() => undefined);
      await unlink(temp).catch(() => undefined);
    }
  }
}

async function writeAll(handle: FileHandle, chunk: Uint8Array): Promise<void> {
  let offset = 0;
  while (offset < chunk.length) {
    const { bytesWritten } = await handle.write(chunk, offset, chunk.length - offset);
    offset += bytesWritten;
  }
}

async function syncDirectory(dir: string): Promise<void> {
  // Persists the rename itself. Not supported everywhere (e.g. Windows): best effort.
  try {
    const d = await open(dir, 'r');
    try {
      await d.sync();
    } finally {
      await d.close();
    }
  } catch {
    // ignore: the data file itself is already synced
  }
}
