#!/usr/bin/env node
// `npx accord-conformance <participant base URL | definition file>...`: the
// participant conformance kit (libs/sdk/src/conformance), run from the build.
'use strict';
const { existsSync } = require('node:fs');
const { join } = require('node:path');

const entry = join(__dirname, '..', '..', '..', 'dist', 'libs', 'sdk', 'src', 'conformance', 'cli.js');
if (!existsSync(entry)) {
  process.stderr.write(`accord-conformance: ${entry} is missing; run \`npm run build\` first\n`);
  process.exit(2);
}
require(entry)
  .main(process.argv.slice(2))
  .then(
    (code) => {
      process.exitCode = code;
    },
    (error) => {
      process.stderr.write(`accord-conformance: ${error && error.stack ? error.stack : String(error)}\n`);
      process.exitCode = 2;
    },
  );
