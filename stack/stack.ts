import { createServer } from 'node:net';
import { rm } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Config } from '../lib/config';
import { StackError } from '../lib/errors';
import { installStack, type Progress } from './install';
import { stackLayout, type StackLayout } from './layout';
import { logPath, logTail, residentMiB, runningPid, startProcess, stopProcess } from './processes';
import { serviceNames, stackServices, type Service, type ServiceName } from './services';

export interface ServiceStatus {
  readonly name: ServiceName;
  readonly healthy: boolean;
  /** Why it is not healthy (down, or the failing check's message). */
  readonly problem?: string;
  readonly processes: { name: string; pid?: number; rssMiB?: number }[];
  readonly endpoints: string;
}

export class LocalStack {
  readonly layout: StackLayout;

  constructor(
    private readonly config: Config,
    private readonly progress: Progress = () => undefined,
  ) {
    this.layout = stackLayout(config.stack.dir);
  }

  /** Built on each use: paths inside the installs (SPARK_HOME) exist only once `up` has installed them. */
  get services(): Record<ServiceName, Service> {
    return stackServices(this.config, this.layout);
  }

  /** Installs what is missing, then starts every service not yet healthy and waits for all. Idempotent. */
  async up(): Promise<ServiceStatus[]> {
    await installStack(this.layout, this.config.home, this.progress);
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
    const results = await Promise.allSettled(serviceNames.map(start));
    const failures = results.flatMap((result) => (result.status === 'rejected' ? [result.reason as unknown] : []));
    if (failures.length > 0) throw failures[0];
    return this.status();
  }

  /** Stops exactly the processes the stack started (recorded in its pid files), newest service first. */
  async down(): Promise<string[]> {
    const stopped: string[] = [];
    for (const name of [...serviceNames].reverse()) {
      for (const process of this.services[name].processes) {
        if (await stopProcess(this.layout, process.name)) {
          stopped.push(process.name);
          this.progress(`stopped ${process.name}`);
        }
      }
    }
    return stopped;
  }

  /** Stops the stack and deletes all its state (data, logs, generated configs); installs stay. */
  async wipe(): Promise<void> {
    await this.down();
    for (const dir of [this.layout.state, this.layout.logs, this.layout.conf, this.layout.run]) {
      await rm(dir, { recursive: true, force: true });
    }
    this.progress(`deleted the stack's state under ${this.layout.dir}`);
  }

  /** Each service's health (a real request), its processes and their resident memory. */
  async status(): Promise<ServiceStatus[]> {
    return Promise.all(
      serviceNames.map(async (name) => {
        const service = this.services[name];
        const processes = await Promise.all(
          service.processes.map(async ({ name: processName }) => {
            const pid = await runningPid(this.layout, processName);
            return { name: processName, pid, rssMiB: pid === undefined ? undefined : residentMiB(pid) };
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
      const pid = await startProcess(this.layout, process);
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
    if (!wholeService) return;
    for (const port of servicePorts(this.config, service.name)) {
      if (!(await portFree(port))) {
        throw new StackError(service.name, `port ${port} is in use by a process this stack did not start; stop it or set the port's QPIPE_*_PORT variable`);
      }
    }
  }
}

function servicePorts(config: Config, name: ServiceName): number[] {
  const { ports } = config.stack;
  switch (name) {
    case 'temporal':
      return [ports.temporal, ports.temporalUi];
    case 'hdfs':
      return [ports.hdfsRpc, ports.hdfsHttp, ports.datanode, ports.datanodeHttp, ports.datanodeIpc];
    case 'kafka':
      return [ports.kafka, ports.kafkaController];
    case 'spark':
      return [ports.thrift];
  }
}

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen({ port, host: '127.0.0.1', exclusive: true }, () => server.close(() => resolve(true)));
  });
}
