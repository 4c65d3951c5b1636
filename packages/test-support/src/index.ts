export { hostileRequests, parseAnswers, pipelinedThenGarbage, rawExchange, type HostileRequest, type RawAnswer, type RawExchange, type RawExchangeOptions } from "./http-probe";
