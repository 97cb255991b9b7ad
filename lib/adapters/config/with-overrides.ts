import { deepFreeze } from './schema.ts';
import type { Config } from './schema.ts';

type DeepPartial<T> = { readonly [K in keyof T]?: T[K] extends object ? DeepPartial<T[K]> : T[K] };

const merge = (base: Record<string, unknown>, patch: Record<string, unknown>): Record<string, unknown> => {
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(patch)) {
    const current = out[key];
    out[key] =
      value && typeof value === 'object' && current && typeof current === 'object'
        ? merge(current as Record<string, unknown>, value as Record<string, unknown>)
        : value;
  }
  return out;
};

/** A new frozen configuration with some keys replaced (for the embedded defaults of `npm start`). */
export const withOverrides = (config: Config, patch: DeepPartial<Config>): Config =>
  deepFreeze(
    merge(config as unknown as Record<string, unknown>, patch as Record<string, unknown>),
  ) as unknown as Config;
