/// <reference types="vite/client" />

interface ImportMetaEnv {
  /** Origin of the public API; empty (the default) calls this page's own origin. */
  readonly VITE_API_URL?: string;
}
