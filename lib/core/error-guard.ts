/**
 * The type guard of an error class: `instanceof`, or any Error that carries the class's name, so an
 * error from a second copy of the module (another import path, a bundled tool) is recognised too.
 * Each class names its instances after itself (`override name = 'ConfigError'`).
 */
export const errorGuard =
  <T extends Error>(ErrorClass: abstract new (...args: never[]) => T) =>
  (error: unknown): error is T =>
    error instanceof ErrorClass || (error instanceof Error && error.name === ErrorClass.name);
