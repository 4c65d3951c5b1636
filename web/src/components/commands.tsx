import { useMutation, useQuery, useQueryClient, type QueryClient } from "@tanstack/react-query";
import { createContext, useCallback, useContext, useEffect, useRef, useState, type ReactNode } from "react";
import { ApiError, newIdempotencyKey, sendCommand, type Accepted, type CommandRequest } from "../api/client";
import { COMMAND_WAIT_MS, commandQuery, commandsQuery, type CommandView } from "../api/queries";
import type { CommandKind, CommandRecord } from "../api/types";
import { formatTime } from "../format";

/**
 * Commands sent from this page: each 202 joins the commands feed, which asks for its outcome
 * (GET /api/commands/{id}) until the engine has applied or rejected it, and then refreshes what
 * the command changed.
 */

/** A command this page sent, as the feed lists it. */
export interface SentCommand extends Accepted {
  /** What the user did, in words: "Pause sma-crossover", "Buy 10 AAPL limit 150". */
  label: string;
  /** When its 202 came (this page's clock): the outcome is polled for COMMAND_WAIT_MS from here. */
  since: number;
}

/** The feed's length: older commands drop off the list (the audit keeps them). */
const FEED_SIZE = 20;

interface Feed {
  sent: readonly SentCommand[];
  add: (command: SentCommand) => void;
}

const FeedContext = createContext<Feed | null>(null);

export function CommandFeedProvider({ children }: { children: ReactNode }) {
  const [sent, setSent] = useState<readonly SentCommand[]>([]);
  const add = useCallback(
    (command: SentCommand) =>
      setSent((all) => [command, ...all.filter((c) => c.commandId !== command.commandId)].slice(0, FEED_SIZE)),
    [],
  );
  return <FeedContext value={{ sent, add }}>{children}</FeedContext>;
}

/** One user action: the request and how the feed names it. */
export interface Action {
  request: CommandRequest;
  label: string;
}

/**
 * Sends commands. Each user action gets a fresh Idempotency-Key; the same action sent again
 * after it failed (no 202: the network, a 503, the page closed on a pending request) reuses
 * the key, so a retried click is applied once however many of its requests reached the gateway.
 */
export function useCommand() {
  const feed = useContext(FeedContext);
  // the last action that got no 202, with its key
  const unanswered = useRef<{ fingerprint: string; key: string } | null>(null);
  return useMutation({
    mutationFn: async ({ request }: Action) => {
      const fingerprint = JSON.stringify(request);
      const key = unanswered.current?.fingerprint === fingerprint ? unanswered.current.key : newIdempotencyKey();
      unanswered.current = { fingerprint, key };
      const accepted = await sendCommand(request, key);
      unanswered.current = null;
      return accepted;
    },
    onSuccess: (accepted, { label }) => feed?.add({ ...accepted, label, since: Date.now() }),
  });
}

/** What a command changed, refetched once it is applied: its strategy's row, the orders, the positions. */
const AFFECTS: Record<CommandKind, readonly (readonly string[])[]> = {
  "strategy.add": [["strategies"]],
  "strategy.remove": [["strategies"], ["orders"]],
  "strategy.pause": [["strategies"], ["orders"]],
  "strategy.resume": [["strategies"]],
  "strategy.params": [["strategies"], ["orders"]],
  "risk.reset": [["strategies"], ["alerts"]],
  "strategy.flatten": [["strategies"], ["orders"], ["positions"]],
  "order.submit": [["orders"], ["strategies"]],
  "order.cancel": [["orders"]],
  "order.replace": [["orders"]],
};

function refresh(client: QueryClient, kind: CommandKind): void {
  for (const queryKey of AFFECTS[kind] ?? [["strategies"], ["orders"]]) void client.invalidateQueries({ queryKey });
  // the audit list, not the commands polled one by one (["commands", id])
  void client.invalidateQueries({ queryKey: ["commands"], predicate: (q) => typeof q.queryKey[1] === "object" });
}

/** This page's commands, newest first, each with its outcome as it lands; then the audit's latest, everyone's. */
export function CommandsPanel() {
  const feed = useContext(FeedContext);
  const sent = feed?.sent ?? [];
  return (
    <section className="panel feed commands" aria-labelledby="commands-title">
      <h2 id="commands-title">Commands</h2>
      {sent.length === 0 ? (
        <p className="state">No commands sent from this page yet.</p>
      ) : (
        <ol className="events" data-testid="commands-feed">
          {sent.map((command) => (
            <CommandEntry key={command.commandId} command={command} />
          ))}
        </ol>
      )}
      <CommandLog />
    </section>
  );
}

/** The audit's latest commands, of every user: who sent what, and what became of it. */
function CommandLog() {
  const log = useQuery(commandsQuery());
  return (
    <details className="command-log">
      <summary>Command log (everyone)</summary>
      {log.isError && <p className="state state-error">Cannot load the command log: {log.error.message}</p>}
      {log.data?.length === 0 && <p className="state">No commands yet.</p>}
      {log.data && log.data.length > 0 && (
        <ol className="events">
          {log.data.map((command) => (
            <LogEntry key={command.commandId} command={command} />
          ))}
        </ol>
      )}
    </details>
  );
}

const STATUS_BADGE: Record<CommandRecord["status"], string> = {
  pending: "badge-working",
  applied: "badge-running",
  rejected: "badge-halted",
};

function LogEntry({ command }: { command: CommandRecord }) {
  return (
    <li title={command.detail ?? undefined}>
      <time dateTime={new Date(command.submittedAt).toISOString()}>{formatTime(command.submittedAt)}</time>
      <span className={`badge ${STATUS_BADGE[command.status]}`}>{command.status}</span>
      <strong>{command.kind}</strong> <span>{command.strategyId}</span>{" "}
      <span className="muted">by {command.actor.username}</span>
      {command.reason && <span className="down">{command.reason}</span>}
    </li>
  );
}

