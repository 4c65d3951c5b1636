import type { OptimizeResult } from "./result";
import { escapeHtml as e } from "../report-html";

/**
 * `tickflow optimize --report`: the objective over the first two axes as a table of coloured
 * cells (the best value over any further axes), self-contained like the backtest report. With
 * one axis it is a single row.
 */
export function heatMapHtml(r: OptimizeResult): string {
  const [rowsAxis, colsAxis] = r.axes;
  const rows = rowsAxis!.values;
  const cols = colsAxis?.values ?? [""];
  const best = new Map<string, { value: number | null; excluded: boolean }>();
  for (const row of r.ranked) {
    const key = JSON.stringify([row.params[rowsAxis!.name], colsAxis ? row.params[colsAxis.name] : ""]);
    const seen = best.get(key);
    // rows come best first: the first one per cell is its best
    if (!seen) best.set(key, { value: row.value, excluded: row.excluded });
  }
  const numbers = [...best.values()].flatMap((c) => (c.value === null || c.excluded ? [] : [c.value]));
  const lo = Math.min(...numbers);
  const hi = Math.max(...numbers);
  const colour = (v: number) => {
    const t = hi === lo ? 0.5 : (v - lo) / (hi - lo);
    // red (worst) through pale yellow to green (best)
    const hue = Math.round(120 * t);
    return `hsl(${hue} 65% 72%)`;
  };
  const header = `<tr><th>${e(rowsAxis!.name)} \\ ${e(colsAxis?.name ?? "")}</th>${cols.map((c) => `<th>${e(String(c))}</th>`).join("")}</tr>`;
  const body = rows
    .map((rv) => {
      const cells = cols.map((cv) => {
        const cell = best.get(JSON.stringify([rv, cv]));
        if (!cell) return `<td class="none">refused</td>`;
        if (cell.value === null) return `<td class="na">n/a</td>`;
        if (cell.excluded)
          return `<td class="excluded" title="beyond the drawdown bound">${e(cell.value.toFixed(4))}</td>`;
        return `<td class="value" style="background:${colour(cell.value)}">${e(cell.value.toFixed(4))}</td>`;
      });
      return `<tr><th>${e(String(rv))}</th>${cells.join("")}</tr>`;
    })
    .join("");
  const title = `Tickflow optimize: ${r.strategy}, ${r.objective}`;
  const subtitle = r.walkForward
    ? `mean in-sample ${r.objective} over ${r.walkForward.windows.length} walk-forward windows`
    : `${r.objective} over the whole run`;
  return [
    "<!doctype html>",
    '<html lang="en"><head><meta charset="utf-8">',
    `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">`,
    `<title>${e(title)}</title><style>`,
    "body{font:14px/1.4 system-ui,sans-serif;margin:24px;color:#1b1f24}table{border-collapse:collapse}",
    "th,td{padding:6px 10px;border:1px solid #d0d7de;text-align:right;font-variant-numeric:tabular-nums}",
    ".na,.none{color:#57606a;background:#f6f8fa}.excluded{color:#57606a;background:repeating-linear-gradient(45deg,#eee 0 4px,#fff 4px 8px)}",
    "</style></head><body>",
    `<h1>${e(title)}</h1><p>${e(subtitle)}; green is best${r.maxDrawdownBound === null ? "" : `, hatched beyond the drawdown bound ${r.maxDrawdownBound}`}</p>`,
    `<table class="heat-map"><thead>${header}</thead><tbody>${body}</tbody></table>`,
    "</body></html>",
    "",
  ].join("\n");
}
