/**
 * The machine's brokers for the transport tests (`.ci/run` starts them when
 * they are down), and a private RabbitMQ virtual host per test, so tests
 * sharing the server never see each other's queues and a test can close its
 * own connections without touching anybody else's.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';

/** The shared NATS server (JetStream is not used). */
export const NATS_URL = process.env.ACCORD_TEST_NATS_URL ?? 'nats://127.0.0.1:4222';

const RABBITMQ_URL = process.env.ACCORD_TEST_RABBITMQ_URL ?? 'amqp://guest:guest@127.0.0.1:5672';

export interface RabbitVhost {
  /** `amqp://…/<vhost>` */
  url: string;
  /** Closes every client connection of this vhost, as a broker restart would. */
  closeConnections(): void;
  remove(): void;
}

export function createRabbitVhost(label: string): RabbitVhost {
  const name = `accord_${process.env.ACCORD_TEST_RUN ?? 'local'}_${label}_${randomBytes(3).toString('hex')}`;
  const user = decodeURIComponent(new URL(RABBITMQ_URL).username || 'guest');
  rabbitmqctl('add_vhost', name);
  rabbitmqctl('set_permissions', '-p', name, user, '.*', '.*', '.*');
  const url = new URL(RABBITMQ_URL);
  url.pathname = `/${encodeURIComponent(name)}`;
  return {
    url: url.toString(),
    closeConnections() {
      const listed = rabbitmqctl('list_connections', '--no-table-headers', '--silent', 'pid', 'vhost');
      for (const line of listed.split('\n')) {
        const [pid, vhost] = line.split('\t');
        if (vhost?.trim() === name) rabbitmqctl('close_connection', pid, 'test: broker restart');
      }
    },
    remove() {
      rabbitmqctl('delete_vhost', name);
    },
  };
}

function rabbitmqctl(...args: string[]): string {
  const result = spawnSync('rabbitmqctl', args, { encoding: 'utf8', timeout: 30_000 });
  if (result.error || result.status !== 0) {
    throw new Error(`rabbitmqctl ${args.join(' ')} failed (${result.error?.message ?? `exit ${result.status}`}): ${result.stderr}`);
  }
  return result.stdout;
}
