/**
 * deploy/Dockerfile read as text. No Docker engine runs on this machine, so
 * the image is not built here: what is checked is that its entry point is the
 * command `npm start` runs, that it runs unprivileged with a HEALTHCHECK and
 * HOST=0.0.0.0, that its Node satisfies every installed package's `engines`
 * (and the minimum the README states), and that what it copies from the
 * build context is there and not excluded by .dockerignore.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { minVersion, satisfies } from 'semver';

const ROOT = resolve(__dirname, '../..');
const dockerfile = readFileSync(join(ROOT, 'deploy/Dockerfile'), 'utf8');
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string>; engines: { node: string } };

interface Stage {
  name: string;
  lines: string[];
}

/** The Dockerfile's instructions (continuation lines joined), by stage. */
function stages(): Stage[] {
  const instructions = dockerfile
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
  const result: Stage[] = [];
  for (const line of instructions) {
    const from = /^FROM \S+ AS (\S+)$/i.exec(line);
    if (from) result.push({ name: from[1], lines: [] });
    else result.at(-1)?.lines.push(line);
  }
  return result;
}

const runtime = () => stages().find((stage) => stage.name === 'runtime')!;
const instruction = (stage: Stage, name: string) => stage.lines.filter((line) => line.startsWith(`${name} `));

/** The Node version the image is built on (the NODE_IMAGE argument's tag). */
function nodeVersion(): string {
  const tag = /^ARG NODE_IMAGE=node:(\d+\.\d+)(?:\.\d+)?-/m.exec(dockerfile)?.[1];
  expect(tag).toBeDefined();
  return `${tag}.0`;
}

describe('deploy/Dockerfile', () => {
  it('ends with the image\'s runtime stage, whose command is the one `npm start` runs', () => {
    // The last stage is what `docker build` makes without --target.
    expect(stages().map((stage) => stage.name)).toEqual(['build', 'demo', 'runtime']);
    const [cmd] = instruction(runtime(), 'CMD');
    expect(instruction(runtime(), 'CMD')).toHaveLength(1);
    expect((JSON.parse(cmd.slice('CMD '.length)) as string[]).join(' ')).toBe(pkg.scripts.start);
    expect(instruction(runtime(), 'ENTRYPOINT')).toEqual([]);
    // The file it starts is in what the runtime stage copies.
    const started = pkg.scripts.start.split(' ')[1];
    expect(instruction(runtime(), 'COPY').some((line) => started.startsWith(`${line.split(' ').at(-1)!.replace(/^\.\//, '')}/`))).toBe(true);
  });

  it('runs as the unprivileged node user, with a HEALTHCHECK, listening on every interface', () => {
    expect(instruction(runtime(), 'USER')).toEqual(['USER node']);
    expect(instruction(runtime(), 'HEALTHCHECK')[0]).toContain('/health/live');
    expect(instruction(runtime(), 'ENV').join(' ')).toMatch(/\bHOST=0\.0\.0\.0\b/);
    expect(instruction(runtime(), 'ENV').join(' ')).toMatch(/\bNODE_ENV=production\b/);
  });

  it('builds on a Node that every package\'s engines accept, as package.json and the README say', () => {
    const node = nodeVersion();
    const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as {
      packages: Record<string, { version?: string; engines?: { node?: string } | string[] }>;
    };
    const refused = Object.entries(lock.packages)
      .map(([path, entry]) => ({ path, range: Array.isArray(entry.engines) ? undefined : entry.engines?.node }))
      .filter(({ range }) => range !== undefined && !satisfies(node, range, { includePrerelease: true }));
    expect(refused).toEqual([]);
    expect(satisfies(node, pkg.engines.node)).toBe(true);
    // The README's prerequisite is the least version package.json allows.
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const stated = /Node\.js (\d+\.\d+) or later/.exec(readme)?.[1];
    expect(`${stated}.0`).toBe(minVersion(pkg.engines.node)?.version);
  });

  it('builds the demo shop\'s services into a stage of their own, run as the node user', () => {
    const demo = stages().find((stage) => stage.name === 'demo')!;
    expect(instruction(demo, 'USER')).toEqual(['USER node']);
    const [script] = (JSON.parse(instruction(demo, 'CMD')[0].slice('CMD '.length)) as string[]).slice(1);
    expect(existsSync(join(ROOT, script.replace('/dist/', '/src/').replace(/\.js$/, '.ts')))).toBe(true);
  });

  it('copies from the build context only files that exist and that .dockerignore lets in', () => {
    const ignored = readFileSync(join(ROOT, '.dockerignore'), 'utf8').split('\n').map((line) => line.trim()).filter((line) => line && !line.startsWith('#'));
    const build = stages().find((stage) => stage.name === 'build')!;
    const sources = instruction(build, 'COPY')
      .filter((line) => !line.includes('--from='))
      .flatMap((line) => line.split(/\s+/).slice(1, -1))
      .filter((source) => source !== '.');
    expect(sources.length).toBeGreaterThan(0);
    for (const source of sources) {
      expect({ source, exists: existsSync(join(ROOT, source)) }).toEqual({ source, exists: true });
      expect({ source, ignored: ignored.some((pattern) => source === pattern || source.startsWith(`${pattern.replace(/\/$/, '')}/`)) }).toEqual({ source, ignored: false });
    }
  });
});
