import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import type { HdfsClient } from './hdfs-client';
import { HdfsError, QpipeError } from './errors';
import type { Logger } from './log';

/**
 * A lease on HDFS that lets one holder at a time in, across processes and hosts: the batch lane of
 * every worker of a deployment (two `qpipe worker`s, or a rolling restart, never run two batch
 * activities at once).
 *
 * The lease is the newest of the files `<dir>/lease-<generation>.json`, each `{ owner, expiresAt }`.
 * To take it, a holder writes the next generation with putAtomic without overwrite (a checked
 * rename: of two that try the same generation, one wins), then checks that its generation is still
 * the newest (an acquirer that read an older state may create a lower generation late: it loses).
 * Generations only grow: a release does not delete its file but marks it expired, and a new holder
 * deletes only the generations below its own. A lease is free when there is none, or when the
 * newest has expired (released, or its holder died or froze): then the next generation takes over.
 *
 * The holder renews its expiry every third of the ttl, one renewal at a time, never once its own
 * last confirmed expiry has passed; release waits for a renewal in flight. Before it reports
 * success it checks that it still holds the lease and that its expiry never lapsed: a holder that
 * froze (or lost HDFS) past its ttl fails and is retried under a new lease. What it did while
 * frozen is not undone; every lane activity is idempotent. Expiry is read against the reader's
 * clock: hosts keep NTP time, and the ttl (30 s) is far above their skew.
 */
export interface LeaseOptions {
  /** The lease's directory, e.g. `<root>/_lanes/batch-lane`. */
  readonly dir: string;
  /** How long a lease lasts without renewal (ms). */
  readonly ttlMs: number;
  /** How often a waiting holder looks again (ms). */
  readonly pollMs: number;
}

export interface LeaseFile {
  readonly owner: string;
  /** Epoch ms. */
  readonly expiresAt: number;
  readonly what?: string;
}

/** The lease was taken over by a newer generation while its holder worked. */
export class LeaseLostError extends QpipeError {}

const leaseName = (generation: number) => `lease-${String(generation).padStart(12, '0')}.json`;
const generationOf = (name: string) => {
  const match = /^lease-(\d{12})\.json$/.exec(name);
  return match ? Number(match[1]) : undefined;
};

export class HdfsLease {
  readonly owner = `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`;

  constructor(
    private readonly hdfs: HdfsClient,
    private readonly options: LeaseOptions,
    private readonly log: Logger,
  ) {}

  private path(generation: number): string {
    return `${this.options.dir}/${leaseName(generation)}`;
  }

  /** The newest generation and its file (looked for again if the file vanished meanwhile). */
  private async newest(): Promise<{ generation: number; lease?: LeaseFile } | undefined> {
    const generations = (await this.hdfs.listIfExists(this.options.dir)).flatMap((entry) => generationOf(entry.name) ?? []).sort((a, b) => a - b);
    const generation = generations.at(-1);
    if (generation === undefined) return undefined;
    try {
      return { generation, lease: JSON.parse(await this.hdfs.readText(this.path(generation))) as LeaseFile };
    } catch (error) {
      // Deleted by its holder meanwhile: look again.
      if (error instanceof HdfsError && error.exception === 'FileNotFoundException') return this.newest();
      throw error;
    }
  }

  /**
   * Waits for the lease and takes it for `what` (an activity), calling `waiting` with the holder at
   * every look while another holds it; resolves to the generation held and its confirmed expiry.
   */
  async acquire(what: string, waiting: (holder: LeaseFile) => void = () => undefined, signal?: AbortSignal): Promise<{ generation: number; confirmedUntil: number }> {
    for (;;) {
      signal?.throwIfAborted();
      const newest = await this.newest();
      if (newest?.lease && newest.lease.expiresAt > Date.now()) {
        waiting(newest.lease);
        await sleep(this.options.pollMs, undefined, { signal });
        continue;
      }
      const generation = (newest?.generation ?? 0) + 1;
      if (newest?.lease && newest.lease.expiresAt > 0) this.log.warn({ lease: this.options.dir, holder: newest.lease.owner, what: newest.lease.what, expiredMs: Date.now() - newest.lease.expiresAt }, 'lane lease expired: taking it over');
      const written = Date.now();
      try {
        await this.hdfs.putAtomic(this.path(generation), this.content(what, written), { overwrite: false });
      } catch (error) {
        // Another holder took this generation first.
        if (error instanceof HdfsError && error.exception === 'FileAlreadyExistsException') continue;
        throw error;
      }
      // Created late from an old look: a newer generation exists, and it wins.
      const now = await this.newest();
      if (now?.generation !== generation || now.lease?.owner !== this.owner) {
        await this.hdfs.delete(this.path(generation)).catch(() => undefined);
        continue;
      }
      for (const entry of await this.hdfs.listIfExists(this.options.dir)) {
        const older = generationOf(entry.name);
        if (older !== undefined && older < generation) await this.hdfs.delete(entry.path).catch(() => undefined);
      }
      this.log.debug({ lease: this.options.dir, generation, what }, 'lane lease taken');
      return { generation, confirmedUntil: written + this.options.ttlMs };
    }
  }

