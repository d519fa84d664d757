import { PHASES, type Endpoint, type Phase, type Spec } from '@accord/contracts';

/** What stands in for a write-only value in every view. */
export const MASK = '***';

/**
 * Endpoint `headers` and URL credentials (`user:pass@`) are write-only: the
 * coordinator sends them to the participant, and every view of a definition
 * (the API, the attempt log, logs, errors) shows this masked copy instead.
 */
export function maskSpec<T extends Spec>(spec: T): T {
  return { ...spec, steps: spec.steps.map((step) => maskEndpoints(step)) };
}

function maskEndpoints<S extends object>(step: S): S {
  const masked = { ...step } as Record<string, unknown>;
  for (const phase of PHASES) {
    const endpoint = (step as Partial<Record<Phase, Endpoint>>)[phase];
    if (endpoint) masked[phase] = maskEndpoint(endpoint);
  }
  return masked as S;
}

function maskEndpoint(endpoint: Endpoint): Endpoint {
  if (!('url' in endpoint)) return endpoint;
  const masked = { ...endpoint, url: maskUrl(endpoint.url) };
  if (endpoint.headers) masked.headers = Object.fromEntries(Object.keys(endpoint.headers).map((name) => [name, MASK]));
  return masked;
}

/** `http://user:pass@host/x` → `http://***:***@host/x`; a URL without credentials is returned as is. */
export function maskUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return url;
  }
  if (parsed.username === '' && parsed.password === '') return url;
  if (parsed.username !== '') parsed.username = MASK;
  if (parsed.password !== '') parsed.password = MASK;
  return parsed.href;
}
