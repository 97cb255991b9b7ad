import type { IncomingMessage, ServerResponse } from 'node:http';
import { sendEmpty, sendNotFound, sendTextError } from './responses.ts';

/**
 * A small router with the routing behaviour of the anchor's gorilla/mux: non-canonical paths are
 * redirected (301) to the cleaned path, `{name}` matches one segment, a trailing slash is not
 * tolerated, a known path with another method gives 405 with an empty body, anything else 404.
 */
export type RequestHandler = (req: IncomingMessage, res: ServerResponse) => void;
export type RouteHandler = (
  req: IncomingMessage,
  res: ServerResponse,
  params: Readonly<Record<string, string>>,
) => void;

export interface Route {
  readonly method: string;
  /** Segments, with `{name}` for one path variable. */
  readonly pattern: string;
  readonly handle: RouteHandler;
}

/** Every path starting with `prefix` (a plain string-prefix match, so `/healthz` matches `/health`). */
export interface Mount {
  readonly prefix: string;
  readonly handle: RequestHandler;
}

/** Go's path.Clean, keeping a trailing slash as gorilla/mux does. */
export const cleanPath = (path: string): string => {
  if (path === '') return '/';
  const rooted = path.startsWith('/') ? path : `/${path}`;
  const out: string[] = [];
  for (const segment of rooted.split('/')) {
    if (segment === '' || segment === '.') continue;
    if (segment === '..') out.pop();
    else out.push(segment);
  }
  const cleaned = `/${out.join('/')}`;
  return rooted.endsWith('/') && cleaned !== '/' ? `${cleaned}/` : cleaned;
};

/** Splits a request target into its raw path and raw query (absolute-form targets included). */
export const splitTarget = (url: string | undefined): { readonly path: string; readonly query: string } => {
  let target = url ?? '/';
  if (!target.startsWith('/')) {
    const absolute = URL.parse(target);
    target = absolute ? `${absolute.pathname}${absolute.search}` : '/';
  }
  const at = target.indexOf('?');
  return at < 0 ? { path: target, query: '' } : { path: target.slice(0, at), query: target.slice(at + 1) };
};

const matchPattern = (pattern: readonly string[], segments: readonly string[]): Record<string, string> | undefined => {
  if (pattern.length !== segments.length) return undefined;
  const params: Record<string, string> = {};
  for (const [i, part] of pattern.entries()) {
    const segment = segments[i] ?? '';
    if (part.startsWith('{') && part.endsWith('}')) {
      if (segment === '') return undefined;
      params[part.slice(1, -1)] = segment;
    } else if (part !== segment) {
      return undefined;
    }
  }
  return params;
};

const encodePath = (path: string): string => encodeURI(path).replace(/\?/g, '%3F').replace(/#/g, '%23');

export const createRouter = (options: {
  readonly routes: readonly Route[];
  readonly mounts?: readonly Mount[] | undefined;
}): RequestHandler => {
  const compiled = options.routes.map((route) => ({ route, pattern: route.pattern.split('/') }));
  return (req, res) => {
    const { path: rawPath, query } = splitTarget(req.url);
    let path: string;
    try {
      // Routes match the decoded path, as Go's URL.Path is.
      path = decodeURIComponent(rawPath);
    } catch {
      sendTextError(res, 400, '400 Bad Request');
      return;
    }
    const cleaned = cleanPath(path);
    if (cleaned !== path) {
      sendEmpty(res, 301, { Location: `${encodePath(cleaned)}${query ? `?${query}` : ''}` });
      return;
    }
    const segments = path.split('/');
    let methodMismatch = false;
    for (const { route, pattern } of compiled) {
      const params = matchPattern(pattern, segments);
      if (!params) continue;
      if (route.method === req.method) {
        route.handle(req, res, params);
        return;
      }
      methodMismatch = true;
    }
    const mount = options.mounts?.find((m) => path.startsWith(m.prefix));
    if (mount) mount.handle(req, res);
    else if (methodMismatch) sendEmpty(res, 405);
    else sendNotFound(res);
  };
};
