/**
 * The yardstick of the replay benchmark: bare JSON.parse of every line of a recording, on this one
 * thread. Decompressing and cutting lines into strings is not timed; only the JSON.parse loops are
 * (wall and this thread's CPU), summed over the file's chunks. Prints one JSON line.
 * Usage: node scripts/bench/json-parse-lines.ts <recording>
 */
import { readRecordingLines } from '../../lib/tools/recording/read-recording-lines.ts';

const path = process.argv[2];
if (!path) throw new Error('usage: node scripts/bench/json-parse-lines.ts <recording>');
let lines = 0;
let wallMs = 0;
let cpuMs = 0;
let keep = 0;
for await (const { texts } of readRecordingLines(path)) {
  const wall = performance.now();
  const cpu = process.threadCpuUsage();
  for (const text of texts) {
    // Something of each result is used, so the parse cannot be skipped.
    if (JSON.parse(text) !== null) keep += 1;
  }
  const used = process.threadCpuUsage(cpu);
  cpuMs += (used.user + used.system) / 1000;
  wallMs += performance.now() - wall;
  lines += texts.length;
}
process.stdout.write(`${JSON.stringify({ lines, parsed: keep, wallMs, cpuMs })}\n`);
