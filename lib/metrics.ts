import { createServer, type Server } from 'node:http';
import type { Logger } from './log';

/**
 * A small Prometheus registry (text exposition format 0.0.4): counters, gauges and histograms with
 * labels, rendered on each scrape. qpipe's processes each keep one and serve it with
 * {@link serveMetrics}; nothing here leaves the process until a scrape asks.
 */

export type Labels = Readonly<Record<string, string>>;

const labelText = (labels: Labels): string => {
  const entries = Object.entries(labels);
  if (entries.length === 0) return '';
  const escape = (value: string) => value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
  return `{${entries.map(([name, value]) => `${name}="${escape(value)}"`).join(',')}}`;
};

const valueText = (value: number): string => (Number.isFinite(value) ? String(value) : value > 0 ? '+Inf' : value < 0 ? '-Inf' : 'NaN');

interface Family {
  readonly name: string;
  readonly help: string;
  readonly type: 'counter' | 'gauge' | 'histogram';
  samples(): string[];
}

export interface Counter {
  inc(labels?: Labels, value?: number): void;
}

export interface Gauge {
  set(labels: Labels, value: number): void;
}

export interface Histogram {
  observe(labels: Labels, value: number): void;
}

export class MetricsRegistry {
  private readonly families = new Map<string, Family>();

  private add(family: Family): void {
    if (!/^[a-zA-Z_:][a-zA-Z0-9_:]*$/.test(family.name)) throw new RangeError(`not a metric name: ${family.name}`);
    if (this.families.has(family.name)) throw new RangeError(`metric ${family.name} registered twice`);
    this.families.set(family.name, family);
  }

  counter(name: string, help: string): Counter {
    const values = new Map<string, number>();
    this.add({ name, help, type: 'counter', samples: () => [...values].map(([labels, value]) => `${name}${labels} ${valueText(value)}`) });
    return {
      inc(labels = {}, value = 1) {
        if (value < 0) throw new RangeError(`counter ${name} cannot go down (${value})`);
        const key = labelText(labels);
        values.set(key, (values.get(key) ?? 0) + value);
      },
    };
  }

  gauge(name: string, help: string): Gauge {
    const values = new Map<string, number>();
    this.add({ name, help, type: 'gauge', samples: () => [...values].map(([labels, value]) => `${name}${labels} ${valueText(value)}`) });
    return {
      set(labels, value) {
        values.set(labelText(labels), value);
      },
    };
  }

  /** A counter or gauge whose samples are read on each scrape (from state the process keeps anyway). */
  collected(name: string, type: 'counter' | 'gauge', help: string, read: () => Iterable<readonly [Labels, number]>): void {
    this.add({ name, help, type, samples: () => [...read()].map(([labels, value]) => `${name}${labelText(labels)} ${valueText(value)}`) });
  }

  /** A histogram with cumulative buckets at `buckets` (upper bounds, ascending) and +Inf. */
  histogram(name: string, help: string, buckets: readonly number[]): Histogram {
    const series = new Map<string, { labels: Labels; counts: number[]; sum: number; count: number }>();
    this.add({
      name,
      help,
      type: 'histogram',
      samples: () =>
        [...series.values()].flatMap(({ labels, counts, sum, count }) => [
          ...buckets.map((bound, index) => `${name}_bucket${labelText({ ...labels, le: String(bound) })} ${counts[index]}`),
          `${name}_bucket${labelText({ ...labels, le: '+Inf' })} ${count}`,
          `${name}_sum${labelText(labels)} ${valueText(sum)}`,
          `${name}_count${labelText(labels)} ${count}`,
        ]),
    });
    return {
      observe(labels, value) {
        const key = labelText(labels);
        let entry = series.get(key);
        if (!entry) series.set(key, (entry = { labels, counts: buckets.map(() => 0), sum: 0, count: 0 }));
        buckets.forEach((bound, index) => {
          if (value <= bound) entry.counts[index]! += 1;
        });
        entry.sum += value;
        entry.count += 1;
      },
    };
  }

  /** The exposition text of every family that has samples. */
  render(): string {
    const lines: string[] = [];
    for (const family of this.families.values()) {
      const samples = family.samples();
      if (samples.length === 0) continue;
      lines.push(`# HELP ${family.name} ${family.help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n')}`, `# TYPE ${family.name} ${family.type}`, ...samples);
    }
    return lines.length === 0 ? '' : `${lines.join('\n')}\n`;
  }
}

/** Serves `render()` as Prometheus text on 127.0.0.1:`port`/metrics (port 0: any free port; see `server.address()`). */
export async function serveMetrics(port: number, render: () => string | Promise<string>, log: Logger): Promise<Server> {
  const server = createServer((request, response) => {
    if (request.url !== '/metrics') {
      response.writeHead(404).end();
      return;
    }
    Promise.resolve()
      .then(render)
      .then(
        (text) => response.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(text),
        (error: unknown) => {
          log.warn({ err: error }, 'metrics could not be rendered');
          response.writeHead(500).end();
        },
      );
  });
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(port, '127.0.0.1', () => (server.off('error', reject), resolve())));
  server.on('error', (error) => log.warn({ err: error }, 'metrics endpoint error'));
  const address = server.address();
  log.info({ port: typeof address === 'object' && address ? address.port : port }, 'metrics on /metrics');
  return server;
}
