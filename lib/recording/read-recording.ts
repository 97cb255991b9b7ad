import { readRecordingLines } from './read-recording-lines.ts';
import type { ReadProgress } from './read-recording-lines.ts';
import { parseRecordingLine } from './parse-recording-line.ts';
import type { EnvelopeParser, RecordingEntry } from './parse-recording-line.ts';

export interface ReadRecordingOptions {
  readonly parseEnvelope: EnvelopeParser;
  readonly progress?: ReadProgress;
}

/** Blank lines (whitespace only) carry nothing and are skipped, not reported. */
export const isBlankLine = (text: string): boolean => text.length === 0 || text.trim().length === 0;

/**
 * Streams a recording as entries: each non-blank line becomes an envelope or a reason with its line
 * number. A bad line never stops the stream; the caller decides whether it is fatal.
 */
export async function* readRecording(path: string, options: ReadRecordingOptions): AsyncGenerator<RecordingEntry> {
  for await (const { firstLine, texts } of readRecordingLines(path, options.progress)) {
    for (let i = 0; i < texts.length; i++) {
      if (!isBlankLine(texts[i]!)) yield parseRecordingLine(texts[i]!, firstLine + i, options.parseEnvelope);
    }
  }
}
