import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { encodeEnvelopeLine } from '../../../core/envelope/envelope-json.ts';
import { createRecordingWriter } from '../write-recording.ts';
import { buildSample } from './sample-catalog.ts';
import type { SampleDefinition } from './sample-catalog.ts';

export interface GeneratedSample {
  readonly name: string;
  readonly recording: string;
  readonly policy: string;
  readonly envelopes: number;
}

const RECORDING_FILE = 'recording.ndjson.gz';
const POLICY_FILE = 'policy.json';

/** Writes `<dir>/<name>/recording.ndjson.gz` and the policy next to it. Same definition, same bytes. */
export const generateSample = async (definition: SampleDefinition, dir: string): Promise<GeneratedSample> => {
  const folder = join(dir, definition.name);
  const recording = join(folder, RECORDING_FILE);
  const policy = join(folder, POLICY_FILE);
  const envelopes = buildSample(definition);
  const writer = await createRecordingWriter(recording, { compression: 'gzip', level: 9 });
  try {
    for (const envelope of envelopes) await writer.write(encodeEnvelopeLine(envelope));
    await writer.close();
  } catch (err) {
    await writer.abort();
    throw err;
  }
  await writeFile(policy, `${JSON.stringify(definition.policy, null, 2)}\n`);
  return { name: definition.name, recording, policy, envelopes: envelopes.length };
};
