import { errorTextWithCauses } from '../../core/error-text.ts';
import { isConfigError } from './config-error.ts';

/**
 * The one line a configuration failure prints: what is wrong, which key, and where the value came
 * from (the -c file, a bound service by name, an environment variable, or the default). A failure
 * in the -c file keeps the anchor's wording, `failed to read/validate config file '<path>' : …`.
 */
export const describeConfigError = (
  err: unknown,
  context: { readonly path: string; readonly sourceOf?: (key: string) => string },
): string => {
  if (!isConfigError(err)) return `failed to read configuration: ${errorTextWithCauses(err)}`;
  const { key } = err;
  if (err.code === 'CONFIG_INVALID') {
    const source = key && context.sourceOf ? context.sourceOf(key) : undefined;
    return `failed to validate configuration : ${err.message}${key ? ` [key ${key}${source ? `, from ${source}` : ''}]` : ''}`;
  }
  const keyNote = key && !err.message.includes(key) ? ` [key ${key}]` : '';
  if (err.code === 'CONFIG_FILE')
    return `failed to read/validate config file '${context.path}' : ${err.message}${keyNote}`;
  return `failed to read configuration from ${err.source ?? 'the environment'} : ${err.message}${keyNote}`;
};
