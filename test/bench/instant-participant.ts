/**
 * The bench's participant: a bare node:http server that answers every request
 * with 200 `{}` as soon as the body is read. Run as a child process; it prints
 * `listening <port>` on stdout. PORT defaults to 0 (any free port).
 */
import { createServer } from 'node:http';

const body = Buffer.from('{}');
const server = createServer((req, res) => {
  req.on('data', () => undefined);
  req.on('end', () => {
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': body.length });
    res.end(body);
  });
});
server.keepAliveTimeout = 60_000;
server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
  const address = server.address();
  process.stdout.write(`listening ${typeof address === 'object' && address ? address.port : 0}\n`);
});
const stop = () => server.close(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
