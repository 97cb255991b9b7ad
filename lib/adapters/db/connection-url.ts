import { readFileSync } from 'node:fs';
import type { ConnectionOptions } from 'node:tls';
import { errorText } from '../../core/error-text.ts';

export interface ResolvedConnection {
  /** The URL without the libpq TLS keys, which postgres.js would otherwise send as server settings. */
  readonly url: string;
  readonly ssl: false | 'require' | 'prefer' | ConnectionOptions;
}

const TLS_KEYS = ['sslmode', 'sslcert', 'sslkey', 'sslrootcert'] as const;

const readPem = (path: string, key: string): string => {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw new Error(`database url: cannot read ${key} file '${path}': ${errorText(err)}`);
  }
};

/**
 * Turns libpq-style TLS query keys (as Cloud Foundry service bindings write them: sslmode,
 * sslcert, sslkey, sslrootcert) into Node TLS options, because postgres.js understands only a
 * few sslmode values and reads no files.
 */
export const resolveConnectionUrl = (raw: string): ResolvedConnection => {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new Error('database url: not a valid URL (expected postgres://user:password@host:port/database)');
  }
  if (!/^postgres(ql)?:$/.test(url.protocol))
    throw new Error(`database url: unsupported scheme '${url.protocol}' (only PostgreSQL is supported)`);
  const params = Object.fromEntries(TLS_KEYS.map((k) => [k, url.searchParams.get(k) ?? undefined])) as Record<
    (typeof TLS_KEYS)[number],
    string | undefined
  >;
  for (const key of TLS_KEYS) url.searchParams.delete(key);
  const mode = params.sslmode ?? (params.sslrootcert || params.sslcert ? 'verify-full' : undefined);
  const files: ConnectionOptions = {
    ...(params.sslrootcert ? { ca: readPem(params.sslrootcert, 'sslrootcert') } : {}),
    ...(params.sslcert ? { cert: readPem(params.sslcert, 'sslcert') } : {}),
    ...(params.sslkey ? { key: readPem(params.sslkey, 'sslkey') } : {}),
  };
  const clean = url.toString();
  switch (mode) {
    case undefined:
    case 'disable':
      return { url: clean, ssl: false };
    case 'allow':
    case 'prefer':
      return { url: clean, ssl: Object.keys(files).length > 0 ? { ...files, rejectUnauthorized: false } : 'prefer' };
    case 'require':
      return { url: clean, ssl: { ...files, rejectUnauthorized: false } };
    case 'verify-ca':
      // The chain is checked against the CA, the host name is not (libpq semantics).
      return { url: clean, ssl: { ...files, rejectUnauthorized: true, checkServerIdentity: () => undefined } };
    case 'verify-full':
      return { url: clean, ssl: { ...files, rejectUnauthorized: true } };
    default:
      throw new Error(`database url: unsupported sslmode '${mode}'`);
  }
};

/**
 * How logs and errors name a database: `host:port/dbname`, never the user or password (nor the
 * query, which may name key files). A URL that does not parse is named by its scheme alone.
 */
export const databaseLabel = (url: string): string => {
  const parsed = URL.parse(url);
  if (!parsed) return `${url.split(':')[0] ?? 'database'} URL (unparseable)`;
  return `${parsed.hostname || 'localhost'}:${parsed.port || '5432'}${parsed.pathname || '/'}`;
};
