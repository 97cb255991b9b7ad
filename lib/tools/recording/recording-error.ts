/** A recording that cannot be read at all (missing file, corrupt gzip), or a bad line in strict mode. */
export class RecordingError extends Error {
  override name = 'RecordingError' as const;
  readonly code = 'RECORDING_INVALID' as const;
  readonly path: string;
  /** The 1-based line at fault, when one is. */
  readonly line: number | undefined;

  constructor(message: string, context: { path: string; line?: number | undefined; cause?: unknown }) {
    super(message, context.cause === undefined ? undefined : { cause: context.cause });
    this.path = context.path;
    this.line = context.line;
  }
}

export const isRecordingError = (err: unknown): err is RecordingError =>
  err instanceof RecordingError || (err as { name?: unknown } | null)?.name === 'RecordingError';
