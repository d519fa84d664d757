import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { ConformanceClient } from './conformance-client';

/** The probe is sent as the coordinator would send a call: an endpoint's own
 * headers go along, but never in place of (or next to) a protocol header,
 * whatever their case. */
describe('ConformanceClient.probe', () => {
  let server: Server;
  let url: string;
  const received: { headers: IncomingHttpHeaders; raw: string[] }[] = [];

  beforeAll(async () => {
    server = createServer((req, res) => {
      received.push({ headers: req.headers, raw: req.rawHeaders });
      res.writeHead(400, { 'content-type': 'application/json' }).end('{}');
    });
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    const address = server.address();
    url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/p/action`;
  });

  afterAll(() => new Promise<void>((done) => server.close(() => done())));

  it('sends the endpoint headers but a reserved one, whose value stays the coordinator\'s', async () => {
    const client = new ConformanceClient({ input: null, timeoutMs: 2000, now: () => Date.now() });
    try {
      await client.probe({ url, headers: { 'Content-Type': 'text/plain', 'X-Accord-Step': 'forged', 'X-Team': 'payments' } });
    } finally {
      await client.close();
    }
    const [{ headers, raw }] = received;
    expect(headers['content-type']).toBe('application/json');
    expect(headers['x-team']).toBe('payments');
    expect(headers['x-accord-step']).toBeUndefined();
    expect(raw.filter((name) => name.toLowerCase() === 'content-type')).toHaveLength(1);
  });
});
