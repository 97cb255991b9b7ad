/**
 * Wraps a uvu before/after hook so that its error is printed: uvu 0.5 runs hooks inside a
 * `try/finally` whose `return` swallows the error, leaving only "(0 / n)" in the output.
 */
export const loudHook =
  <C>(name: string, hook: (context: C) => Promise<void> | void) =>
  async (context: C): Promise<void> => {
    try {
      await hook(context);
    } catch (err) {
      console.error(`\n  ${name} failed:`, err);
      throw err;
    }
  };
