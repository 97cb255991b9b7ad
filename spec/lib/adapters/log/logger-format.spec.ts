import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { Writable } from 'node:stream';
import { createLogger, logFormatFor } from '../../../../lib/adapters/log/logger.ts';
import type { LoggerOptions } from '../../../../lib/adapters/log/logger.ts';

const capture = () => {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(...chunk.toString().split('\n').filter(Boolean));
      done();
    },
  });
  return { lines, destination: stream as unknown as LoggerOptions['destination'] };
};

/** What fetch throws when nothing listens: the reason sits two causes down. */
const refused = () => {
  const system = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9999'), { code: 'ECONNREFUSED' });
  const fetchFailed = new TypeError('fetch failed', { cause: system });
  return new Error('Request failed due to a network error: GET http://127.0.0.1:9999/x', { cause: fetchFailed });
};

const format = suite('log format');

format('pretty on a terminal, JSON otherwise; LOG_FORMAT overrides both ways', () => {
  assert.is(logFormatFor({}, { isTTY: true }), 'pretty');
  assert.is(logFormatFor({}, { isTTY: false }), 'json');
  assert.is(logFormatFor({}, {}), 'json');
  assert.is(logFormatFor({ LOG_FORMAT: 'json' }, { isTTY: true }), 'json');
  assert.is(logFormatFor({ LOG_FORMAT: 'Pretty' }, { isTTY: false }), 'pretty');
  assert.throws(() => logFormatFor({ LOG_FORMAT: 'xml' }, {}), /LOG_FORMAT must be pretty or json, got 'xml'/);
});

format('pretty writes one readable line: time, level, message', () => {
  const out = capture();
  const logger = createLogger({ format: 'pretty', destination: out.destination });
  logger.info({ component: 'collector', appId: 'a1' }, 'hello there');
  assert.is(out.lines.length, 1);
  assert.match(out.lines[0]!, /^\[\d\d:\d\d:\d\d\] INFO: hello there \{"appId":"a1"\}$/);
});

format('json writes pino lines', () => {
  const out = capture();
  createLogger({ destination: out.destination }).info({ appId: 'a1' }, 'hello');
  const line = JSON.parse(out.lines[0]!) as Record<string, unknown>;
  assert.is(line.msg, 'hello');
  assert.is(line.appId, 'a1');
  assert.is(line.level, 30);
});

format('no stack trace below error level; the cause chain is in the text', () => {
  const out = capture();
  const logger = createLogger({ destination: out.destination });
  logger.warn({ err: refused() }, 'read failed');
  logger.info({ error: refused() }, 'again');
  for (const text of out.lines) {
    assert.not.match(text, /"stack"/);
    assert.match(text, /connect ECONNREFUSED 127\.0\.0\.1:9999/);
  }
  logger.error({ err: refused() }, 'a bug, maybe');
  assert.match(out.lines[2]!, /"stack"/, 'error level keeps the stack');
});

format.run();
