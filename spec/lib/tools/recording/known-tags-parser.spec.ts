import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { createKnownTagsParser } from '../../../../lib/tools/recording/known-tags-parser.ts';
import { parseJsonLine } from '../../../../lib/tools/recording/parse-recording-line.ts';

const APP = '6e4b1f7a-3c2d-4b8e-9f10-2a7c5d9e8b41';
const TAGS = `{"app_id":"${APP}","app_name":"shop","instance_id":"0","origin":"rep","process_instance_id":"b532e006-6f60-4e08-853b"}`;
const OTHER_TAGS = TAGS.replace('"instance_id":"0"', '"instance_id":"1"').replace('b532e006', 'c643f117');
const GAUGE = '"gauge":{"metrics":{"cpu":{"unit":"percentage","value":34.4866}}}';
const line = (tags: string, rest = GAUGE, ts = '1731578400095839000') =>
  `{"timestamp":"${ts}","source_id":"${APP}","instance_id":"0","deprecated_tags":{},"tags":${tags},${rest}}`;

/** The text of a parse result, key order and bigints included, or the error it threw. */
const outcome = (parse: (text: string) => unknown, text: string): string => {
  try {
    return JSON.stringify(parse(text), (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v)) ?? 'undefined';
  } catch (err) {
    return `threw ${(err as Error).message}`;
  }
};

/** Feeds the lines in order (so tags are learnt) and checks each against a plain parse. */
const expectSameAsPlain = (texts: readonly string[]) => {
  const parse = createKnownTagsParser();
  for (const text of texts) assert.is(outcome(parse, text), outcome(parseJsonLine, text), text);
};

// ---
const known = suite('createKnownTagsParser');

known('gives what a plain parse gives, reusing one tags object per distinct tags text', () => {
  const parse = createKnownTagsParser();
  const a = parse(line(TAGS)) as { tags: object };
  const b = parse(line(TAGS, GAUGE, '1731578400095840000')) as { tags: object; timestamp: string };
  const c = parse(line(OTHER_TAGS)) as { tags: object };
  assert.equal(b, JSON.parse(line(TAGS, GAUGE, '1731578400095840000')));
  assert.is(b.timestamp, '1731578400095840000');
  assert.ok(a.tags === b.tags, "the second line reuses the first line's tags");
  assert.ok(c.tags !== a.tags);
  assert.equal(c, JSON.parse(line(OTHER_TAGS)));
});

known('parses whole whatever it cannot prove equal', () => {
  expectSameAsPlain([
    line(TAGS),
    // A later duplicate tags key wins in JSON.parse, plain or spelled with escapes.
    line(TAGS, `${GAUGE},"tags":{"x":"y"}`),
    line(TAGS, `${GAUGE},"t\\u0061gs":{"x":"y"}`),
    line(TAGS, `${GAUGE},"tags":null`),
    line(TAGS, `${GAUGE},"t\\u0061gs":null`),
    line(TAGS, `${GAUGE},"tags" : 0`),
    // The same tags text nested deeper, and as a string value.
    `{"timestamp":"1","source_id":"${APP}","log":{"tags":${TAGS}}}`,
    `{"timestamp":"1","source_id":"${APP}","log":{"tags":${TAGS},"x":"y"}}`,
    `{"timestamp":"1","source_id":"${APP}","log":{"tags":${TAGS}},"tags":${TAGS}}`,
    line(TAGS, `"gauge":{"metrics":{"tags":{"unit":"x","value":1}}}`),
    line(TAGS, `"origin":"tags",${GAUGE}`),
    // Escapes elsewhere, spaces, and tags as the last key.
    line(TAGS, `"gauge":{"metrics":{"c\\u0070u":{"unit":"percentage","value":1}}}`),
    line(TAGS.replace(':"rep"', ': "rep"')),
    `{"timestamp":"1","source_id":"${APP}",${GAUGE},"tags":${TAGS}}`,
    `{"timestamp":"1","source_id":"${APP}",${GAUGE},"tags":${TAGS}}`,
    // Keys JSON.parse reorders, duplicate keys inside the tags, and __proto__.
    line('{"b":"1","2":"x"}'),
    line('{"b":"1","2":"x"}'),
    line('{"a":"1","a":"2"}'),
    line('{"a":"1","a":"2"}'),
    line('{"__proto__":"p","a":"b"}'),
    line('{"__proto__":"p","a":"b"}'),
    // Tags that are not all strings are never reused.
    line('{"a":{"b":"c"},"d":"e"}'),
    line('{"a":{"b":"c"},"d":"e"}'),
  ]);
});

known('reports a broken line exactly as a plain parse does, after its tags were learnt', () => {
  expectSameAsPlain([
    line(TAGS),
    line(TAGS).slice(0, -5),
    line(TAGS, '"gauge":{"metrics":{"cpu":{"unit":"percentage","value":}}}'),
    `${line(TAGS)} trailing`,
    line(TAGS, `${GAUGE},"timestamp":17315784000958390001`),
  ]);
});

known('agrees with a plain parse on thousands of generated lines', () => {
  // A small deterministic generator: pieces known to be tricky, recombined and cut at random.
  let seed = 7;
  const random = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32;
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const tagTexts = [
    TAGS,
    OTHER_TAGS,
    `{"tags":${TAGS},"x":"y"}`,
    '{}',
    '{"a":"}"}',
    '{"a":"},\\""}',
    '{"a":"b","tags":"c"}',
    '{"1":"x"}',
    '{"a":"b"}',
  ];
  const rests = [
    GAUGE,
    `${GAUGE},"tags":{}`,
    `${GAUGE},"t\\u0061gs":{"z":"z"}`,
    '"log":{"payload":"eA=="}',
    '"counter":{"name":"n","total":"5"}',
    `${GAUGE},"x":"\\"tags\\":1"`,
  ];
  const texts: string[] = [];
  for (let i = 0; i < 5000; i++) {
    const text = line(pick(tagTexts), pick(rests), String(1731578400000000000n + BigInt(i)));
    const cut = random() < 0.1 ? Math.floor(random() * text.length) : text.length;
    texts.push(random() < 0.05 ? `${text.slice(0, cut)}}` : text.slice(0, cut));
  }
  expectSameAsPlain(texts);
});

known.run();
