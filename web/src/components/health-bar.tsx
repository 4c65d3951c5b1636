import { useQuery } from "@tanstack/react-query";
import { healthQuery } from "../api/queries";
import { useStreamState, type StreamStatus } from "../api/stream-state";
import type { DependencyHealth } from "../api/types";

/** Each service's status: the gateway itself (it answered or not), and the workers and the read side's database behind it. */
export function HealthBar() {
  const health = useQuery(healthQuery());
  const gateway: DependencyHealthView = health.isPending
    ? { name: "gateway", status: "checking" }
    : health.isError
      ? { name: "gateway", status: "down", detail: health.error.message }
      : { name: "gateway", status: "up" };
  // with the gateway unreachable, the last word on the workers would be stale: show none
  const services = [
    gateway,
    ...(health.isError ? [] : [...(health.data?.dependencies ?? []), ...(health.data?.consumers ?? [])]),
  ];
  return (
    <section className="health" aria-label="System health">
      <ul>
        {services.map((service) => (
          <li key={service.name} className={`service service-${service.status}`} title={service.detail}>
            <span className="dot" aria-hidden="true" />
            {service.name} <span className="status">{service.status}</span>
          </li>
        ))}
      </ul>
      <StreamBadge />
    </section>
  );
}

/** A dependency as the API reports it, or the gateway as this page sees it. */
type DependencyHealthView = Pick<DependencyHealth, "detail"> & {
  name: string;
  status: DependencyHealth["status"] | "checking";
};

/** How each stream state shows: live is up; reconnecting and polling are degraded (the data still comes, polled). */
const STREAM_TONE: Record<StreamStatus, string> = {
  live: "up",
  reconnecting: "degraded",
  polling: "degraded",
};

/**
 * This page's connection to the live stream: live (pushed, no polling), reconnecting or polling
 * (the panels poll meanwhile). Named "connection": the gateway's own `stream` consumer is beside it.
 */
function StreamBadge() {
  const stream = useStreamState();
  return (
    <p
      role="status"
      className={`service stream-state service-${STREAM_TONE[stream.status]}`}
      title={stream.detail ?? undefined}
      data-testid="stream-state"
      data-state={stream.status}
    >
      <span className="dot" aria-hidden="true" />
      connection <span className="status">{stream.status}</span>
    </p>
  );
}
