import { randomBytes } from 'node:crypto';
import { HdfsError, QpipeError } from '../errors';
import type { HdfsBody, HdfsClient } from '../hdfs-client';
import type { Logger } from '../log';
import { streamEpochsDir } from '../pure/stream';

/**
 * The fence against zombie writers of a topic partition (issue 11, item 6).
 *
 * Kafka's group gives a partition to one member at a time, but a member that lost it may not know
 * yet (a long flush, a pause, a timer flush after a revoke): without a fence, such a writer could
 * commit offsets whose files the new owner's recovery just deleted, and those records would be in
 * no file. HDFS has no compare-and-set on a file's content, so the fence is made of what it does
 * have, an atomic rename that fails when its source or the destination's parent is gone:
 *
 *   <root>/stream/_epochs/<topic>+<partition>/e<N>/   the workspace of the owner of epoch N
 *
 * - Whoever recovers the partition claims the next epoch: it creates `e<N>/claim` without
 *   overwrite (exclusive; a lost race claims the next number), then turns every older workspace
 *   into a plain file (delete it, create a file of that name; again while a late upload recreates
 *   it as a directory).
 * - Every write of the owner (data files, the commit file) is uploaded into its workspace and
 *   renamed into place; every delete renames the file into the workspace first. Once the workspace
 *   is a file, each of those renames fails: a fenced writer can change nothing, and the new owner,
 *   which fenced before it read the commit file, sees everything the old one did.
 *
 * Fenced workspaces stay as empty files (one per change of owner): deleting one would let a zombie's
 * upload recreate it as a directory.
 */
export class PartitionEpoch {
  private constructor(
    private readonly hdfs: HdfsClient,
    private readonly topic: string,
    private readonly partition: number,
    /** The epoch number: one more than every earlier owner's. */
    readonly number: number,
    /** This owner's workspace directory. */
    readonly workspace: string,
  ) {}

  /** Claims the partition's next epoch and fences every older one (see the class comment). */
  static async claim(hdfs: HdfsClient, root: string, topic: string, partition: number, log: Logger): Promise<PartitionEpoch> {
    const dir = streamEpochsDir(root, topic, partition);
    for (let attempt = 0; attempt < 20; attempt += 1) {
      const entries = (await hdfs.listIfExists(dir)).map((entry) => ({ ...entry, epoch: parseEpochName(entry.name) })).filter((entry) => entry.epoch !== undefined);
      const number = entries.reduce((highest, entry) => Math.max(highest, entry.epoch!), 0) + 1;
      const workspace = `${dir}/${epochName(number)}`;
      try {
        await hdfs.create(`${workspace}/claim`, '', { overwrite: false });
      } catch (error) {
        // Another claimer took this number (or fenced it already): claim above it.
        if (isTaken(error)) continue;
        throw error;
      }
      const fenced = entries.filter((entry) => entry.epoch! < number && entry.type === 'DIRECTORY');
      for (const entry of fenced) await fence(hdfs, entry.path);
      if (fenced.length > 0) log.info({ topic, partition, epoch: number, fenced: fenced.map((entry) => entry.epoch) }, 'partition epoch claimed: older owners fenced');
      return new PartitionEpoch(hdfs, topic, partition, number, workspace);
    }
    throw new QpipeError(`could not claim an epoch of ${topic}+${partition} in ${dir}: other claimers kept taking the next number`, { topic, partition, dir });
  }

  /** Writes `path` atomically, its temporary file in the workspace: refused once this epoch is fenced. */
  async putAtomic(path: string, body: HdfsBody, options: { overwrite?: boolean } = {}): Promise<void> {
    await this.hdfs.putAtomic(path, body, { ...options, temporaryDir: this.workspace });
  }

  /**
   * Deletes `path` by renaming it into the workspace first: refused once this epoch is fenced. False
   * when there was nothing to delete.
   */
  async delete(path: string): Promise<boolean> {
    const moved = `${this.workspace}/deleted-${randomBytes(8).toString('hex')}`;
    try {
      await this.hdfs.rename(path, moved);
    } catch (error) {
      if (error instanceof HdfsError && !(await this.hdfs.exists(path))) return false;
      throw error;
    }
    await this.hdfs.delete(moved);
    return true;
  }

  /** Whether a newer owner has fenced this epoch (its workspace is no longer a directory). */
  async isFenced(): Promise<boolean> {
    return (await this.hdfs.stat(this.workspace))?.type !== 'DIRECTORY';
  }

  /** Runs `task` (this owner's writes); when it fails because the epoch was fenced, throws a {@link FencedError} instead. */
  async writing<T>(task: () => Promise<T>): Promise<T> {
    try {
      return await task();
    } catch (error) {
      if (await this.isFenced().catch(() => false)) throw new FencedError(this.topic, this.partition, this.number, { cause: error });
      throw error;
    }
  }
}

/**
 * A write of a fenced writer was refused: a newer owner holds the partition. Nothing of it is
 * durable; the partition's new owner reads on from the commit file.
 */
export class FencedError extends QpipeError {
  constructor(topic: string, partition: number, epoch: number, options?: { cause?: unknown }) {
    super(`${topic}+${partition}: epoch ${epoch} was fenced by a newer owner of the partition; its write was refused`, { topic, partition, epoch }, options);
  }
}

const epochName = (number: number) => `e${number}`;

function parseEpochName(name: string): number | undefined {
  const match = /^e([1-9]\d{0,14})$/.exec(name);
  return match ? Number(match[1]) : undefined;
}

/** Whether a create failed because its path (or a parent as a file) is there: someone else's, not a fault. */
function isTaken(error: unknown): boolean {
  return error instanceof HdfsError && ['FileAlreadyExistsException', 'ParentNotDirectoryException', 'AlreadyBeingCreatedException'].includes(error.exception ?? '');
}

/** Turns the workspace `path` into an empty file, whatever a late upload does meanwhile. */
async function fence(hdfs: HdfsClient, path: string): Promise<void> {
  for (let attempt = 0; attempt < 20; attempt += 1) {
    if ((await hdfs.stat(path))?.type === 'FILE') return;
    await hdfs.delete(path, { recursive: true });
    try {
      await hdfs.create(path, '', { overwrite: false });
      return;
    } catch (error) {
      // A late upload recreated the directory in between: delete it again.
      if (!isTaken(error)) throw error;
    }
  }
  throw new QpipeError(`could not fence ${path}: a writer keeps recreating it`, { path });
}
