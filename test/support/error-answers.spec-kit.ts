/**
 * The contract's error envelope, asserted: every 4xx/5xx answer is
 * `{"error": {"code", "message", "details"}}`. Test-only (uses jest's
 * `expect`): excluded from the build as `*.spec-kit.ts`.
 */
import type { ApiResponse } from './coordinator-process';

export interface ErrorBody {
  error: { code: string; message: string; details: Array<{ path?: string; message: string }> };
}

/** A 4xx/5xx response must carry the contract's error shape. */
export function expectErrorShape(res: ApiResponse): asserts res is ApiResponse<ErrorBody> {
  expect(res.body).toEqual({
    error: {
      code: expect.stringMatching(/^[A-Z][A-Z_]*$/),
      message: expect.any(String),
      details: expect.any(Array),
    },
  });
  for (const detail of res.body.error.details) expect(typeof detail.message).toBe('string');
}

/** Asserts status + code (+ a detail at `path` whose message matches). */
export function expectError(res: ApiResponse, status: number, code: string, path?: string | RegExp, message?: RegExp): void {
  const seen = `${res.status} ${JSON.stringify(res.body).slice(0, 2000)}`;
  if (res.status !== status) throw new Error(`expected status ${status}, got ${seen}`);
  expectErrorShape(res);
  if (res.body.error.code !== code) throw new Error(`expected code ${code}, got ${seen}`);
  if (path === undefined) return;
  const at = res.body.error.details.filter((d) => (typeof path === 'string' ? d.path === path : path.test(d.path ?? '')));
  if (at.length === 0) throw new Error(`expected a detail at ${String(path)}, got ${seen}`);
  if (message && !at.some((d) => message.test(d.message))) throw new Error(`expected a detail at ${String(path)} matching ${message}, got ${seen}`);
}
