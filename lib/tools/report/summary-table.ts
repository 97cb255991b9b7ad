import { formatOffset, formatUtc } from './format-time.ts';
import type { ScalingRow } from './scaling-rows.ts';

const pad = (cells: readonly string[], widths: readonly number[]) =>
  cells
    .map((c, i) => c.padEnd(widths[i]!))
    .join('  ')
    .trimEnd();

/**
 * The terminal summary: one line per scaling event (calls the engine acted on), then a count of the
 * calls it ignored or refused, by reason.
 */
export const renderSummaryTable = (rows: readonly ScalingRow[], startNs: bigint): string => {
  const scaled = rows.filter((r) => r.status === 0);
  const header = ['time (UTC)', 'offset', 'app', 'rule', 'value', 'instances', 'cooldown until'];
  const body = scaled.map((r) => [
    formatUtc(r.at),
    formatOffset(r.at, startNs),
    r.appName || r.appId,
    r.rule,
    r.value,
    `${r.before} -> ${r.after}`,
    formatUtc(r.cooldownUntil).slice(11),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const lines = [`${scaled.length} scaling event${scaled.length === 1 ? '' : 's'}`];
  if (body.length > 0)
    lines.push(pad(header, widths), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map((b) => pad(b, widths)));
  const others = new Map<string, number>();
  for (const r of rows) if (r.status !== 0) others.set(r.reason, (others.get(r.reason) ?? 0) + 1);
  if (others.size > 0) {
    const total = [...others.values()].reduce((a, b) => a + b, 0);
    lines.push(
      `${total} call${total === 1 ? '' : 's'} not acted on: ${[...others].map(([reason, n]) => `${n} ${reason}`).join(', ')}`,
    );
  }
  return `${lines.join('\n')}\n`;
};
