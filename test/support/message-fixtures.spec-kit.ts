/**
 * What the message-transport tests share: the stock participant
 * (message-participant.ts) as a process on a database of its own, with a
 * pool to read what it applied, and its endpoints on each transport.
 */
import type { MessageTransport } from '@accord/contracts';
import { Pool } from 'pg';
import { startParticipant, type ParticipantProcess } from './participant-process';
import { createTestDatabase, dropTestDatabase } from './test-env';

export interface StockParticipant {
  process: ParticipantProcess;
  /** Reads its `effects` and `received` tables. */
  pool: Pool;
  stop(): Promise<void>;
}

/** Starts the stock participant on a new database, serving the transports `env` names. */
export async function startStockParticipant(label: string, env: Record<string, string>): Promise<StockParticipant> {
  const databaseUrl = await createTestDatabase(label);
  const pool = new Pool({ connectionString: databaseUrl, max: 2 });
  const process = await startParticipant('message', { DATABASE_URL: databaseUrl, ...env });
  return {
    process,
    pool,
    stop: async () => {
      await process.stop();
      await pool.end();
      await dropTestDatabase(databaseUrl);
    },
  };
}

/** The endpoint of the stock participant's `<prefix>.<action>` over `transport`. */
export function stockEndpoint(
  transport: MessageTransport,
  prefix: string,
  action: 'reserve' | 'release',
  options: { timeoutMs: number; tcpPort?: number },
) {
  const pattern = `${prefix}.${action}`;
  const { timeoutMs } = options;
  switch (transport) {
    case 'nats':
    case 'redis':
      return { transport, pattern, timeoutMs };
    case 'rmq':
      return { transport, queue: prefix, pattern, timeoutMs };
    case 'tcp':
      return { transport, host: '127.0.0.1', port: options.tcpPort, pattern, timeoutMs };
  }
}
