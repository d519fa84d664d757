import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { join } from 'node:path';

/** The processes the demo started, stopped together. */
export class DemoProcesses {
  private readonly children: { name: string; child: ChildProcess }[] = [];

  constructor(private readonly logDir: string) {}

  /** Starts `command ...args` (`process.execPath` for a Node script), its output into `<logDir>/<name>.log`. */
  start(name: string, command: string, args: string[], env: NodeJS.ProcessEnv): ChildProcess {
    const log = createWriteStream(join(this.logDir, `${name}.log`), { flags: 'a' });
    const child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.pipe(log);
    child.stderr.pipe(log);
    this.children.push({ name, child });
    return child;
  }

  /** Rejects if `name` exits before `ready` resolves. */
  async untilReady(name: string, ready: () => Promise<boolean>, timeoutMs: number): Promise<void> {
    const entry = this.children.find((c) => c.name === name);
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (entry && entry.child.exitCode !== null) throw new Error(`${name} exited (code ${entry.child.exitCode}): see ${join(this.logDir, `${name}.log`)}`);
      if (await ready().catch(() => false)) return;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    throw new Error(`${name} was not ready within ${timeoutMs} ms: see ${join(this.logDir, `${name}.log`)}`);
  }

  /** SIGTERM to every process still running, one at a time, newest first:
   * each stops before what it depends on (the shop before the coordinator,
   * both before NATS), so none is left talking to a server already gone. */
  async stopAll(): Promise<void> {
    for (const { child } of [...this.children].reverse()) {
      if (child.exitCode !== null || child.signalCode !== null) continue;
      await new Promise<void>((resolve) => {
        const force = setTimeout(() => child.kill('SIGKILL'), 20_000);
        child.once('exit', () => {
          clearTimeout(force);
          resolve();
        });
        child.kill('SIGTERM');
      });
    }
  }
}

/** True once `url` answers 2xx. */
export const answers2xx = async (url: string): Promise<boolean> => (await fetch(url)).ok;
