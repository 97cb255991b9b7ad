import type { Logger } from '../adapters/log/logger.ts';
import { formatUtc } from '../tools/report/format-time.ts';
import { renderLabJson, renderLabTable } from './lab-output.ts';
import { writeLabReport } from './lab-report.ts';
import { runPolicyLab } from './policy-lab.ts';
import type { LabProgress, ProgressLine } from './replay-progress.ts';
import type { ReplayArgs } from './replay-args.ts';
import type { ReplayOptions } from './replay-types.ts';
import type { CandidateSet } from './vary.ts';

/** `replay --vary ...`: the policy lab from the command line; writes the table or JSON, and the report. */
export const runLabCommand = async (input: {
  readonly args: ReplayArgs;
  readonly candidates: CandidateSet;
  readonly database?: ReplayOptions['database'];
  readonly logger: Logger;
  readonly progress: ProgressLine<LabProgress>;
}): Promise<void> => {
  const { args, progress } = input;
  const lab = await runPolicyLab({
    recording: args.recording,
    candidates: input.candidates,
    database: input.database,
    settings: args.settings,
    logger: input.logger,
    speed: args.speed,
    initialInstances: args.initialInstances,
    strict: args.strict,
    loadModel: args.lab.loadModel,
    pressure: args.lab.pressure,
    maxPressureSecs: args.lab.maxPressureSecs,
    flapWindowSecs: args.lab.flapWindowSecs,
    onProgress: (p) => progress.update({ fraction: p.fraction, label: `virtual time ${formatUtc(p.virtualNs)} UTC` }),
    onCandidate: (done, total) => progress.update({ fraction: done / total, label: `candidate ${done} of ${total}` }),
  });
  progress.done();
  process.stdout.write(args.json ? renderLabJson(lab, args.recording) : renderLabTable(lab, args.name));
  if (args.report) {
    const path = await writeLabReport(lab, args.report, args.name);
    (args.json ? process.stderr : process.stdout).write(`report: ${path}\n`);
  }
};
