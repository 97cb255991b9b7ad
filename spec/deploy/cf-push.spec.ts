import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { parse } from 'yaml';

const root = join(import.meta.dirname, '..', '..');
const read = (path: string) => readFileSync(join(root, path), 'utf8');
const pkg = JSON.parse(read('package.json')) as {
  engines: { node: string };
  dependencies: Record<string, string>;
};
const ignored = read('.cfignore')
  .split('\n')
  .map((l) => l.trim())
  .filter((l) => l !== '' && !l.startsWith('#'));
const isIgnored = (path: string) =>
  ignored.some((pattern) =>
    pattern.endsWith('/')
      ? path.startsWith(pattern)
      : pattern.startsWith('*')
        ? path.endsWith(pattern.slice(1))
        : path === pattern || new RegExp(`^${pattern.replace(/\./g, '\\.').replace(/\*/g, '.*')}$`).test(path),
  );

/** Every file and package `node scripts/start.ts` loads, following static and dynamic imports. */
const runtimeGraph = () => {
  const files = new Set<string>();
  const packages = new Set<string>();
  const visit = (file: string) => {
    if (files.has(file)) return;
    files.add(file);
    const text = readFileSync(file, 'utf8');
    for (const [, spec] of text.matchAll(/(?:from|import)\s*\(?\s*'([^']+)'/g)) {
      if (spec!.startsWith('.')) {
        const target = resolve(dirname(file), spec!);
        if (existsSync(target)) visit(target);
      } else if (!spec!.startsWith('node:') && !builtinModules.includes(spec!)) {
        packages.add(spec!.startsWith('@') ? spec!.split('/').slice(0, 2).join('/') : spec!.split('/')[0]!);
      }
    }
  };
  visit(join(root, 'scripts', 'start.ts'));
  return { files: [...files].map((f) => relative(root, f)), packages: [...packages] };
};

const push = suite('cf push');

push('manifest.yml takes its names from vars and maps a route; vars.example.yml gives every var', () => {
  const manifest = read('manifest.yml');
  const used = new Set([...manifest.matchAll(/\(\(([a-z_]+)\)\)/g)].map((m) => m[1]!));
  const vars = parse(read('vars.example.yml')) as Record<string, unknown>;
  assert.equal([...used].sort(), Object.keys(vars).sort());
  const app = (parse(manifest.replace(/\(\(([a-z_]+)\)\)/g, 'x')) as { applications: Record<string, unknown>[] })
    .applications[0]!;
  assert.equal(app.routes, [{ route: 'x' }]);
  // The heap is sized from the container's memory limit, not left at V8's quarter of it.
  assert.is(app.command, 'node --max-old-space-size-percentage=60 scripts/start.ts');
  assert.is(app['health-check-http-endpoint'], '/health/liveness');
  assert.is((app.env as Record<string, string>).NODE_ENV, 'production');
});

push('engines pins Node 24.x (no open range for the buildpack)', () => {
  assert.is(pkg.engines.node, '24.x');
});

push('.cfignore leaves out specs, docs, recordings and benchmarks, and nothing the service loads', () => {
  for (const path of [
    'spec/x.spec.ts',
    'docs/configuration.md',
    'recordings/spike/recording.ndjson.gz',
    'scripts/bench/memory.ts',
    'node_modules/x',
    'vars.yml',
  ])
    assert.ok(isIgnored(path), `${path} is uploaded`);
  const graph = runtimeGraph();
  assert.ok(graph.files.length > 50, `${graph.files.length} files`);
  for (const file of graph.files) assert.not.ok(isIgnored(file), `${file} is needed at runtime but ignored`);
  for (const file of ['package.json', 'package-lock.json']) assert.not.ok(isIgnored(file));
  // NODE_ENV=production installs dependencies only: nothing loaded may be a devDependency.
  for (const name of graph.packages)
    assert.ok(pkg.dependencies[name], `${name} is loaded at runtime but not a dependency`);
});

push('the deployment guide gives the commands', () => {
  const guide = read('docs/deploying-on-cloud-foundry.md');
  for (const command of [
    'cf create-user-provided-service eventgenerator-config -p eventgenerator-config.json -t eventgenerator-config',
    '-t "policy_db,appmetrics_db"',
    'cf push --vars-file vars.yml',
    'cf map-route eventgenerator',
    'event_generator_url',
    'forwarded_client_cert',
    'cf scale eventgenerator -i 3',
    '--strategy rolling',
    'cf rollback eventgenerator',
    'cf start autoscaler-eventgenerator',
  ])
    assert.ok(guide.includes(command), command);
});

push.run();
