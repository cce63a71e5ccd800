// The one error the config loader throws: every problem of a file, each with its file, line and key.

/** One thing wrong with a config file, positioned so the operator can jump to it. */
export interface ConfigProblem {
  /** The file name as the caller gave it. */
  file: string;
  /** 1-based line; undefined when the file could not be read at all. */
  line: number | undefined;
  /** Dotted key path, e.g. `radius.clients[1].secret`; `(top level)` for the document itself. */
  key: string;
  /** What is wrong, ending in `(expected …)`. Never contains a secret's value. */
  message: string;
}

/** `FILE:LINE KEY: WHAT IS WRONG (expected …)`, the form editors and grep both understand. */
export function formatConfigProblem(p: ConfigProblem): string {
  const where = p.line === undefined ? p.file : `${p.file}:${p.line}`;
  return `${where} ${p.key}: ${p.message}`;
}

/** One line per problem, in file order, for the CLI or a log line. */
export function formatConfigErrors(problems: readonly ConfigProblem[]): string {
  return sortProblems(problems).map(formatConfigProblem).join('\n');
}

export function sortProblems(problems: readonly ConfigProblem[]): ConfigProblem[] {
  return [...problems].sort((a, b) => (a.line ?? 0) - (b.line ?? 0) || a.key.localeCompare(b.key));
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  readonly problems: readonly ConfigProblem[];

  constructor(problems: readonly ConfigProblem[]) {
    const sorted = sortProblems(problems);
    super(formatConfigErrors(sorted));
    this.problems = sorted;
  }
}
