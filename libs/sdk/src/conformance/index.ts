/** The participant conformance kit: `runConformance(target, options)` and the
 * `accord-conformance` command line (libs/sdk/bin/accord-conformance.js). */
export * from './conformance.types';
export { canonicalJson, type Answer as ConformanceAnswer, type Signing as ConformanceSigning } from './conformance-client';
export { formatReport } from './report';
export { runConformance, type ConformanceTarget } from './run-conformance';
export { main as conformanceMain, USAGE as CONFORMANCE_USAGE, type CliIo } from './cli';
