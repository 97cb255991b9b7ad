import type { ServerResponse } from 'node:http';

/**
 * Response writers with the anchor's exact headers and bodies
 * (docs/anchor-compatibility.md#history-api, #health).
 */
export const sendBody = (res: ServerResponse, status: number, contentType: string, body: string): void => {
  res.writeHead(status, { 'Content-Type': contentType, 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
};

export const sendJson = (res: ServerResponse, status: number, body: string): void =>
  sendBody(res, status, 'application/json', body);

/** A compact `{"code":…,"message":…}` error body, no trailing newline. */
export const sendJsonError = (res: ServerResponse, status: number, code: string, message: string): void =>
  sendJson(res, status, JSON.stringify({ code, message }));

/** Go's http.Error: plain text with a newline, and nosniff. */
export const sendTextError = (res: ServerResponse, status: number, text: string): void => {
  const body = `${text}\n`;
  res.writeHead(status, {
    'Content-Type': 'text/plain; charset=utf-8',
    'X-Content-Type-Options': 'nosniff',
    'Content-Length': Buffer.byteLength(body),
  });
  res.end(body);
};

export const sendEmpty = (
  res: ServerResponse,
  status: number,
  headers: Readonly<Record<string, string>> = {},
): void => {
  res.writeHead(status, { ...headers, 'Content-Length': 0 });
  res.end();
};

export const sendNotFound = (res: ServerResponse): void => sendTextError(res, 404, '404 page not found');
export const sendUnauthorized = (res: ServerResponse): void => sendTextError(res, 401, 'Unauthorized');
