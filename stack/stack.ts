import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { stackProfiles, type Config, type StackProfile } from '../lib/config';
import { StackError } from '../lib/errors';
import { installStack, type Progress } from './install';
import { stackLayout, type StackLayout } from './layout';
import { groupResidentMiB, logPath, logTail, runningPid, runningProcesses, startProcess, stopProcess } from './processes';
import { profileServiceNames, stackServices, type Service, type ServiceName } from './services';

export interface ServiceStatus {
  readonly name: ServiceName;
  readonly healthy: boolean;
  /** Why it is not healthy (down, or the failing check's message). */
  readonly problem?: string;
  readonly processes: { name: string; pid?: number; rssMiB?: number }[];
  readonly endpoints: string;
}

/** The profile the stack was last started with (`up` records it; `down` keeps it, `wipe` forgets it). */
export function lastProfile(stackDir: string): StackProfile | undefined {
  try {
    const recorded = readFileSync(stackLayout(stackDir).profileFile, 'utf8').trim();
    return stackProfiles.find((profile) => profile === recorded);
  } catch {
    return undefined;
  }
}

/** The order `down` stops processes in: dependents before what they depend on. */
const stopOrder = [/^spark-thrift$/, /^spark-worker-/, /^spark-master$/, /^postgres$/, /^kafka$/, /^hdfs-datanode$/, /^hdfs-namenode$/, /^temporal$/];

export class LocalStack {
  readonly layout: StackLayout;
  /** `profile` if given, else `QPIPE_STACK_PROFILE`, else the one the stack last ran, else local. */
  readonly profile: StackProfile;

  constructor(
    private readonly config: Config,
    private readonly progress: Progress = () => undefined,
    profile?: StackProfile,
  ) {
    this.profile = profile ?? config.stack.profile ?? lastProfile(config.stack.dir) ?? 'local';
    this.layout = stackLayout(config.stack.dir, this.profile);
  }

  /** Built on each use: paths inside the installs (SPARK_HOME) exist only once `up` has installed them. */
  get services(): Record<ServiceName, Service> {
    return stackServices(this.config, this.layout, this.profile, this.progress);
  }

  /** This profile's services, in start order. */
  get serviceNames(): readonly ServiceName[] {
    return profileServiceNames(this.profile);
  }

  /** Installs what is missing, then starts every service not yet healthy and waits for all. Idempotent. */
  async up(): Promise<ServiceStatus[]> {
    await this.claimProfile();
    await installStack(this.layout, this.config.home, this.progress);
    this.progress(`profile ${this.profile}`);
    const services = this.services;
    const started = new Map<ServiceName, Promise<void>>();
    const start = (name: ServiceName): Promise<void> => {
      let promise = started.get(name);
      if (!promise) {
        const service = services[name];
        promise = Promise.all(service.after.map(start)).then(() => this.startService(service));
        started.set(name, promise);
      }
      return promise;
    };
    const results = await Promise.allSettled(this.serviceNames.map(start));
    const failures = results.flatMap((result) => (result.status === 'rejected' ? [result.reason as unknown] : []));
    if (failures.length > 0) throw failures[0];
    return this.status();
  }

  /**
   * A stack runs one profile at a time (both use the same ports and process names): refuses to
   * start this one while a process another profile started runs (each pid file names its
   * profile), then records this one for `status` and `down`.
   */
  private async claimProfile(): Promise<void> {
    const others = (await runningProcesses(this.layout)).filter((process) => process.profile !== this.profile);
    if (others.length > 0) {
      throw new StackError('stack', `the ${others[0]!.profile} profile is running (${others.map((process) => process.name).join(', ')}): stop it first with bin/qpipe stack down`);
    }
    await mkdir(this.layout.run, { recursive: true });
    await writeFile(this.layout.profileFile, this.profile + '\n');
  }

  /**
   * Stops exactly the processes the stack started (every pid file, whatever profile or settings
   * started it): the Thrift Server first, then the Spark workers, the master, and the services
   * they use; PostgreSQL with its fast shutdown.
   */
  async down(): Promise<string[]> {
    const stopped: string[] = [];
    const rank = (name: string) => {
      const index = stopOrder.findIndex((pattern) => pattern.test(name));
      return index === -1 ? stopOrder.length : index;
    };
    const running = (await runningProcesses(this.layout)).sort((a, b) => rank(a.name) - rank(b.name));
    for (const { name } of running) {
      if (await stopProcess(this.layout, name)) {
        stopped.push(name);
        this.progress(`stopped ${name}`);
      }
    }
    return stopped;
  }

  /** Stops the stack and deletes all its state, of both profiles (data, logs, generated configs); installs stay. */
  async wipe(): Promise<void> {
    await this.down();
    for (const dir of [stackLayout(this.config.stack.dir).state, this.layout.logs, this.layout.conf, this.layout.run]) {
      await rm(dir, { recursive: true, force: true });
    }
    this.progress(`deleted the stack's state under ${this.layout.dir}`);
  }

