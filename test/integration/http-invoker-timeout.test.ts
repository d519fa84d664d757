/**
 * A call's timeoutMs bounds the whole call, through real sockets: a
 * participant that answers its headers at once and then trickles its body
 * (each byte well within undici's idle body timeout) is still cut off as a
 * timeout, one that never answers too, and one that answers in time is
 * read whole.
 */
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { targetPolicy } from '@accord/core';
import type { ParticipantCall } from '@accord/contracts';
import { HttpInvoker } from '@accord/transport';

const TIMEOUT_MS = 600;

describe('HttpInvoker timeouts', () => {
  let server: Server;
  let base: string;
  const open = new Set<ServerResponse>();
  const invoker = new HttpInvoker({ policy: targetPolicy({ allow: null, refuseLoopback: false, selfPorts: [] }) });
  const call: ParticipantCall = { transactionId: 't-1', step: 'reserve', phase: 'action', attempt: 1, input: null };
  const invoke = (path: string) => invoker.invoke({ endpoint: { url: `${base}${path}` }, call, trace: { traceparent: '', tracestate: null }, timeoutMs: TIMEOUT_MS });

  beforeAll(async () => {
    server = createServer((req, res) => {
      open.add(res);
      res.on('close', () => open.delete(res));
      if (req.url === '/trickle') {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.write('[');
        const drip = setInterval(() => res.write('0,'), TIMEOUT_MS / 6);
        res.on('close', () => clearInterval(drip));
      } else if (req.url === '/silent') {
        // never answers
      } else {
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
      }
    });
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    for (const res of open) res.destroy();
    await invoker.close();
    await new Promise((done) => server.close(done));
  });

  it('cuts off a body that trickles past the timeout, and a participant that never answers', async () => {
    const [trickle, silent] = await Promise.all([invoke('/trickle'), invoke('/silent')]);
    for (const { result, latencyMs } of [trickle, silent]) {
      expect(result).toEqual({ kind: 'timeout' });
      // Cut at the deadline, not one idle timeout per chunk later.
      expect(latencyMs).toBeGreaterThanOrEqual(TIMEOUT_MS * 0.9);
      expect(latencyMs).toBeLessThan(TIMEOUT_MS * 5);
    }
  });

  it('reads an answer in time whole', async () => {
    expect((await invoke('/ok')).result).toMatchObject({ kind: 'response', status: 200, body: { ok: true } });
  });
});
