/** Starts the test participants (scriptable-participant, bank-participant) as
 * real processes from the build, and drives the scriptable one's control API. */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { request } from 'undici';
import type { RecordedCall, Scripts } from './scriptable-participant';

export type ParticipantScript = 'scriptable' | 'bank' | 'message';

export interface ParticipantProcess {
  /** `http://127.0.0.1:<port>` */
  url: string;
  port: number;
  process: ChildProcess;
  /** SIGTERM, then SIGKILL after 5 s; resolves once the process exited. */
  stop(): Promise<void>;
  /** Sends `signal` (default SIGKILL) and resolves once the process exited. */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** The last 64 KiB of its stderr, for assertion messages. */
  stderr(): string;
}

const START_TIMEOUT_MS = 15_000;
const STOP_GRACE_MS = 5_000;
const STDERR_KEPT = 64 * 1024;

/** `env` is added to this process's environment; PORT defaults to 0 (any
 * free port). Pass a fixed PORT to restart a participant where the
 * coordinator expects it. Needs `npm run build` first. */
export async function startParticipant(
  script: ParticipantScript,
  env: Record<string, string | undefined> = {},
): Promise<ParticipantProcess> {
  const root = repoRoot();
  const entry = resolve(root, 'dist-test', 'support', `${script}-participant.js`);
  return startParticipantProcess(entry, { cwd: root, env: { ...process.env, PORT: '0', ...env } }, `${script}-participant`);
}

/** Runs `node <entry>` as a participant that prints `LISTENING <port>` once it listens. */
export async function startParticipantProcess(
  entry: string,
  options: { cwd: string; env: NodeJS.ProcessEnv },
  label = entry,
): Promise<ParticipantProcess> {
  const child = spawn(process.execPath, [entry], { cwd: options.cwd, env: options.env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-STDERR_KEPT);
  });
  // Not events.once: it would reject on a spawn 'error' nobody awaits yet.
  const exited = new Promise<void>((resolveExit) => child.once('exit', () => resolveExit()));

  const port = await waitForListening(child, child.stdout, () => stderr, label);
  const kill = async (signal: NodeJS.Signals = 'SIGKILL'): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    await exited;
  };
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    process: child,
    kill,
    async stop() {
      const timer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
      try {
        await kill('SIGTERM');
      } finally {
        clearTimeout(timer);
      }
    },
    stderr: () => stderr,
  };
}

/** The directory holding package.json: this file runs from test/support
 * under jest and from dist-test/support when compiled. */
function repoRoot(): string {
  for (let dir = __dirname; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    if (dirname(dir) === dir) throw new Error(`no package.json above ${__dirname}`);
  }
}

function waitForListening(child: ChildProcess, stdout: Readable, stderr: () => string, label: string): Promise<number> {
  return new Promise<number>((resolvePort, reject) => {
    // Keeps reading stdout after the line too, so a chatty child never blocks on a full pipe.
    const lines = createInterface({ input: stdout });
    const onExit = (code: number | null, signal: NodeJS.Signals | null): void =>
      fail(`exited (${signal ?? code}) before listening`);
    const onError = (error: Error): void => fail(`could not start: ${error.message}`);
    const timer = setTimeout(() => fail(`printed no LISTENING line within ${START_TIMEOUT_MS} ms`), START_TIMEOUT_MS);
    const settle = (): void => {
      clearTimeout(timer);
      child.off('exit', onExit);
      child.off('error', onError);
      lines.off('line', onLine);
    };
    function fail(reason: string): void {
      settle();
      child.kill('SIGKILL');
      reject(new Error(`${label} ${reason}; stderr:\n${stderr()}`));
    }
    function onLine(line: string): void {
      const match = /^LISTENING (\d+)$/.exec(line);
      if (!match) return;
      settle();
      resolvePort(Number(match[1]));
    }
    child.on('exit', onExit);
    child.on('error', onError);
    lines.on('line', onLine);
  });
}

/** Merges `scripts` into the scriptable participant's current scripts. */
export async function script(url: string, scripts: Scripts): Promise<void> {
  await expectStatus(
    await request(`${url}/_script`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(scripts),
    }),
    204,
  );
}

/** The calls it received, in arrival order; only those to `path` if given. */
export async function calls(url: string, path?: string): Promise<RecordedCall[]> {
  const query = path === undefined ? '' : `?path=${encodeURIComponent(path)}`;
  const response = await request(`${url}/_calls${query}`);
  await expectStatus(response, 200, false);
  return (await response.body.json()) as RecordedCall[];
}

/** Forgets recorded calls and scripts. */
export async function reset(url: string): Promise<void> {
  await expectStatus(await request(`${url}/_calls`, { method: 'DELETE' }), 204);
}

type UndiciResponse = Awaited<ReturnType<typeof request>>;

async function expectStatus(response: UndiciResponse, status: number, consume = true): Promise<void> {
  if (response.statusCode !== status) {
    throw new Error(`expected ${status}, got ${response.statusCode}: ${await response.body.text()}`);
  }
  // undici keeps the connection busy until the body is read.
  if (consume) await response.body.dump();
}
