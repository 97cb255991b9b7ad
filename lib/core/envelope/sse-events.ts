/** One Server-Sent Event: its `event` name (`message` when unnamed) and its data lines joined by `\n`. */
export interface SseEvent {
  readonly event: string;
  readonly data: string;
}

/** What one chunk of the stream yielded: whole events, and events dropped for their size. */
export interface SseChunkResult {
  readonly events: SseEvent[];
  /** One reason per event skipped because it grew past the size bound; the stream goes on after it. */
  readonly oversized: string[];
}

export interface SseParser {
  /** Feeds the next chunk of text; returns the events it completed. */
  push(chunk: string): SseChunkResult;
  /** The stream ended: an event without its closing blank line is not dispatched (the SSE rule). */
  end(): { readonly partial: boolean };
}

/**
 * An incremental Server-Sent Events reader (the RLP gateway's framing,
 * docs/anchor-compatibility.md#wire-rlp): lines end in LF, CRLF or CR; `event:` names the event,
 * each `data:` line adds a line of data, a blank line dispatches; comments (`:`) and `id:`/`retry:`
 * are ignored. One space after the colon is dropped. An event whose data passes `maxEventChars` is
 * skipped up to its blank line and reported, so a runaway peer cannot exhaust memory and the events
 * after it are still read.
 */
export const createSseParser = (options: { readonly maxEventChars?: number } = {}): SseParser => {
  const maxEventChars = options.maxEventChars ?? 64 * 1024 * 1024;
  let pending = '';
  let event = '';
  let data: string[] = [];
  let size = 0;
  let skipping = false;
  let sawField = false;
  let lastWasCr = false;

  const reset = (): void => {
    event = '';
    data = [];
    size = 0;
    skipping = false;
    sawField = false;
  };

  const line = (text: string, out: SseChunkResult): void => {
    if (text === '') {
      if (skipping) out.oversized.push(`event larger than ${maxEventChars} characters skipped`);
      else if (data.length > 0) out.events.push({ event: event === '' ? 'message' : event, data: data.join('\n') });
      reset();
      return;
    }
    sawField = true;
    if (skipping || text.startsWith(':')) return;
    const colon = text.indexOf(':');
    const name = colon < 0 ? text : text.slice(0, colon);
    let value = colon < 0 ? '' : text.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (name === 'event') event = value;
    else if (name === 'data') {
      size += value.length + 1;
      if (size > maxEventChars) {
        skipping = true;
        data = [];
      } else data.push(value);
    }
  };

  return {
    push(chunk) {
      const out: SseChunkResult = { events: [], oversized: [] };
      let text = pending + chunk;
      // A CRLF split over two chunks: the LF belongs to the CR already taken as a line end.
      if (lastWasCr && text.startsWith('\n')) text = text.slice(1);
      lastWasCr = false;
      let from = 0;
      if (!text.includes('\r')) {
        // LF only, as the gateway writes: the native search beats a loop over every character.
        for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', from)) {
          line(text.slice(from, i), out);
          from = i + 1;
        }
      } else {
        for (let i = 0; i < text.length; i += 1) {
          const c = text.charCodeAt(i);
          if (c !== 10 && c !== 13) continue;
          line(text.slice(from, i), out);
          if (c === 13) {
            if (i + 1 === text.length) lastWasCr = true;
            else if (text.charCodeAt(i + 1) === 10) i += 1;
          }
          from = i + 1;
        }
      }
      pending = text.slice(from);
      // A line that will not end inside the bound is dropped as it comes, not held.
      if (pending.length > maxEventChars) {
        skipping = true;
        sawField = true;
        data = [];
        pending = '';
      }
      return out;
    },
    end() {
      const partial = pending !== '' || sawField;
      pending = '';
      reset();
      return { partial };
    },
  };
};
