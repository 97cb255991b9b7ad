/**
 * Regenerates the bundled sample recordings (deterministic: same bytes on every run).
 * Usage: node scripts/generate-samples.ts [--out recordings] [name ...]
 */
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { sampleCatalog } from '../lib/tools/recording/samples/sample-catalog.ts';
import { generateSample } from '../lib/tools/recording/samples/generate-sample.ts';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { out: { type: 'string', default: join(import.meta.dirname, '..', 'recordings') } },
});
const unknown = positionals.filter((name) => !sampleCatalog.some((s) => s.name === name));
if (unknown.length > 0) {
  console.error(`unknown sample(s): ${unknown.join(', ')}; known: ${sampleCatalog.map((s) => s.name).join(', ')}`);
  process.exit(2);
}
for (const definition of sampleCatalog.filter((s) => positionals.length === 0 || positionals.includes(s.name))) {
  const sample = await generateSample(definition, values.out);
  const { size } = await stat(sample.recording);
  console.log(
    `${sample.name.padEnd(16)} ${String(sample.envelopes).padStart(6)} envelopes ${(size / 1024).toFixed(0).padStart(5)} KiB  ${sample.recording}`,
  );
}
