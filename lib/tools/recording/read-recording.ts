import { readRecordingLines } from './read-recording-lines.ts';
import type { ReadProgress, RecordingLines } from './read-recording-lines.ts';
import { parseRecordingLine } from './parse-recording-line.ts';
import type { EnvelopeParser, RecordingEntry } from './parse-recording-line.ts';

export interface ReadRecordingOptions {
  readonly parseEnvelope: EnvelopeParser;
  readonly progress?: ReadProgress;
}

/** Blank lines (whitespace only) carry nothing and are skipped, not reported. */
const isBlankLine = (text: string): boolean => text.length === 0 || text.trim().length === 0;

/**
 * The entries of one batch of lines: each non-blank line becomes an envelope or a reason with its
 * line number, parsed only when the caller takes it (so a batch is never held parsed at once).
 */
export function* recordingEntries(
  { firstLine, texts }: RecordingLines,
  parseEnvelope: EnvelopeParser,
  parseJson?: (text: string) => unknown,
): Generator<RecordingEntry> {
  for (let i = 0; i < texts.length; i++) {
    if (!isBlankLine(texts[i]!)) yield parseRecordingLine(texts[i]!, firstLine + i, parseEnvelope, parseJson);
  }
}

/**
 * Streams a recording as entries (see recordingEntries). A bad line never stops the stream; the
 * caller decides whether it is fatal.
 */
export async function* readRecording(path: string, options: ReadRecordingOptions): AsyncGenerator<RecordingEntry> {
  for await (const lines of readRecordingLines(path, options.progress))
    yield* recordingEntries(lines, options.parseEnvelope);
}
