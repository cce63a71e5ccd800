// Splits a billing period into pieces by subscription start/end, plan changes and suspensions, and prorates by day or second.
import type { Plan, Subscription } from '../config/catalog-schema.js';
import { localDayNumber, type Period, parseInstant } from './calendar.js';
import { type Dec, dec, roundMoney, type RoundingMode, ZERO } from './money.js';

/** A maximal part of the period in one state: on `planId` and active, or not in service (planId undefined). */
export interface Piece extends Period {
  planId: string | undefined;
  suspended: boolean;
}

/** Pieces covering [period.from, period.to) exactly, in time order. */
export function piecesOf(sub: Subscription, period: Period, tz: string): Piece[] {
  const start = parseInstant(sub.start, tz);
  const end = sub.end === undefined ? Infinity : parseInstant(sub.end, tz);
  const changes = sub.changes.map((c) => ({ at: parseInstant(c.date, tz), plan: c.plan }));
  const suspensions = sub.suspensions.map((s) => ({ from: parseInstant(s.from, tz), to: s.to === undefined ? Infinity : parseInstant(s.to, tz) }));
  const cuts = new Set<number>([period.from, period.to]);
  for (const t of [start, end, ...changes.map((c) => c.at), ...suspensions.flatMap((s) => [s.from, s.to])]) {
    if (t > period.from && t < period.to) cuts.add(t);
  }
  const sorted = [...cuts].sort((a, b) => a - b);
  const pieces: Piece[] = [];
  for (let i = 0; i + 1 < sorted.length; i++) {
    const from = sorted[i]!;
    const to = sorted[i + 1]!;
    const inService = from >= start && from < end;
    let planId: string | undefined = inService ? sub.plan : undefined;
    if (inService) for (const c of changes) if (c.at <= from) planId = c.plan;
    // NOTE: a suspended piece is out of service for everything: no recurring fee, and its usage is not rated.
    const suspended = inService && suspensions.some((s) => s.from <= from && from < s.to);
    const last = pieces[pieces.length - 1];
    const state = suspended ? undefined : planId;
    if (last && last.planId === state && last.suspended === suspended) last.to = to;
    else pieces.push({ from, to, planId: state, suspended });
  }
  return pieces;
}

export type Proration = Plan['proration'];

/** Weight of a piece: local calendar days (a 23- or 25-hour DST day is one day) or seconds. */
export function pieceWeight(p: Period, unit: 'day' | 'second', tz: string): bigint {
  if (unit === 'second') return BigInt(Math.round((p.to - p.from) / 1000));
  return BigInt(localDayNumber(p.to, tz) - localDayNumber(p.from, tz));
}

/**
 * The share of a full-period amount that falls on pieces where `planId` is active: amount × active weight / total
 * weight, rounded once to the currency. NOTE: the customer's share is rounded as its own amount first (what the
 * customer can check by hand); the residual of the split, `amount − share`, belongs to the pieces where the plan is
 * not active and is never billed, so the active piece neither gains nor loses a cent by the tie rules of a split.
 * `amount` may carry more digits than the currency (`rounding.pricePrecision: exact`): it is only rounded here.
 * `none` charges the (rounded) amount in full if the plan is active in any piece.
 */
export function proratedShare(amount: Dec, pieces: readonly Piece[], planId: string, proration: Proration, tz: string, currency: string, mode: RoundingMode):
  { amount: Dec; weight: bigint; total: bigint; residual: Dec } {
  const active = pieces.map((p) => p.planId === planId);
  if (proration === 'none') {
    const full = roundMoney(amount, currency, mode);
    return active.some(Boolean) ? { amount: full, weight: 1n, total: 1n, residual: ZERO } : { amount: ZERO, weight: 1n, total: 1n, residual: full };
  }
  const weights = pieces.map((p) => pieceWeight(p, proration, tz));
  const total = weights.reduce((a, b) => a + b, 0n);
  const weight = weights.reduce((a, w, i) => (active[i] ? a + w : a), 0n);
  const share = total === 0n ? ZERO : roundMoney(amount.times(dec(weight)).div(dec(total)), currency, mode);
  return { amount: share, weight, total, residual: roundMoney(amount, currency, mode).minus(share) };
}
