// Invoice and credit-note numbers from a format such as "INV-{YYYY}-{seq:06}": the series it belongs to and the text.

const SEQ = /\{seq(?::0(\d))?\}/;

export interface NumberFormatParts {
  /** The series the sequence counts in: the format with the date filled in and {seq} removed ("INV-2025"). */
  series: string;
  format(sequence: number): string;
}

/**
 * Expands a number format for an issue date (YYYY-MM-DD). The series is the expanded text without the sequence
 * and its trailing separator, so "INV-{YYYY}-{seq:06}" counts per year and "INV-{seq:06}" forever.
 */
export function numberFormatFor(format: string, issueDate: string): NumberFormatParts {
  const m = /^(\d{4})-(\d{2})-\d{2}$/.exec(issueDate);
  if (!m) throw new Error(`numbering: issue date ${JSON.stringify(issueDate)} is not YYYY-MM-DD`);
  const seq = SEQ.exec(format);
  if (!seq) throw new Error(`numbering: format ${JSON.stringify(format)} has no {seq} (expected e.g. "INV-{YYYY}-{seq:06}")`);
  const dated = format.replaceAll('{YYYY}', m[1]!).replaceAll('{YY}', m[1]!.slice(2)).replaceAll('{MM}', m[2]!);
  const width = seq[1] === undefined ? 1 : Number(seq[1]);
  const series = dated.replace(SEQ, '').replace(/[-_/.\s]+$/, '') || dated.replace(SEQ, '#');
  return {
    series,
    format: (sequence) => {
      if (!Number.isSafeInteger(sequence) || sequence < 1) throw new Error(`numbering: sequence ${sequence} (expected an integer ≥ 1)`);
      return dated.replace(SEQ, String(sequence).padStart(width, '0'));
    },
  };
}
