import { HEADERS, parseSignatureHeader, signBody } from '@accord/contracts';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from './cli';
import { runConformance } from './run-conformance';

const SECRET = 'spec-secret-0123456789';

/** Signed with SECRET over `raw`, at most 5 minutes ago or ahead. */
function validSignature(header: string | string[] | undefined, raw: string): boolean {
  const parsed = typeof header === 'string' ? parseSignatureHeader(header) : null;
  return parsed !== null && Math.abs(Date.now() / 1000 - parsed.t) <= 300 && signBody(SECRET, raw, parsed.t * 1000) === header;
}

/** An in-memory participant under `/p/{action,compensation,try,confirm,cancel}`.
 * `careful`: a barrier in a Map (first answer kept per phase, null
 * compensation markers, hanging refusal) and signature checks; otherwise it
 * applies everything and numbers its answers. */
async function participant(careful: boolean): Promise<{ url: string; close: () => Promise<void> }> {
  const answers = new Map<string, { status: number; body: unknown }>();
  let seq = 0;
  const undoOf: Record<string, string> = { compensation: 'action', cancel: 'try' };
  const decide = (tx: string, step: string, phase: string) => {
    const key = `${tx}/${step}/${phase}`;
    const first = answers.get(key);
    if (first) return first;
    let answer: { status: number; body: unknown };
    if (phase in undoOf) {
      const forward = `${tx}/${step}/${undoOf[phase]}`;
      if (!answers.has(forward)) answers.set(forward, { status: 409, body: { error: { code: 'HANGING_CALL' } } });
      answer = { status: 200, body: { undone: ++seq } };
    } else if (phase === 'confirm' && answers.get(`${tx}/${step}/try`)?.status !== 200) {
      return { status: 409, body: { error: { code: 'CONFIRM_WITHOUT_TRY' } } };
    } else {
      answer = { status: 200, body: { done: ++seq } };
    }
    answers.set(key, answer);
    return answer;
  };
  const server: Server = createServer((req: IncomingMessage, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      const send = (status: number, body: unknown) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
      const phase = /^\/p\/(action|compensation|try|confirm|cancel)$/.exec(req.url ?? '')?.[1];
      if (!phase) return send(404, { error: { code: 'NOT_FOUND' } });
      if (careful && !validSignature(req.headers[HEADERS.signature], raw)) return send(401, {});
      const call = JSON.parse(raw) as { transactionId?: string; step?: string };
      if (!call.transactionId || !call.step) return send(400, { error: { code: 'VALIDATION_FAILED' } });
      if (!careful) return send(200, { done: ++seq });
      const answer = decide(call.transactionId, call.step, phase);
      send(answer.status, answer.body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return { url: `http://127.0.0.1:${port}/p`, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

describe('runConformance', () => {
  it('passes a careful participant on every hazard, saga and TCC, signing on', async () => {
    const p = await participant(true);
    try {
      const report = await runConformance(p.url, { secret: SECRET, concurrency: 5 });
      expect(report.results.filter((r) => r.outcome === 'fail')).toEqual([]);
      expect(report.ok).toBe(true);
      expect(report.summary).toEqual({ pass: 25, fail: 0, skip: 0 });
    } finally {
      await p.close();
    }
  });

  it('fails a naive participant on the duplicate, ordering and signing hazards', async () => {
    const p = await participant(false);
    try {
      const report = await runConformance(p.url, { secret: SECRET });
      expect(report.ok).toBe(false);
      const passed = report.results.filter((r) => r.outcome === 'pass').map((r) => `${r.phase} ${r.hazard}`);
      expect(passed.sort()).toEqual(
        ['action first-call', 'compensation backward-before-forward', 'action signed-after-rejected', 'try first-call', 'cancel backward-before-forward', 'try signed-after-rejected'].sort(),
      );
    } finally {
      await p.close();
    }
  });

  it('skips an endpoint group that answers 404 and fails when nothing answers', async () => {
    const p = await participant(true);
    try {
      const report = await runConformance(`${p.url}/nothing-here`, { secret: SECRET });
      expect(report.results.map((r) => `${r.hazard} ${r.outcome}`)).toEqual(['endpoints skip', 'endpoints skip', 'endpoints fail']);
      expect(report.ok).toBe(false);
    } finally {
      await p.close();
    }
  });

  it('exercises every HTTP step of a definition and skips message-transport steps', async () => {
    const p = await participant(true);
    try {
      const report = await runConformance(
        {
          name: 'spec',
          type: 'saga',
          steps: [
            { name: 'a', input: { id: '{{transaction.id}}', n: '{{input.n}}' }, action: { url: `${p.url}/action` }, compensation: { url: `${p.url}/compensation` } },
            { name: 'b', action: { url: `${p.url}/action` } },
            { name: 'c', action: { transport: 'nats', pattern: 'c.do' } },
          ],
        },
        { secret: SECRET, input: { n: 1 } },
      );
      const by = (step: string) => report.results.filter((r) => r.step === step).map((r) => r.outcome);
      expect(by('a').every((o) => o === 'pass')).toBe(true);
      expect(by('b').filter((o) => o === 'skip')).toHaveLength(3); // no compensation
      expect(by('c')).toEqual(['skip', 'skip']);
      expect(report.ok).toBe(true);
    } finally {
      await p.close();
    }
  });

  it('rejects a definition that is not one', async () => {
    await expect(runConformance({ type: 'saga', steps: [] })).rejects.toThrow(/not a valid Accord definition/);
  });
});

describe('the command line', () => {
  const run = async (argv: string[]) => {
    const out: string[] = [];
    const err: string[] = [];
    const code = await main(argv, { out: (t) => out.push(t), err: (t) => err.push(t) });
    return { code, out: out.join('\n'), err: err.join('\n') };
  };

  it('prints the table and exits 0 when everything passes, 1 when something fails', async () => {
    const careful = await participant(true);
    const naive = await participant(false);
    try {
      const ok = await run(['--secret', SECRET, careful.url]);
      expect(ok.code).toBe(0);
      expect(ok.out).toMatch(/^duplicate action\s+\|.*\|\s*PASS$/m);
      expect(ok.out).toMatch(/25 passed, 0 failed, 0 skipped: CONFORMS$/m);
      const bad = await run(['--secret', SECRET, naive.url]);
      expect(bad.code).toBe(1);
      expect(bad.out).toMatch(/^try after cancel\s+\|.*\|\s*FAIL$/m);
    } finally {
      await careful.close();
      await naive.close();
    }
  });

  it('reads a definition file, and answers 2 to bad usage', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'conformance-spec-'));
    const p = await participant(true);
    try {
      const file = join(dir, 'def.json');
      await writeFile(file, JSON.stringify({ type: 'tcc', steps: [{ name: 'x', try: { url: `${p.url}/try` }, confirm: { url: `${p.url}/confirm` }, cancel: { url: `${p.url}/cancel` } }] }));
      const json = await run(['--json', '--secret', SECRET, file]);
      expect(json.code).toBe(0);
      expect(JSON.parse(json.out)).toMatchObject({ ok: true, reports: [{ mode: 'definition' }] });
      expect((await run([])).code).toBe(2);
      expect((await run(['--concurrency', '1', p.url])).code).toBe(2);
      expect((await run(['--input', 'nope', p.url])).code).toBe(2);
      expect((await run([join(dir, 'missing.json')])).err).toMatch(/cannot read/);
      expect((await run(['--help'])).out).toMatch(/^usage: accord-conformance/);
    } finally {
      await p.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
