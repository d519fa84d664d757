import { Controller, Get, Res } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { errorBody } from '@accord/contracts';
import { Public } from '../auth/scopes';
import { UNAVAILABLE_RETRY_AFTER_SECONDS } from '../errors/unavailable';

/** One service the coordinator talks to. */
export interface Dependency {
  name: string;
  /** Whether this replica can serve without it: only a required one that is
   * down fails readiness (Postgres); the others are reported in the details
   * (Redis: starts are still accepted, and run once it is back). */
  required: boolean;
  ping(): Promise<void>;
}

/** What readiness checks; the app binds it to its real connections. */
export abstract class ReadinessProbe {
  abstract readonly dependencies: readonly Dependency[];
}

/** A dependency that has not answered by then counts as down: a hung
 * server must not hang the probe. */
const PING_TIMEOUT_MS = 2000;

type DependencyState = { status: 'up' } | { status: 'down'; error: string };

@ApiTags('operations')
@Public()
@Controller('health')
export class HealthController {
  constructor(private readonly probe: ReadinessProbe) {}

  @Get('live')
  live() {
    return { status: 'ok' };
  }

  /** 200 while every required dependency answers, with the state of each in
   * `details`; otherwise 503 UNAVAILABLE naming what is down. */
  @Get('ready')
  async ready(@Res({ passthrough: true }) reply: FastifyReply) {
    const states = await Promise.all(this.probe.dependencies.map(async (d) => ({ dependency: d, state: await stateOf(d) })));
    const details = Object.fromEntries(states.map(({ dependency, state }) => [dependency.name, state]));
    const missing = states.filter(({ dependency, state }) => dependency.required && state.status === 'down').map(({ dependency }) => dependency.name);
    if (missing.length === 0) return { status: 'ok', details };
    void reply.status(503).header('retry-after', String(UNAVAILABLE_RETRY_AFTER_SECONDS));
    return errorBody(
      'UNAVAILABLE',
      `not ready: ${missing.join(', ')} cannot be reached`,
      states.map(({ dependency, state }) => ({ path: dependency.name, message: state.status === 'up' ? 'up' : `down: ${state.error}` })),
    );
  }
}

async function stateOf(dependency: Dependency): Promise<DependencyState> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(Object.assign(new Error('no answer'), { code: 'TIMEOUT' })), PING_TIMEOUT_MS);
  });
  try {
    await Promise.race([dependency.ping(), timeout]);
    return { status: 'up' };
  } catch (error) {
    return { status: 'down', error: codeOf(error) };
  } finally {
    clearTimeout(timer);
  }
}

/** A public endpoint names the failure by its code (ECONNREFUSED, a
 * SQLSTATE, …), never by a message that may carry addresses or paths. */
function codeOf(error: unknown): string {
  for (let e: unknown = error, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && code !== '' && code !== 'ACCORD_DATABASE_UNAVAILABLE') return code;
  }
  return 'UNREACHABLE';
}
