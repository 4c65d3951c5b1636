/// <reference types="vite/client" />

interface ImportMetaEnv {
  /** Origin of the public API; empty (the default) calls this page's own origin. */
  readonly VITE_API_URL?: string;
  /**
   * On AWS, Cognito issues the tokens: the app client (USER_PASSWORD_AUTH enabled) and its
   * region (or the user pool id, which starts with it). Unset, the login asks the local gateway.
   */
  readonly VITE_COGNITO_CLIENT_ID?: string;
  readonly VITE_COGNITO_REGION?: string;
  readonly VITE_COGNITO_USER_POOL_ID?: string;
}
