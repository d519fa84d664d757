#!/usr/bin/env node
// `npx accord-conformance <participant base URL | definition file>...` (see cli.ts).
import { main } from './cli';

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`accord-conformance: ${error instanceof Error && error.stack ? error.stack : String(error)}\n`);
    process.exitCode = 2;
  },
);
