export {
  answersBelow500,
  fuzzedTargets,
  hostileRequests,
  pipelinedThenGarbage,
  rawExchange,
  type HostileRequest,
  type RawAnswer,
  type RawExchange,
  type RawExchangeOptions,
} from "./http-probe";
export { commandRecord, RETAIN_ALL, tickRecord, tickValue, topicEvents, uniquePrefix } from "./kafka";
export { freePort, portFree } from "./ports";
export { until } from "./wait";
export { Worker } from "./worker";
export { requireTool, startPrometheus, waitForScrapes, type RunningPrometheus } from "./prometheus";
export { CHROMIUM, CHROMIUM_ARGS, requireChromium } from "./chromium";
export { collectGarbage, tickflowBytes, tickflowSeries } from "./exposition";
