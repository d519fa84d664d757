import type { Phase } from '@accord/contracts';

/** How one hazard check ended. `skip`: not applicable (no such endpoint, no
 * `--secret` for the signing checks, a message-transport endpoint). */
export type ConformanceOutcome = 'pass' | 'fail' | 'skip';

/** One row of the conformance table. */
export interface ConformanceResult {
  /** Stable id, e.g. `duplicate-forward`, `forward-after-backward`, `unsigned`. */
  hazard: string;
  /** Human title, e.g. `duplicate action`, `try after cancel`. */
  title: string;
  step: string;
  /** The phase whose answer decided the check. */
  phase: Phase;
  /** The endpoint that phase was sent to (`METHOD url`), or why there is none. */
  endpoint: string;
  expected: string;
  observed: string;
  outcome: ConformanceOutcome;
}

export interface ConformanceSummary {
  pass: number;
  fail: number;
  skip: number;
}

export interface ConformanceReport {
  /** The URL, file or `definition <name>` that was checked. */
  target: string;
  mode: 'base-url' | 'definition';
  results: ConformanceResult[];
  summary: ConformanceSummary;
  /** No check failed (skips do not count). */
  ok: boolean;
}

export interface ConformanceOptions {
  /** The coordinator's SIGNING_SECRET: every call is signed like the
   * coordinator signs it, and the signing checks run. Without it they are
   * skipped (and a participant that requires signatures fails everything). */
  secret?: string;
  /** The transaction input (definition mode: rendered through each step's
   * `input` template). Default `{}`. Every check sends it with a fresh
   * transaction id, so it must describe a call the participant accepts. */
  input?: unknown;
  /** Step name sent in base-URL mode. Default `conformance`. */
  step?: string;
  /** How many identical calls the concurrent-duplicates check sends at once. Default 10. */
  concurrency?: number;
  /** Per call. Default 10 000 ms. */
  timeoutMs?: number;
  /** Clock for signatures (tests). Default Date.now. */
  now?: () => number;
}

/** An HTTP endpoint as it appears in a definition. */
export interface ConformanceEndpoint {
  url: string;
  method?: string;
  headers?: Record<string, string>;
  timeoutMs?: number;
}

/** One step to exercise: a saga step (action, optional compensation) or a
 * TCC step (try, confirm, cancel). `unsupported` says why it cannot be called
 * over HTTP (a message-transport endpoint): its checks are skipped. */
export type ConformanceStep =
  | {
      type: 'saga';
      name: string;
      /** The step's `input` template; absent: the transaction input as is. */
      inputTemplate?: unknown;
      action: ConformanceEndpoint;
      compensation?: ConformanceEndpoint;
      unsupported?: string;
    }
  | {
      type: 'tcc';
      name: string;
      /** The step's `input` template; absent: the transaction input as is. */
      inputTemplate?: unknown;
      try: ConformanceEndpoint;
      confirm: ConformanceEndpoint;
      cancel: ConformanceEndpoint;
      unsupported?: string;
    };
