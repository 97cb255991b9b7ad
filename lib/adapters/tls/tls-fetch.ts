import { readFileSync } from 'node:fs';
import { X509Certificate } from 'node:crypto';
import { Agent, fetch as undiciFetch } from 'undici';
import type { Logger } from '../log/logger.ts';
import { errorText } from '../../core/error-text.ts';

export interface TlsFiles {
  /** Client certificate (PEM) presented to the server; needs `keyFile`. */
  readonly certFile?: string | undefined;
  readonly keyFile?: string | undefined;
  /** When set, the only trusted roots (it replaces the system store, as in the anchor). */
  readonly caFile?: string | undefined;
  /** Turns off server certificate verification (log-cache's `skip_ssl_validation`). */
  readonly skipSslValidation?: boolean | undefined;
}

export interface TlsFetch {
  readonly fetch: (input: string | URL | Request, init?: RequestInit) => Promise<Response>;
  /** The agent of the certificate in force, for undici's own request API (no fetch machinery). */
  readonly dispatcher: () => Agent;
  close(): Promise<void>;
}

/**
 * CF rotates instance identity certificates; the anchor reloads when one expires within 5 minutes
 * (docs/anchor-compatibility.md#scaling-engine).
 */
const RELOAD_LEAD_MS = 5 * 60_000;

interface Loaded {
  readonly agent: Agent;
  readonly expiresAtMs: number;
}

const read = (path: string | undefined, what: string): Buffer | undefined => {
  if (!path) return undefined;
  try {
    return readFileSync(path);
  } catch (cause) {
    throw new Error(`cannot read TLS ${what} file ${path}: ${errorText(cause)}`, {
      cause,
    });
  }
};

const load = (files: TlsFiles): Loaded => {
  const cert = read(files.certFile, 'certificate');
  const key = read(files.keyFile, 'key');
  const ca = read(files.caFile, 'CA');
  const expiresAtMs = cert ? new X509Certificate(cert).validToDate.getTime() : Number.POSITIVE_INFINITY;
  const connect = {
    ...(cert && key ? { cert, key } : {}),
    ...(ca ? { ca } : {}),
    rejectUnauthorized: files.skipSslValidation !== true,
  };
  return { agent: new Agent({ connect }), expiresAtMs };
};

/**
 * A fetch for ky that presents the client certificate and trusts the configured CA (or skips
 * verification), through undici (Node's global fetch cannot take a client certificate). Used by the
 * scaling-engine and log-cache clients. Files are read at creation, so a missing file fails
 * startup with its path in the message.
 */
export const createTlsFetch = (
  files: TlsFiles,
  options: { readonly now?: (() => number) | undefined; readonly logger?: Logger | undefined } = {},
): TlsFetch => {
  if (Boolean(files.certFile) !== Boolean(files.keyFile))
    throw new Error('TLS client certificate needs both a cert file and a key file');
  const now = options.now ?? Date.now;
  let current = load(files);

  const fresh = (): Loaded => {
    if (current.expiresAtMs - now() >= RELOAD_LEAD_MS) return current;
    try {
      const previous = current;
      current = load(files);
      void previous.agent.close().catch(() => undefined);
      options.logger?.info(
        { certFile: files.certFile, expiresAt: new Date(current.expiresAtMs).toISOString() },
        'client certificate reloaded: the previous one expires within 5 minutes',
      );
    } catch (err) {
      options.logger?.warn(
        { err, certFile: files.certFile },
        'client certificate reload failed; keeping the loaded one',
      );
    }
    return current;
  };

  return {
    // ky hands over a global Request, which undici's own fetch does not accept; rebuild it.
    fetch: async (input, init) => {
      const request = input instanceof Request ? input : new Request(input, init);
      const body = request.body ? await request.arrayBuffer() : undefined;
      const response = await undiciFetch(request.url, {
        method: request.method,
        headers: [...request.headers],
        body,
        signal: request.signal,
        dispatcher: fresh().agent,
      });
      return response as unknown as Response;
    },
    dispatcher: () => fresh().agent,
    close: () => current.agent.close(),
  };
};
