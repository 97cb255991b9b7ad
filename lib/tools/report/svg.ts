/** Text for HTML and SVG alike. */
export const escapeXml = (text: string): string =>
  text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/** One element; attributes in the order given, numbers to one decimal. */
export const tag = (name: string, attrs: Record<string, string | number>, inner?: string): string => {
  const a = Object.entries(attrs)
    .map(([k, v]) => ` ${k}="${typeof v === 'number' ? String(Math.round(v * 10) / 10) : escapeXml(v)}"`)
    .join('');
  return inner === undefined ? `<${name}${a}/>` : `<${name}${a}>${inner}</${name}>`;
};

/** Round tick steps (1, 2, 5 × 10^n) so axis labels read naturally. */
export const niceStep = (span: number, count: number): number => {
  const raw = span / Math.max(1, count);
  const mag = 10 ** Math.floor(Math.log10(raw || 1));
  for (const s of [1, 2, 5, 10]) if (raw <= s * mag) return s * mag;
  return 10 * mag;
};

const pad2 = (n: number) => String(n).padStart(2, '0');
export const clockUtc = (t: number): string => {
  const d = new Date(t);
  return `${pad2(d.getUTCHours())}:${pad2(d.getUTCMinutes())}`;
};
export const stampUtc = (t: number): string => new Date(t).toISOString().slice(0, 19).replace('T', ' ');
export const dateUtc = (t: number): string => new Date(t).toISOString().slice(0, 10);
