import { parseArgs } from 'node:util';
import type { ParseArgsOptionsConfig } from 'node:util';

/**
 * The command-line contract every script keeps: `--help` (or `-h`) prints the usage on stdout and
 * exits 0; an unknown option, a missing value or any other usage error prints the reason and the
 * usage on stderr and exits 2; a failure of the work itself exits 1 (the script's own business).
 */
export interface CliSpec<O extends ParseArgsOptionsConfig> {
  /** The script's short name, prefixed to usage errors (`record: --out is required`). */
  readonly name: string;
  /** The whole usage text, ending in a newline. */
  readonly usage: string;
  readonly options: O;
  readonly allowPositionals?: boolean;
  /** Defaults to process.argv.slice(2). */
  readonly argv?: readonly string[];
}

/** Prints the usage error and exits 2. A declaration, so that a call narrows types like `throw`. */
export function exitWithUsage(name: string, usage: string, message: string): never {
  process.stderr.write(`${name}: ${message}\n\n${usage}`);
  return process.exit(2);
}

/** Prints the usage and exits 0 when the arguments ask for help; for scripts with a parser of their own. */
export const answerHelp = (usage: string, argv: readonly string[] = process.argv.slice(2)): void => {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(usage);
    process.exit(0);
  }
};

/** `util.parseArgs` (strict) with `--help` and the exit codes above. */
export const parseCli = <const O extends ParseArgsOptionsConfig>(spec: CliSpec<O>) => {
  const argv = [...(spec.argv ?? process.argv.slice(2))];
  answerHelp(spec.usage, argv);
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: spec.options, allowPositionals: true, strict: true });
  } catch (err) {
    // Node adds a long hint on '--' to an unknown option; the first sentence says it all.
    return exitWithUsage(
      spec.name,
      spec.usage,
      (err as Error).message.replace(/\. To specify a positional[\s\S]*$/, ''),
    );
  }
  if (!spec.allowPositionals && parsed.positionals.length > 0)
    exitWithUsage(spec.name, spec.usage, `unexpected argument '${parsed.positionals[0]}'`);
  return parsed;
};
