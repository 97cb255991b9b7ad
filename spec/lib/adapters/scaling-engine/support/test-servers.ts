import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { IncomingMessage, ServerResponse, Server } from 'node:http';
import type { TLSSocket } from 'node:tls';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface Received {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingMessage['headers'];
  readonly body: string;
  /** CN of the client certificate, when one was presented over TLS. */
  readonly clientCn?: string;
}

export type Handler = (req: Received, res: ServerResponse) => void;

export interface TestServer {
  readonly url: string;
  readonly received: Received[];
  handle(handler: Handler): void;
  close(): Promise<void>;
}

const serve = (server: Server, scheme: 'http' | 'https'): Promise<TestServer> => {
  const received: Received[] = [];
  let handler: Handler = (_req, res) => res.end('{}');
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (body += c));
    req.on('end', () => {
      const peer = scheme === 'https' ? (req.socket as TLSSocket).getPeerCertificate() : undefined;
      const cn = peer?.subject?.CN;
      const r: Received = {
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body,
        ...(cn ? { clientCn: String(cn) } : {}),
      };
      received.push(r);
      handler(r, res);
    });
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      resolve({
        url: `${scheme}://127.0.0.1:${port}`,
        received,
        handle: (h) => (handler = h),
        close: () =>
          new Promise<void>((done) => {
            server.closeAllConnections();
            server.close(() => done());
          }),
      });
    });
  });
};

export const startHttpServer = (): Promise<TestServer> => serve(createServer(), 'http');

export interface TestPki {
  readonly dir: string;
  readonly caFile: string;
  /** A second, unrelated CA, to show that trust comes only from the configured one. */
  readonly otherCaFile: string;
  readonly serverCertFile: string;
  readonly serverKeyFile: string;
  readonly clientCertFile: string;
  readonly clientKeyFile: string;
  /** Issues another client certificate with the given CN into `certFile` / `keyFile`. */
  issueClient(cn: string, certFile: string, keyFile: string): void;
  remove(): void;
}

/** A throwaway CA with a server certificate for 127.0.0.1 and a client certificate, made by the openssl CLI. */
export const createTestPki = (): TestPki => {
  const dir = mkdtempSync(join(tmpdir(), 'eg-scaling-pki-'));
  const p = (name: string) => join(dir, name);
  const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  const key = (file: string) =>
    openssl('genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', file);
  const ca = (name: string) => {
    key(p(`${name}.key`));
    openssl(
      'req',
      '-x509',
      '-new',
      '-key',
      p(`${name}.key`),
      '-out',
      p(`${name}.crt`),
      '-days',
      '2',
      '-subj',
      `/CN=${name}`,
    );
  };
  const issue = (cn: string, certFile: string, keyFile: string, ext?: string) => {
    key(keyFile);
    openssl('req', '-new', '-key', keyFile, '-out', p('req.csr'), '-subj', `/CN=${cn}`);
    openssl(
      'x509',
      '-req',
      '-in',
      p('req.csr'),
      '-CA',
      p('ca.crt'),
      '-CAkey',
      p('ca.key'),
      '-CAcreateserial',
      '-out',
      certFile,
      '-days',
      '2',
      ...(ext ? ['-extfile', ext] : []),
    );
  };
  ca('ca');
  ca('other-ca');
  execFileSync('sh', ['-c', `printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\\n' > ${p('server.ext')}`]);
  issue('localhost', p('server.crt'), p('server.key'), p('server.ext'));
  issue('eventgenerator', p('client.crt'), p('client.key'));
  return {
    dir,
    caFile: p('ca.crt'),
    otherCaFile: p('other-ca.crt'),
    serverCertFile: p('server.crt'),
    serverKeyFile: p('server.key'),
    clientCertFile: p('client.crt'),
    clientKeyFile: p('client.key'),
    issueClient: (cn, certFile, keyFile) => issue(cn, certFile, keyFile),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
};

/** An HTTPS server that asks for (but does not require) a client certificate, so the test can see what was sent. */
export const startHttpsServer = (pki: TestPki): Promise<TestServer> =>
  serve(
    createHttpsServer({
      key: readFileSync(pki.serverKeyFile),
      cert: readFileSync(pki.serverCertFile),
      ca: readFileSync(pki.caFile),
      requestCert: true,
      rejectUnauthorized: false,
    }) as unknown as Server,
    'https',
  );

/** Rejects when `promise` has not settled within `ms`: uvu has no timeouts of its own. */
export const within = <T>(ms: number, promise: Promise<T>): Promise<T> =>
  new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`not settled within ${ms}ms`)), ms);
    promise.then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(timer);
        reject(e as Error);
      },
    );
  });
