export { BACKTEST_HELP } from "./commands/backtest";
