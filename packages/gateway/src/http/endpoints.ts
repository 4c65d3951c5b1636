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
};
