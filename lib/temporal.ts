import { readFile } from 'node:fs/promises';
import { Client, Connection, type ConnectionOptions } from '@temporalio/client';
import { NativeConnection, type NativeConnectionOptions } from '@temporalio/worker';
import type { TemporalConfig } from './config';

/** The TLS and auth part of a Temporal connection, from the config (certificate files read here). */
async function connectionSettings(config: TemporalConfig): Promise<Pick<ConnectionOptions & NativeConnectionOptions, 'address' | 'tls' | 'apiKey'>> {
  const tls = config.tls
    ? {
        clientCertPair:
          config.tls.clientCertPath && config.tls.clientKeyPath
            ? { crt: await readFile(config.tls.clientCertPath), key: await readFile(config.tls.clientKeyPath) }
            : undefined,
        serverRootCACertificate: config.tls.serverCaCertPath ? await readFile(config.tls.serverCaCertPath) : undefined,
      }
    : undefined;
  return { address: config.address, tls, apiKey: config.apiKey };
}

/** A client for starting and querying workflows and schedules. Close its `connection` when done. */
export async function createTemporalClient(config: TemporalConfig, connectTimeoutMs = 10_000): Promise<Client> {
  const connection = await Connection.connect({ ...(await connectionSettings(config)), connectTimeout: connectTimeoutMs });
  return new Client({ connection, namespace: config.namespace });
}

/** The connection a worker polls through. */
export async function createWorkerConnection(config: TemporalConfig): Promise<NativeConnection> {
  return NativeConnection.connect(await connectionSettings(config));
}