  /** Each service's health (a real request), its processes and their resident memory. */
  async status(): Promise<ServiceStatus[]> {
    const services = this.services;
    return Promise.all(
      this.serviceNames.map(async (name) => {
        const service = services[name];
        const processes = await Promise.all(
          service.processes.map(async ({ name: processName }) => {
            const pid = await runningPid(this.layout, processName);
            return { name: processName, pid, rssMiB: pid === undefined ? undefined : groupResidentMiB(pid) };
          }),
        );
        const down = processes.filter((process) => process.pid === undefined).map((process) => process.name);
        if (down.length > 0) return { name, healthy: false, problem: `not running: ${down.join(', ')}`, processes, endpoints: service.endpoints };
        try {
          await service.check();
          return { name, healthy: true, processes, endpoints: service.endpoints };
        } catch (error) {
          return { name, healthy: false, problem: (error as Error).message, processes, endpoints: service.endpoints };
        }
      }),
    );
  }

  private async startService(service: Service): Promise<void> {
    const running = await Promise.all(service.processes.map((process) => runningPid(this.layout, process.name)));
    if (running.every((pid) => pid !== undefined) && (await this.passes(service))) {
      this.progress(`${service.name} is already up (${service.endpoints})`);
      await service.ready?.();
      return;
    }
    const toStart = service.processes.filter((_, index) => running[index] === undefined);
    await this.assertPortsFree(service, toStart.length === service.processes.length);
    await service.prepare();
    const startedAt = Date.now();
    for (const process of toStart) {
      const pid = await startProcess(this.layout, process, this.profile);
      this.progress(`started ${process.name} (pid ${pid}, log ${logPath(this.layout, process.name)})`);
    }
    await this.waitHealthy(service);
    await service.ready?.();
    this.progress(`${service.name} is healthy after ${((Date.now() - startedAt) / 1000).toFixed(1)} s (${service.endpoints})`);
  }

  /** Whether a started process still runs: looked at twice, 500 ms apart, as one look can fall in the instant a launcher execs its JVM. */
  private async stillRunning(name: string): Promise<boolean> {
    if ((await runningPid(this.layout, name)) !== undefined) return true;
    await sleep(500);
    return (await runningPid(this.layout, name)) !== undefined;
  }

  private async waitHealthy(service: Service): Promise<void> {
    const deadline = Date.now() + this.config.stack.startTimeoutMs;
    let lastError: unknown;
    while (Date.now() < deadline) {
      for (const process of service.processes) {
        if (!(await this.stillRunning(process.name))) {
          throw new StackError(service.name, `${process.name} exited while starting; log: ${logPath(this.layout, process.name)}`, logTail(this.layout, process.name));
        }
      }
      try {
        await service.check();
        return;
      } catch (error) {
        lastError = error;
      }
      await sleep(500);
    }
    const tails = service.processes.map((process) => `--- ${logPath(this.layout, process.name)}\n${logTail(this.layout, process.name)}`).join('\n');
    throw new StackError(
      service.name,
      `not healthy within ${this.config.stack.startTimeoutMs} ms (last check: ${(lastError as Error | undefined)?.message ?? 'none'})`,
      tails,
      { cause: lastError },
    );
  }

  private async passes(service: Service): Promise<boolean> {
    try {
      await service.check();
      return true;
    } catch {
      return false;
    }
  }

  /** A port held by a process the stack did not start would make the service fail obscurely: say so first. */
  private async assertPortsFree(service: Service, wholeService: boolean): Promise<void> {
    if (!wholeService || service.processes.length === 0) return;
    for (const port of servicePorts(this.config, service.name, this.profile)) {
      if (!(await portFree(port))) {
        throw new StackError(service.name, `port ${port} is in use by a process this stack did not start; stop it or set the port's QPIPE_*_PORT variable`);
      }
    }
  }
}

function servicePorts(config: Config, name: ServiceName, profile: StackProfile): number[] {
  const { ports } = config.stack;
  switch (name) {
    case 'temporal':
      return [ports.temporal, ports.temporalUi];
    case 'hdfs':
      return [ports.hdfsRpc, ports.hdfsHttp, ports.datanode, ports.datanodeHttp, ports.datanodeIpc];
    case 'kafka':
      return [ports.kafka, ports.kafkaController];
    case 'spark':
      return profile === 'cluster' ? [ports.thrift, ports.sparkUi] : [ports.thrift];
    case 'metastore':
      return [ports.metastore];
    case 'spark-cluster':
      return [ports.sparkMaster, ports.sparkMasterUi, ...Array.from({ length: config.stack.cluster.sparkWorkers }, (_, index) => ports.sparkWorkerUi + index)];
  }
}

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen({ port, host: '127.0.0.1', exclusive: true }, () => server.close(() => resolve(true)));
  });
}
