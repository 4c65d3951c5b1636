import { useQuery } from "@tanstack/react-query";
import { healthQuery } from "../api/queries";
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
    </section>
  );
}

/** A dependency as the API reports it, or the gateway as this page sees it. */
type DependencyHealthView = Pick<DependencyHealth, "detail"> & {
  name: string;
  status: DependencyHealth["status"] | "checking";
};
