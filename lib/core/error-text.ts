/** What went wrong, as text: an Error's message, or any other thrown value as a string. */
export const errorText = (err: unknown): string => (err instanceof Error ? err.message : String(err));
