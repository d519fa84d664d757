import type { ErrorBody } from '@accord/contracts';
import { credential } from './credential';

/** A non-2xx answer, with the API's error code and message when it sent one. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: { path?: string; message: string }[] = [],
    /** From Retry-After (a 429 or 503): how long to leave the API alone. */
    readonly retryAfterMs: number | null = null,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

type Query = Record<string, string | number | undefined>;

let onUnauthorized: () => void = () => undefined;

/** Called when the API refuses the key (401): revoked, or never valid. */
export function whenUnauthorized(handler: () => void): void {
  onUnauthorized = handler;
}

/** One call to the coordinator, on this origin, with the operator's key. */
export async function request<T>(method: 'GET' | 'POST' | 'DELETE', path: string, options: { query?: Query; body?: unknown } = {}): Promise<T> {
  const url = new URL(path, window.location.origin);
  for (const [name, value] of Object.entries(options.query ?? {})) {
    if (value !== undefined && value !== '') url.searchParams.set(name, String(value));
  }
  const headers: Record<string, string> = { accept: 'application/json' };
  const key = credential.get();
  if (key) headers.authorization = `Bearer ${key}`;
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(url, {
    method,
    headers,
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
    credentials: 'same-origin',
  });
  const text = await response.text();
  const body: unknown = text === '' ? null : parseJson(text);
  if (response.ok) return body as T;
  if (response.status === 401) onUnauthorized();
  const error = (body as Partial<ErrorBody> | null)?.error;
  const retryAfter = Number(response.headers.get('retry-after'));
  throw new ApiError(
    response.status,
    error?.code ?? `HTTP_${response.status}`,
    error?.message ?? `HTTP ${response.status}`,
    error?.details,
    Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter * 1000 : null,
  );
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
