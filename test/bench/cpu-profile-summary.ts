/**
 * Summarises a V8 .cpuprofile (node --cpu-prof) by package: self time of
 * every sample, attributed to the npm package, the Accord unit (libs/*,
 * packages/*, apps/*), Node's internals, or V8's own buckets (GC, idle,
 * program) that the sampled frame belongs to. A built-in without a script
 * (JSON.parse, a RegExp) counts for the nearest caller that has one, so the
 * package that asked for the work is charged with it.
 */
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string };
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export function packageOf(frame: ProfileNode['callFrame']): string {
  const { url, functionName } = frame;
  if (!url) return functionName.startsWith('(') ? functionName : '(native)';
  if (url.startsWith('node:')) return 'node internals';
  const modules = url.lastIndexOf('/node_modules/');
  if (modules >= 0) {
    const parts = url.slice(modules + '/node_modules/'.length).split('/');
    return parts[0].startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0];
  }
  const unit = /\/(libs|packages|apps)\/([^/]+)\//.exec(url);
  if (unit) return unit[1] === 'packages' ? `@accord/${unit[2]}` : `accord ${unit[1]}/${unit[2]}`;
  return 'other';
}

/** Self milliseconds by package, largest first. */
export function summariseCpuProfile(file: string): Array<{ name: string; ms: number; share: number }> {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const parents = new Map<number, ProfileNode>();
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  for (const node of profile.nodes) for (const child of node.children ?? []) parents.set(child, node);
  const attribute = (node: ProfileNode): string => {
    for (let at: ProfileNode | undefined = node; at; at = parents.get(at.id)) {
      const name = packageOf(at.callFrame);
      if (name !== '(native)') return name;
    }
    return '(native)';
  };
  const packages = new Map([...byId.values()].map((node) => [node.id, attribute(node)]));
  const totals = new Map<string, number>();
  let all = 0;
  profile.samples.forEach((id, i) => {
    const us = profile.timeDeltas[i] ?? 0;
    const name = packages.get(id) ?? '(unknown)';
    totals.set(name, (totals.get(name) ?? 0) + us);
    all += us;
  });
  return [...totals]
    .map(([name, us]) => ({ name, ms: us / 1000, share: all > 0 ? us / all : 0 }))
    .sort((a, b) => b.ms - a.ms);
}
