import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import type { Browser } from 'playwright-core';
import { silentLogger } from '../../../../lib/adapters/log/logger.ts';
import type { ReportData } from '../../../../lib/tools/report/report-data.ts';
import { renderReport } from '../../../../lib/tools/report/render-report.ts';
import { parsePolicyFile } from '../../../../lib/replay/replay-policies.ts';
import { writeReplayReport } from '../../../../lib/replay/replay-report.ts';
import { DEFAULT_REPLAY_SETTINGS } from '../../../../pipelines/graph/replay-settings.ts';
import { runReplay } from '../../../../lib/replay/run-replay.ts';
import { openTestDatabase } from '../../../support/database.ts';

const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
const recordings = join(import.meta.dirname, '..', '..', '..', '..', 'recordings');

/** The little of the DOM the checks read (the project compiles without the DOM library). */
interface Node {
  readonly textContent: string | null;
  getAttribute(name: string): string | null;
  querySelector(selector: string): Node | null;
  querySelectorAll(selector: string): Iterable<Node> & { readonly length: number };
}

interface Rendered {
  readonly charts: {
    title: string;
    points: number;
    thresholds: number;
    breaches: number;
    cooldowns: number;
    scalings: string[];
    ignored: number;
  }[];
  readonly rows: string[][];
  readonly problems: string[];
  readonly requests: string[];
}

let browser: Browser;
let dir: string;

/** Opens a report file and reads back what its script drew. Bounded: uvu has no time-outs. */
const open = async (path: string): Promise<Rendered> => {
  const page = await browser.newPage();
  const problems: string[] = [];
  const requests: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') problems.push(m.text());
  });
  page.on('pageerror', (e) => problems.push(e.message));
  page.on('request', (r) => {
    if (!r.url().startsWith('file:')) requests.push(r.url());
  });
  try {
    await page.goto(`file://${path}`, { timeout: 15_000 });
    await page.waitForSelector('body[data-rendered]', { timeout: 15_000 });
    const found = await page.evaluate(() => {
      const document = (globalThis as unknown as { document: Node }).document;
      return {
        charts: [...document.querySelectorAll('.chart')].map((c) => ({
          title: c.querySelector('h3')?.textContent ?? '',
          points: Number(c.querySelector('path.metric-line')?.getAttribute('data-points') ?? -1),
          thresholds: c.querySelectorAll('line.threshold').length,
          breaches: c.querySelectorAll('rect.breach').length,
          cooldowns: c.querySelectorAll('rect.cooldown').length,
          scalings: [...c.querySelectorAll('.scaling-event text')].map((t) => t.textContent ?? ''),
          ignored: c.querySelectorAll('.ignored-call').length,
        })),
        rows: [...document.querySelectorAll('#events tbody tr')].map((tr) =>
          [...tr.querySelectorAll('td')].map((td) => td.textContent ?? ''),
        ),
      };
    });
    return { ...found, problems, requests };
  } finally {
    await page.close();
  }
};

// ---
const report = suite('renderReport in Chromium');
report.before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'report-'));
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS, timeout: 30_000 });
});
report.after(async () => {
  await browser?.close();
  await rm(dir, { recursive: true, force: true });
});

