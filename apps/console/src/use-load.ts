import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { ApiError } from './api/http';

export interface Loaded<T> {
  data: T | undefined;
  error: Error | undefined;
  loading: boolean;
  reload: () => void;
}

/**
 * Runs `load` whenever `deps` change (forgetting what the old ones loaded),
 * on `reload()` (keeping it meanwhile), and every `pollMs` while the tab is
 * visible, if `pollMs` is set; after a 429 or 503 polling waits as long as
 * Retry-After says. An answer that arrives after a newer request was made is
 * dropped, so a slow answer never overwrites a fresh one.
 */
export function useLoad<T>(load: () => Promise<T>, deps: readonly unknown[], pollMs: number | null = null): Loaded<T> {
  const [state, setState] = useState<{ data?: T; error?: Error; loading: boolean }>({ loading: true });
  const generation = useRef(0);
  const pausedUntil = useRef(0);
  const latest = useRef(load);
  latest.current = load;

  const run = useCallback(() => {
    const mine = ++generation.current;
    setState((s) => ({ ...s, loading: true }));
    latest.current().then(
      (data) => mine === generation.current && setState({ data, loading: false }),
      (error: Error) => {
        if (error instanceof ApiError && error.retryAfterMs !== null) pausedUntil.current = Date.now() + error.retryAfterMs;
        if (mine === generation.current) setState((s) => ({ data: s.data, error, loading: false }));
      },
    );
  }, []);

  useEffect(() => {
    setState({ loading: true });
    run();
    // `load` itself is not a dependency: callers pass a new closure on every render.
  }, deps);

  useEffect(() => {
    if (pollMs === null) return undefined;
    const timer = setInterval(() => {
      if (!document.hidden && Date.now() >= pausedUntil.current) run();
    }, pollMs);
    return () => clearInterval(timer);
  }, [...deps, pollMs]);

  return { data: state.data, error: state.error, loading: state.loading, reload: run };
}
