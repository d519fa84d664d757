import { parseArgs } from 'node:util';
import type { ConformanceOptions, ConformanceReport } from './conformance.types';
import { formatReport } from './report';
import { runConformance } from './run-conformance';

export const USAGE = `usage: accord-conformance [options] <participant base URL | definition file>...

Drives a participant's endpoints through the at-least-once hazards (duplicate
and concurrent duplicate calls, compensation/cancel before action/try, the
late action/try after it, confirm twice, and with --secret unsigned or badly
signed calls) and prints a pass/fail table. Exit status: 0 all passed, 1 a
check failed, 2 bad usage or an unusable target.

A base URL is probed for the conventional paths <base>/action and
<base>/compensation (saga), <base>/try, <base>/confirm and <base>/cancel
(TCC); a group answering 404/405 is skipped. A definition file (JSON, as
registered with Accord) has every HTTP endpoint of every step exercised, with
the step's name and input template.

options:
  --secret <s>       the coordinator's SIGNING_SECRET: sign every call, and
                     check that unsigned/badly signed calls are refused
  --input <json>     the transaction input to send (default {}); every check
                     uses it with a fresh transaction id, so it must be a call
                     the participant accepts (e.g. an account with funds)
  --step <name>      step name sent in base-URL mode (default conformance)
  --concurrency <n>  identical calls sent at once (default 10)
  --timeout <ms>     per call (default 10000)
  --json             print the reports as JSON instead of tables
  -h, --help         this text`;

export interface CliIo {
  out: (text: string) => void;
  err: (text: string) => void;
}

const defaultIo: CliIo = {
  out: (text) => process.stdout.write(`${text}\n`),
  err: (text) => process.stderr.write(`${text}\n`),
};

/** Runs the command line; resolves with the exit status. */
export async function main(argv: readonly string[], io: CliIo = defaultIo): Promise<number> {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(argv);
  } catch (error) {
    io.err(`accord-conformance: ${error instanceof Error ? error.message : String(error)}\n\n${USAGE}`);
    return 2;
  }
  if (parsed.help) {
    io.out(USAGE);
    return 0;
  }
  const reports: ConformanceReport[] = [];
  for (const target of parsed.targets) {
    try {
      reports.push(await runConformance(target, parsed.options));
    } catch (error) {
      io.err(`accord-conformance: ${error instanceof Error ? error.message : String(error)}`);
      return 2;
    }
  }
  const ok = reports.every((r) => r.ok);
  if (parsed.json) io.out(JSON.stringify({ ok, reports }, null, 2));
  else io.out(reports.map(formatReport).join('\n\n'));
  return ok ? 0 : 1;
}

function parse(argv: readonly string[]): { help: boolean; json: boolean; targets: string[]; options: ConformanceOptions } {
  const { values, positionals } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    strict: true,
    options: {
      secret: { type: 'string' },
      input: { type: 'string' },
      step: { type: 'string' },
      concurrency: { type: 'string' },
      timeout: { type: 'string' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) return { help: true, json: false, targets: [], options: {} };
  if (positionals.length === 0) throw new Error('give a participant base URL or a definition file');
  let input: unknown;
  if (values.input !== undefined) {
    try {
      input = JSON.parse(values.input);
    } catch {
      throw new Error(`--input is not JSON: ${values.input}`);
    }
  }
  if (values.secret !== undefined && values.secret.length === 0) throw new Error('--secret must not be empty');
  return {
    help: false,
    json: values.json ?? false,
    targets: positionals,
    options: {
      secret: values.secret,
      input,
      step: values.step,
      concurrency: integer('--concurrency', values.concurrency, 2),
      timeoutMs: integer('--timeout', values.timeout, 1),
    },
  };
}

function integer(flag: string, value: string | undefined, min: number): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) throw new Error(`${flag} must be an integer ≥ ${min}, got ${value}`);
  return n;
}
