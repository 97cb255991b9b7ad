import { errorGuard } from '../../core/error-guard.ts';

/** Where a configuration failure was found: the -c file, VCAP_*, another env variable, or validation. */
export type ConfigErrorCode = 'CONFIG_FILE' | 'CONFIG_VCAP' | 'CONFIG_ENV' | 'CONFIG_INVALID';

/** A configuration that cannot be loaded or is invalid; `key` names the offending key or variable. */
export class ConfigError extends Error {
  override name = 'ConfigError' as const;
  readonly code: ConfigErrorCode;
  readonly key: string | undefined;
  /** Where the offending text came from: `config file '<path>'`, `service '<name>'`, a variable. */
  readonly source: string | undefined;

  constructor(
    message: string,
    options: {
      readonly code: ConfigErrorCode;
      readonly key?: string | undefined;
      readonly source?: string | undefined;
      readonly cause?: unknown;
    },
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = options.code;
    this.key = options.key;
    this.source = options.source;
  }
}

export const isConfigError = errorGuard(ConfigError);
