import type { Endpoint } from "./endpoint";
import { alerts } from "./handlers/alerts";
import { bars } from "./handlers/bars";
import { equity } from "./handlers/equity";
import { fills } from "./handlers/fills";
import { health } from "./handlers/health";
import { instruments } from "./handlers/instruments";
import { openapi } from "./handlers/openapi";
import { orders } from "./handlers/orders";
import { portfolio } from "./handlers/portfolio";
import { positions } from "./handlers/positions";
import { quote } from "./handlers/quote";
import { quotes } from "./handlers/quotes";
import { signals } from "./handlers/signals";
import { strategies } from "./handlers/strategies";
import { strategy } from "./handlers/strategy";
import { trades } from "./handlers/trades";
import { strategyKinds } from "./handlers/strategyKinds";
import { commands } from "./handlers/commands";
import { command } from "./handlers/command";
import { addStrategy } from "./handlers/addStrategy";
import { removeStrategy } from "./handlers/removeStrategy";
import { changeStrategy } from "./handlers/changeStrategy";
import { pauseStrategy } from "./handlers/pauseStrategy";
import { resumeStrategy } from "./handlers/resumeStrategy";
import { resetStrategy } from "./handlers/resetStrategy";
import { flattenStrategy } from "./handlers/flattenStrategy";
import { submitOrder } from "./handlers/submitOrder";
import { cancelOrder } from "./handlers/cancelOrder";
import { replaceOrder } from "./handlers/replaceOrder";
import { token } from "./handlers/token";
import type { HandlerName } from "./routes";

/** Every route's endpoint by handler name: what the local adapter serves (each Lambda imports only its own module). */
export const ENDPOINTS: { [N in HandlerName]: Endpoint<N> } = {
  health,
  instruments,
  quotes,
  quote,
  bars,
  strategies,
  strategy,
  signals,
  orders,
  fills,
  trades,
  equity,
  positions,
  portfolio,
  alerts,
  openapi,
  strategyKinds,
  commands,
  command,
  addStrategy,
  removeStrategy,
  changeStrategy,
  pauseStrategy,
  resumeStrategy,
  resetStrategy,
  flattenStrategy,
  submitOrder,
  cancelOrder,
  replaceOrder,
  token,
};
