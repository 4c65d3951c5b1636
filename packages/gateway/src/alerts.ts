import type { RiskHalted } from "@tickflow/core";
import type { ReadSide } from "@tickflow/read-side";
import { readSideQuery } from "./read-side";
import type { Alert } from "./schemas";

const percent = (fraction: number) => `${(fraction * 100).toFixed(2)}%`;
const amount = (value: number) => value.toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 });

/** The alert for a halt. Its id depends only on the halt, so every source and every retry names it alike. */
export function alertFromHalt(halt: RiskHalted): Alert {
  return {
    id: `${halt.strategyId}:${halt.tsEvent}`,
    strategyId: halt.strategyId,
    reason: halt.reason,
    message: `Strategy ${halt.strategyId} halted: drawdown ${percent(halt.drawdown)} reached its ${percent(halt.limit)} limit (equity ${amount(halt.equity)}, peak ${amount(halt.peakEquity)})`,
    drawdown: halt.drawdown,
    limit: halt.limit,
    equity: halt.equity,
    peakEquity: halt.peakEquity,
    tsEvent: halt.tsEvent,
  };
}

/** Where /api/alerts reads from: the consumer's memory locally, the read side's risk events on AWS. */
export interface AlertSource {
  /** Newest first, at most `limit`. */
  recent(limit: number): Promise<Alert[]>;
}

const newestFirst = (a: Alert, b: Alert) => b.tsEvent - a.tsEvent || (a.id < b.id ? 1 : -1);

/** Alerts kept in memory by the local risk consumer, deduplicated by id (redelivered records add nothing). */
export class AlertStore implements AlertSource {
  private readonly alerts = new Map<string, Alert>();

  constructor(private readonly capacity = 1_000) {}

  /** True when the alert is new. */
  add(alert: Alert): boolean {
    if (this.alerts.has(alert.id)) return false;
    this.alerts.set(alert.id, alert);
    if (this.alerts.size > this.capacity) {
      const oldest = [...this.alerts.values()].sort(newestFirst).slice(this.capacity);
      for (const a of oldest) this.alerts.delete(a.id);
    }
    return true;
  }

  async recent(limit: number): Promise<Alert[]> {
    return [...this.alerts.values()].sort(newestFirst).slice(0, limit);
  }
}

/**
 * Alerts derived from the read side's risk events. A Lambda cannot read the memory of the
 * consumer Lambda that sent the alerts, but every alert is a risk.halted the read side also
 * keeps, so the list is the same one.
 */
export class ReadSideAlertSource implements AlertSource {
  constructor(private readonly readSide: ReadSide | null) {}

  async recent(limit: number): Promise<Alert[]> {
    // resets are interleaved with halts: read enough of both, then keep the halts
    const events = await readSideQuery(this.readSide, (rs) => rs.riskEvents(Math.min(limit * 2, 1_000)));
    return events
      .flatMap((e) => (e.type === "risk.halted" ? [alertFromHalt(e.data)] : []))
      .sort(newestFirst)
      .slice(0, limit);
  }
}
