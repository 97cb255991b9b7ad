import { readFileSync } from 'node:fs';
import { Agent } from 'undici';
import type { FetchLike } from '../uaa/token-provider.ts';

export interface TlsFiles {
  /** Client certificate (PEM) presented to the server. */
  readonly certFile?: string | undefined;
  readonly keyFile?: string | undefined;
  /** When set, the only CA trusted for the server (replaces the system roots). */
  readonly caFile?: string | undefined;
  /** Turns off server certificate verification (`skip_ssl_validation`). */
  readonly skipSslValidation?: boolean | undefined;
}

const read = (path: string, what: string): Buffer => {
  try {
    return readFileSync(path);
  } catch (cause) {
    throw new Error(`cannot read TLS ${what} file ${path}: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
  }
};

/**
 * A fetch whose connections present a client certificate and/or trust a private CA. Node's global
 * fetch has no public way to do this; undici (the same HTTP stack, as a package) takes an Agent.
 */
export const createTlsFetch = (files: TlsFiles): { fetch: FetchLike; close(): Promise<void> } => {
  if ((files.certFile === undefined) !== (files.keyFile === undefined)) {
    throw new Error('TLS client certificate needs both a cert file and a key file');
  }
  const agent = new Agent({
    connect: {
      ...(files.certFile !== undefined ? { cert: read(files.certFile, 'certificate') } : {}),
      ...(files.keyFile !== undefined ? { key: read(files.keyFile, 'key') } : {}),
      ...(files.caFile !== undefined ? { ca: read(files.caFile, 'CA') } : {}),
      rejectUnauthorized: files.skipSslValidation !== true,
    },
  });
  // Node's fetch accepts an undici dispatcher; undici's own fetch would reject the global Request
  // objects ky hands over.
  const fetch: FetchLike = (input, init) => globalThis.fetch(input, { ...init, dispatcher: agent } as RequestInit);
  return { fetch, close: () => agent.close() };
};
