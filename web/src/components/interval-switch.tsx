import type { BarInterval } from "../api/types";

/** The bar intervals the API serves, shortest first. */
const INTERVALS = ["1s", "1m", "5m"] as const satisfies readonly BarInterval[];

interface IntervalSwitchProps {
  value: BarInterval;
  onChange: (interval: BarInterval) => void;
}

/** Toggle buttons for the chart's bar interval. */
export function IntervalSwitch({ value, onChange }: IntervalSwitchProps) {
  return (
    <div className="segmented" role="group" aria-label="Bar interval">
      {INTERVALS.map((interval) => (
        <button key={interval} type="button" aria-pressed={interval === value} onClick={() => onChange(interval)}>
          {interval}
        </button>
      ))}
    </div>
  );
}
