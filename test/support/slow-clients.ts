/**
 * Hostile HTTP clients for the slowloris scenario: sockets that connect and
 * send nothing, that send their headers one line every second, or that send
 * complete headers and then trickle a body one byte a second. Each one is
 * opened again as soon as the server closes it, so the pressure lasts until
 * stop(); the counts say how many were opened and how many the server closed.
 */
import { createConnection, type Socket } from 'node:net';

export type SlowKind = 'idle' | 'slow-headers' | 'slow-body';

export interface SlowClients {
  /** Sockets opened so far, by kind (re-openings included). */
  readonly opened: Record<SlowKind, number>;
  /** Sockets the server closed (or refused) so far. */
  readonly closedByServer: number;
  stop(): void;
}

const TRICKLE_MS = 1_000;

export function startSlowClients(port: number, perKind: number, token: string): SlowClients {
  const opened: Record<SlowKind, number> = { idle: 0, 'slow-headers': 0, 'slow-body': 0 };
  let closedByServer = 0;
  let stopped = false;
  const sockets = new Set<Socket>();

  const open = (kind: SlowKind): void => {
    if (stopped) return;
    opened[kind]++;
    const socket = createConnection({ host: '127.0.0.1', port });
    sockets.add(socket);
    let timer: NodeJS.Timeout | null = null;
    socket.on('error', () => undefined);
    socket.on('data', () => undefined); // an error answer before the close
    socket.once('connect', () => {
      if (kind === 'slow-headers') {
        socket.write('POST /v1/transactions HTTP/1.1\r\nHost: 127.0.0.1\r\n');
        timer = setInterval(() => socket.write(`X-Slow-${Math.floor(Math.random() * 1e6)}: 1\r\n`), TRICKLE_MS);
      } else if (kind === 'slow-body') {
        socket.write(
          'POST /v1/transactions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n' +
            `Authorization: Bearer ${token}\r\nContent-Length: 100000\r\n\r\n{`,
        );
        timer = setInterval(() => socket.write(' '), TRICKLE_MS);
      }
    });
    socket.once('close', () => {
      if (timer) clearInterval(timer);
      sockets.delete(socket);
      if (stopped) return;
      closedByServer++;
      // Again, a little later, so a refusing server is not hammered in a tight loop.
      setTimeout(() => open(kind), 100);
    });
  };

  for (let i = 0; i < perKind; i++) for (const kind of Object.keys(opened) as SlowKind[]) open(kind);
  return {
    opened,
    get closedByServer() {
      return closedByServer;
    },
    stop() {
      stopped = true;
      for (const s of sockets) s.destroy();
    },
  };
}
