import { randomUUID } from 'node:crypto';
import { mkdir, open, rename, rm } from 'node:fs/promises';
import path from 'node:path';

/**
 * Writes a local file atomically: readers see the previous content or the new one, never a part.
 * The bytes go to a hidden file beside the target (`.<name>.<random>.tmp`: same directory, so the
 * rename cannot cross filesystems, and a name no reader picks up), are flushed to disk (fsync), then
 * renamed over the target; the directory is fsynced too, so the rename survives a crash. The
 * directory is created when missing. On failure the temporary file is removed and the target is
 * left as it was. Concurrent writers each use their own temporary file; the last rename wins.
 */
export async function writeFileAtomic(target: string, content: string | Uint8Array): Promise<void> {
  const dir = path.dirname(target);
  await mkdir(dir, { recursive: true });
  const temporary = path.join(dir, `.${path.basename(target)}.${randomUUID().slice(0, 8)}.tmp`);
  try {
    const file = await open(temporary, 'wx');
    try {
      await file.writeFile(content);
      await file.sync();
    } finally {
      await file.close();
    }
    await rename(temporary, target);
  } catch (error) {
    // The write's own error is the one to report; a temporary file that cannot be removed is left.
    await rm(temporary, { force: true }).catch(() => undefined);
    throw error;
  }
  const directory = await open(dir, 'r');
  try {
    await directory.sync();
  } finally {
    await directory.close();
  }
}
