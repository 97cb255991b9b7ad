/**
 * Regenerates the bundled sample recordings (deterministic: same bytes on every run).
 * Usage: node scripts/generate-samples.ts [--out recordings] [name ...]
 */
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { sampleCatalog } from '../lib/tools/recording/samples/sample-catalog.ts';
import { generateSample } from '../lib/tools/recording/samples/generate-sample.ts';
import { exitWithUsage, parseCli } from '../lib/tools/cli/parse-cli.ts';

const USAGE = `Usage: node scripts/generate-samples.ts [--out <folder>] [name ...]

Writes each sample's recording.ndjson.gz and policy.json into <folder>/<name>/ (default: recordings/).
Samples: ${sampleCatalog.map((s) => s.name).join(', ')} (default: all)
  --out <folder>   where to write (default: recordings)
  -h, --help       this text
`;

const { values, positionals } = parseCli({
  name: 'generate-samples',
  usage: USAGE,
  allowPositionals: true,
  options: { out: { type: 'string', default: join(import.meta.dirname, '..', 'recordings') } },
});
const unknown = positionals.filter((name) => !sampleCatalog.some((s) => s.name === name));
if (unknown.length > 0) exitWithUsage('generate-samples', USAGE, `unknown sample(s): ${unknown.join(', ')}`);
for (const definition of sampleCatalog.filter((s) => positionals.length === 0 || positionals.includes(s.name))) {
  const sample = await generateSample(definition, values.out);
  const { size } = await stat(sample.recording);
  console.log(
    `${sample.name.padEnd(16)} ${String(sample.envelopes).padStart(6)} envelopes ${(size / 1024).toFixed(0).padStart(5)} KiB  ${sample.recording}`,
  );
}
