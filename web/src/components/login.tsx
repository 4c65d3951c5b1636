import { useMutation } from "@tanstack/react-query";
import { useId, useState, type FormEvent } from "react";
import { logIn } from "../api/auth";
import { endSession, useSession } from "../api/session";

const ENDED = {
  expired: "Your session expired: log in again to trade.",
  unauthenticated: "The API no longer accepts your token: log in again to trade.",
} as const;

/**
 * The header's login: a small form while logged out (everything stays readable, no control
 * shows), the user's name and role with a log-out button once logged in.
 */
export function LoginBox() {
  const { session, ended } = useSession();
  if (session)
    return (
      <section className="login" aria-label="Account">
        <span data-testid="current-user">
          {session.username} <span className={`badge badge-role-${session.role}`}>{session.role}</span>
        </span>
        <button type="button" className="action" onClick={() => endSession()}>
          Log out
        </button>
      </section>
    );
  return <LoginForm ended={ended} />;
}

function LoginForm({ ended }: { ended: keyof typeof ENDED | null }) {
  const [username, setUsername] = useState("");
  const [password, setPassword] = useState("");
  const id = useId();
  const login = useMutation({
    mutationFn: (credentials: { username: string; password: string }) =>
      logIn(credentials.username, credentials.password),
    onSuccess: () => setPassword(""),
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (username.trim() && password) login.mutate({ username: username.trim(), password });
  };
  return (
    <form className="login" aria-label="Log in" onSubmit={submit}>
      <label htmlFor={`${id}-user`} className="visually-hidden">
        Username
      </label>
      <input
        id={`${id}-user`}
        name="username"
        autoComplete="username"
        placeholder="username"
        value={username}
        onChange={(e) => setUsername(e.target.value)}
        required
      />
      <label htmlFor={`${id}-password`} className="visually-hidden">
        Password
      </label>
      <input
        id={`${id}-password`}
        name="password"
        type="password"
        autoComplete="current-password"
        placeholder="password"
        value={password}
        onChange={(e) => setPassword(e.target.value)}
        required
      />
      <button type="submit" className="action" disabled={login.isPending}>
        {login.isPending ? "Logging in…" : "Log in"}
      </button>
      {login.isError ? (
        <p className="login-note state-error" role="alert">
          {login.error.message}
        </p>
      ) : (
        ended && (
          <p className="login-note muted" role="status">
            {ENDED[ended]}
          </p>
        )
      )}
    </form>
  );
}