report('draws the replay of the spike sample: metric, thresholds, breaches, cooldowns and scaling events', async () => {
  const db = await openTestDatabase();
  try {
    const parsed = parsePolicyFile(await readFile(join(recordings, 'spike', 'policy.json'), 'utf8'));
    assert.ok(parsed.ok);
    const result = await runReplay({
      recording: join(recordings, 'spike', 'recording.ndjson.gz'),
      policies: parsed.ok ? parsed.policies : (undefined as never),
      database: db,
      settings: DEFAULT_REPLAY_SETTINGS,
      logger: silentLogger(),
      loadModel: 'recorded',
    });
    const path = await writeReplayReport(result, join(dir, 'spike.html'), 'spike');
    const html = await readFile(path, 'utf8');
    assert.not.match(html, /<(script|link)[^>]+(src|href)=/, 'nothing is loaded from elsewhere');
    assert.not.match(html, /<script/, 'readable without JavaScript: the charts are rendered on the server');
    assert.match(html, /time \(UTC, 2024-11-14\)/);
    assert.match(html, /All 4 values of cpu in the last 120 s were above 70 %/);
    assert.match(html, /instance count at minimum/);

    const page = await open(path);
    assert.equal(page.problems, []);
    assert.equal(page.requests, []);
    assert.is(page.charts.length, 1);
    const chart = page.charts[0]!;
    assert.match(chart.title, /^checkout-web · cpu \(%\)/);
    assert.is(chart.points, result.series[0]!.points.length);
    assert.ok(chart.points > 50);
    assert.is(chart.thresholds, 2);
    assert.ok(chart.breaches > 0);
    assert.is(chart.cooldowns, 6);
    assert.equal(chart.scalings, ['2→4', '4→6', '6→5', '5→4', '4→3', '3→2']);
    assert.is(chart.ignored, 15);
    assert.equal(
      page.rows.map((r) => [r[0], r[4]]),
      [
        ['2024-11-14 10:18:02', '2 → 4'],
        ['2024-11-14 10:23:22', '4 → 6'],
        ['2024-11-14 10:33:22', '6 → 5'],
        ['2024-11-14 10:38:42', '5 → 4'],
        ['2024-11-14 10:44:02', '4 → 3'],
        ['2024-11-14 10:49:22', '3 → 2'],
      ],
    );
  } finally {
    await db.close();
  }
});

report('draws one chart per app and metric, leaves gaps for empty metrics and escapes text', async () => {
  const t0 = Date.UTC(2024, 10, 14, 10);
  const data: ReportData = {
    title: 'Replay of <b>two apps</b>',
    subtitle: 's',
    start: t0,
    end: t0 + 600_000,
    notes: ['note </script><script>alert(1)</script>'],
    rows: [],
    charts: [
      {
        appId: 'a',
        appName: 'alpha',
        metricType: 'cpu',
        unit: '%',
        points: [
          [t0 + 40_000, 10],
          [t0 + 80_000, null],
          [t0 + 120_000, 30],
        ],
        thresholds: [{ value: 20, label: '> 20 (+1)' }],
        breaches: [],
        cooldowns: [],
        scalings: [],
        ignored: [],
        instances: [[t0, 1]],
      },
      {
        appId: 'a',
        appName: 'alpha',
        metricType: 'memoryused',
        unit: 'MB',
        points: [[t0 + 40_000, 300]],
        thresholds: [],
        breaches: [[t0, t0 + 60_000, 'memoryused > 200', 'up']],
        cooldowns: [[t0 + 60_000, t0 + 360_000]],
        scalings: [{ t: t0 + 60_000, before: 1, after: 2, label: 'x' }],
        ignored: [],
        instances: [
          [t0, 1],
          [t0 + 60_000, 2],
        ],
      },
      {
        appId: 'b',
        appName: '',
        metricType: 'queue_length',
        unit: '',
        points: [[t0 + 40_000, null]],
        thresholds: [{ value: 5, label: '< 5 (-1)' }],
        breaches: [],
        cooldowns: [],
        scalings: [],
        ignored: [[t0 + 50_000, 'in cooldown']],
        instances: [[t0, 2]],
      },
    ],
  };
  const path = join(dir, 'synthetic.html');
  await writeFile(path, renderReport(data));
  const page = await open(path);
  assert.equal(page.problems, []);
  assert.equal(
    page.charts.map((c) => [c.title.split('  ')[0], c.points]),
    [
      ['alpha · cpu (%)', 2],
      ['alpha · memoryused (MB)', 1],
      ['b · queue_length', 0],
    ],
  );
  assert.equal(page.charts[1]!.scalings, ['1→2']);
  assert.is(page.charts[2]!.ignored, 1);
  assert.equal(page.rows, [['No scaling events.']]);
});

report.run();