function CommandEntry({ command }: { command: SentCommand }) {
  const client = useQueryClient();
  const outcome = useCommandOutcome(command);
  const applied = outcome.status === "applied";
  useEffect(() => {
    if (applied) refresh(client, command.kind);
  }, [applied, client, command.kind]);
  return (
    <li data-testid="command" data-command-id={command.commandId} data-status={outcome.status}>
      <time dateTime={new Date(command.submittedAt).toISOString()}>{formatTime(command.submittedAt)}</time>
      <OutcomeBadge outcome={outcome} />
      <strong>{command.label}</strong>
      {outcome.text && <span className={outcome.status === "rejected" ? "down" : "muted"}>{outcome.text}</span>}
    </li>
  );
}

/** A command's outcome as the page shows it: pending until applied or rejected; unknown if none came in time. */
export interface Outcome {
  status: "pending" | "applied" | "rejected" | "unknown";
  /** The reason and detail of a rejection, what an applied command created, or why the outcome is unknown. */
  text: string;
  command: CommandView | undefined;
}

/** Polls the command until it settles (shared with every other view of it: one query per command). */
export function useCommandOutcome(command: Pick<SentCommand, "commandId" | "since">): Outcome {
  const query = useQuery(commandQuery(command.commandId, command.since));
  // one render when the wait is over, in case no poll ends after it
  const [, setWaited] = useState(false);
  useEffect(() => {
    const timer = setTimeout(() => setWaited(true), Math.max(command.since + COMMAND_WAIT_MS - Date.now(), 0) + 50);
    return () => clearTimeout(timer);
  }, [command.since]);
  const record = query.data;
  if (record && record.status === "applied")
    return { status: "applied", text: record.orderId ? `order ${record.orderId}` : "", command: record };
  if (record && record.status === "rejected")
    return {
      status: "rejected",
      text: [record.reason, record.detail].filter(Boolean).join(": "),
      command: record,
    };
  // still pending: after the wait, or when the audit cannot be asked, say the outcome is not known
  const waited = Date.now() - command.since >= COMMAND_WAIT_MS;
  if (query.isError && (waited || !query.isFetching))
    return {
      status: waited ? "unknown" : "pending",
      text: `cannot tell its outcome: ${query.error.message}`,
      command: record,
    };
  if (waited && !query.isFetching)
    return {
      status: "unknown",
      text: `no outcome within ${COMMAND_WAIT_MS / 1_000} s: see the command log`,
      command: record,
    };
  return { status: "pending", text: "", command: record };
}

const BADGE: Record<Outcome["status"], string> = {
  pending: "badge-working",
  applied: "badge-running",
  rejected: "badge-halted",
  unknown: "muted",
};

export function OutcomeBadge({ outcome }: { outcome: Outcome }) {
  return <span className={`badge ${BADGE[outcome.status]}`}>{outcome.status}</span>;
}

/** The foot of a form that sends a command: its submit button, Close, anything else to say, and the answer. */
export function CommandFormFooter({
  label,
  mutation,
  onClose,
  children,
}: {
  label: string;
  mutation: ReturnType<typeof useCommand>;
  onClose?: () => void;
  children?: ReactNode;
}) {
  return (
    <>
      <div className="buttons">
        <button type="submit" className="action primary" disabled={mutation.isPending}>
          {label}
        </button>
        {onClose && (
          <button type="button" className="action" onClick={onClose}>
            Close
          </button>
        )}
        {children}
      </div>
      <CommandAnswer mutation={mutation} />
    </>
  );
}

/** A command's answer where it was sent from: the 202, then its outcome; or the problem that refused it. */
export function CommandAnswer({
  mutation,
  compact = false,
}: {
  mutation: ReturnType<typeof useCommand>;
  /** In a table row: the outcome without the command id (the commands feed has it). */
  compact?: boolean;
}) {
  if (mutation.isError)
    return (
      <div className="answer answer-error" role="alert" data-testid="command-error">
        <p>
          Refused
          {mutation.error instanceof ApiError && mutation.error.status > 0
            ? ` (HTTP ${mutation.error.status})`
            : ""}: {mutation.error.message}
        </p>
        {mutation.error instanceof ApiError && <FieldErrors error={mutation.error} />}
      </div>
    );
  if (mutation.isPending) return <p className="answer muted">Sending…</p>;
  if (!mutation.data) return null;
  return <AcceptedAnswer accepted={mutation.data} compact={compact} />;
}

function AcceptedAnswer({ accepted, compact }: { accepted: Accepted; compact: boolean }) {
  // the same query the feed polls: one request per poll for both
  const [since] = useState(() => Date.now());
  const outcome = useCommandOutcome({ commandId: accepted.commandId, since });
  return (
    <p className="answer" role="status" data-testid="command-answer" data-status={outcome.status}>
      {compact ? "" : "Accepted (202) "}
      {!compact && <span className="muted">{accepted.commandId}</span>} <OutcomeBadge outcome={outcome} />{" "}
      {outcome.text && <span className={outcome.status === "rejected" ? "down" : "muted"}>{outcome.text}</span>}
    </p>
  );
}

function FieldErrors({ error }: { error: ApiError }) {
  if (error.errors.length === 0) return null;
  return (
    <ul>
      {error.errors.map((e, i) => (
        <li key={i}>
          {e.field && <code>{e.field}</code>} {e.message}
        </li>
      ))}
    </ul>
  );
}
