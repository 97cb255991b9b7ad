import type { Duplex } from 'node:stream';
import { STATUS_CODES } from 'node:http';

/** Answers an upgrade request with a plain HTTP error and closes the socket (no WebSocket is opened). */
export const rejectUpgrade = (socket: Duplex, status: number, body: string): void => {
  const text = `${body}\n`;
  socket.on('error', () => {});
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\n` +
      'Content-Type: text/plain; charset=utf-8\r\n' +
      `Content-Length: ${Buffer.byteLength(text)}\r\n` +
      'Connection: close\r\n\r\n' +
      text,
  );
};
