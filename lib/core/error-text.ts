/** What went wrong, as text: an Error's message, or any other thrown value as a string. */
export const errorText = (err: unknown): string => (err instanceof Error ? err.message : String(err));

/** Wrapper messages that say nothing the inner error does not say better. */
const GENERIC = new Set(['fetch failed', 'network error', 'terminated']);

const ownText = (err: Error): string => {
  // Connecting to "localhost" tries every address; Node reports an AggregateError with no message.
  if (err instanceof AggregateError && err.message === '')
    return [...new Set(err.errors.map((e: unknown) => (e instanceof Error ? e.message : String(e))))].join('; ');
  return err.message;
};

/**
 * The same with the causes, for failures of peers and the network: fetch and ky hide the useful
 * part ("connect ECONNREFUSED 127.0.0.1:9999", "getaddrinfo ENOTFOUND uaa.example.com") one or two
 * causes down. One line, no stack: that is for error-level logs, which keep the error object.
 */
export const errorTextWithCauses = (err: unknown): string => {
  const parts: string[] = [];
  let current: unknown = err;
  for (let depth = 0; current !== undefined && current !== null && depth < 5; depth += 1) {
    const text = current instanceof Error ? ownText(current) : String(current);
    if (text !== '' && !GENERIC.has(text.toLowerCase()) && !parts.some((p) => p.includes(text))) parts.push(text);
    current = current instanceof Error ? current.cause : undefined;
  }
  if (parts.length > 0) return parts.join(': ');
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : String(err);
};
