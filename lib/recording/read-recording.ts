import { readRecordingLines } from './read-recording-lines.ts';
import type { ReadProgress } from './read-recording-lines.ts';
import { parseRecordingLine } from './parse-recording-line.ts';
import type { EnvelopeParser, RecordingEntry } from './parse-recording-line.ts';

export interface ReadRecordingOptions {
  readonly parseEnvelope: EnvelopeParser;
  readonly progress?: ReadProgress;
}

/**
 * Streams a recording as entries: each non-blank line becomes an envelope or a reason with its line
 * number. A bad line never stops the stream; the caller decides whether it is fatal.
 */
export async function* readRecording(path: string, options: ReadRecordingOptions): AsyncGenerator<RecordingEntry> {
  for await (const { line, text } of readRecordingLines(path, options.progress)) {
    if (text.trim().length === 0) continue;
    yield parseRecordingLine(text, line, options.parseEnvelope);
  }
}