  private content(what: string, from: number): string {
    return JSON.stringify({ owner: this.owner, expiresAt: from + this.options.ttlMs, what } satisfies LeaseFile);
  }

  /** Throws {@link LeaseLostError} unless `generation` is still the newest and this holder's. */
  async check(generation: number): Promise<void> {
    const newest = await this.newest();
    if (newest?.generation !== generation || newest.lease?.owner !== this.owner) {
      throw new LeaseLostError(`the lane lease ${leaseName(generation)} was taken over (now ${newest ? `${leaseName(newest.generation)} of ${newest.lease?.owner}` : 'free'}): this holder froze past its ${this.options.ttlMs} ms`);
    }
  }

  /**
   * Extends the lease's expiry, after checking it is still held, and resolves to the new confirmed
   * expiry. Refused once `confirmedUntil` is near (a sixth of the ttl): past it, another may take over.
   */
  async renew(generation: number, what: string, confirmedUntil: number): Promise<number> {
    if (Date.now() > confirmedUntil - this.options.ttlMs / 6) throw new LeaseLostError(`the lane lease ${leaseName(generation)} was not renewed in time (its expiry passed or is near)`);
    await this.check(generation);
    const written = Date.now();
    await this.hdfs.putAtomic(this.path(generation), this.content(what, written), { overwrite: true });
    return written + this.options.ttlMs;
  }

  /** Gives the lease up, if still held: its file stays, expired, so generations keep growing. */
  async release(generation: number, what: string): Promise<void> {
    const newest = await this.newest();
    if (newest?.generation === generation && newest.lease?.owner === this.owner) {
      await this.hdfs.putAtomic(this.path(generation), JSON.stringify({ owner: this.owner, expiresAt: 0, what } satisfies LeaseFile), { overwrite: true });
    }
  }

  /**
   * Runs `work` holding the lease: acquired first (`waiting` called while another holds it),
   * renewed every third of the ttl (one renewal at a time), checked before success is reported,
   * released at the end after any renewal in flight.
   */
  async hold<T>(what: string, work: () => Promise<T>, waiting?: (holder: LeaseFile) => void, signal?: AbortSignal): Promise<T> {
    const acquired = await this.acquire(what, waiting, signal);
    const { generation } = acquired;
    let confirmedUntil = acquired.confirmedUntil;
    let lost: LeaseLostError | undefined;
    let stopped = false;
    let renewing: Promise<void> = Promise.resolve();
    const renewal = setInterval(() => {
      renewing = renewing.then(async () => {
        if (stopped || lost) return;
        try {
          confirmedUntil = await this.renew(generation, what, confirmedUntil);
        } catch (error) {
          if (error instanceof LeaseLostError) lost = error;
          this.log.error({ lease: this.options.dir, generation, what, error }, 'lane lease renewal failed');
        }
      });
    }, Math.max(1, Math.floor(this.options.ttlMs / 3)));
    try {
      const result = await work();
      stopped = true;
      await renewing;
      if (lost) throw lost;
      if (Date.now() > confirmedUntil) throw new LeaseLostError(`the lane lease ${leaseName(generation)} lapsed while ${what} ran (its renewals failed)`);
      await this.check(generation);
      return result;
    } finally {
      stopped = true;
      clearInterval(renewal);
      await renewing;
      await this.release(generation, what).catch((error: unknown) => this.log.warn({ lease: this.options.dir, generation, error }, 'lane lease release failed; it expires by itself'));
    }
  }
}
