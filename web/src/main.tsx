import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { StreamProvider } from "./api/stream-provider";
import { App } from "./app";
import "./styles.css";

const queryClient = new QueryClient({
  defaultOptions: {
    // polling retries every second anyway; retrying inside a poll would only delay the error state
    queries: { retry: false },
  },
});

createRoot(document.getElementById("root")!).render(
  <StrictMode>
    <QueryClientProvider client={queryClient}>
      <StreamProvider>
        <App />
      </StreamProvider>
    </QueryClientProvider>
  </StrictMode>,
);
