/**
 * An endpoint's own headers through the HttpInvoker to a real socket: a
 * definition stored before protocol headers were refused at registration
 * may still name one, in any case; the participant must still receive each
 * protocol header once, with the coordinator's value, and a body framed and
 * signed as the coordinator wrote it.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { targetPolicy } from '@accord/core';
import { HEADERS, parseSignatureHeader, signBody, type ParticipantCall } from '@accord/contracts';
import { HttpInvoker } from '@accord/transport';

interface Received {
  rawHeaders: string[];
  headers: IncomingMessage['headers'];
  body: string;
}

const SECRET = 'headers-test-secret';

describe('endpoint headers of a call', () => {
  let server: Server;
  let port: number;
  const received: Received[] = [];
  const invoker = new HttpInvoker({ policy: targetPolicy({ allow: null, refuseLoopback: false, selfPorts: [] }), signingSecret: SECRET });
  const call: ParticipantCall = { transactionId: 't-1', step: 'reserve', phase: 'action', attempt: 3, input: { sku: 'a', qty: 2 } };
  const traceparent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';

  beforeAll(async () => {
    server = createServer((req, res) => {
      let body = '';
      req.setEncoding('utf8');
      req.on('data', (chunk: string) => (body += chunk));
      req.on('end', () => {
        received.push({ rawHeaders: req.rawHeaders, headers: req.headers, body });
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
      });
    });
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    port = (server.address() as AddressInfo).port;
  });

  afterAll(async () => {
    await invoker.close();
    await new Promise((done) => server.close(done));
  });

  it('sends every protocol header once with its own value, whatever a stored endpoint header of any case says', async () => {
    const stored = {
      'Idempotency-Key': 'forged',
      'X-Accord-Transaction': 'other',
      'X-ACCORD-ATTEMPT': '99',
      'x-accord-signature': 't=1,v1=00',
      Traceparent: '00-ffffffffffffffffffffffffffffffff-ffffffffffffffff-01',
      'Content-Type': 'text/plain',
      'Content-Length': '1',
      Host: 'elsewhere.test',
      'Transfer-Encoding': 'chunked',
      Connection: 'upgrade',
      Upgrade: 'websocket',
      Expect: '100-continue',
      'x-tenant': 'acme',
    };
    const { result } = await invoker.invoke({
      endpoint: { url: `http://127.0.0.1:${port}/reserve`, headers: stored },
      call,
      trace: { traceparent, tracestate: null },
      timeoutMs: 2000,
    });
    expect(result).toMatchObject({ kind: 'response', status: 200, body: { ok: true } });

    const [{ rawHeaders, headers, body }] = received;
    const names = rawHeaders.filter((_, i) => i % 2 === 0).map((name) => name.toLowerCase());
    expect(names.filter((name, i) => names.indexOf(name) !== i)).toEqual([]); // none twice
    for (const hopByHop of ['transfer-encoding', 'upgrade', 'expect']) expect(names).not.toContain(hopByHop);
    expect(headers).toMatchObject({
      [HEADERS.idempotencyKey]: 't-1:reserve:action',
      [HEADERS.transaction]: 't-1',
      [HEADERS.attempt]: '3',
      [HEADERS.traceparent]: traceparent,
      'content-type': 'application/json',
      'content-length': String(Buffer.byteLength(body)),
      host: `127.0.0.1:${port}`,
      'x-tenant': 'acme',
    });
    expect(JSON.parse(body)).toEqual(call);
    const signature = parseSignatureHeader(String(headers[HEADERS.signature]));
    expect(headers[HEADERS.signature]).toBe(signBody(SECRET, body, signature!.t * 1000));
  });
});
