/** `@accord/conformance`: the participant conformance kit,
 * `runConformance(target, options)`, and the `accord-conformance` command
 * line (bin.ts). */
export * from './conformance.types';
export type { Answer as ConformanceAnswer, Signing as ConformanceSigning } from './conformance-client';
export { formatReport } from './report';
export { runConformance, type ConformanceTarget } from './run-conformance';
export { main as conformanceMain, USAGE as CONFORMANCE_USAGE, type CliIo } from './cli';
