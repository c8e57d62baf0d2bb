import type { Logger } from "./logger";

/** What every request carries through the middleware chain. */
export interface AppVariables {
  requestId: string;
  log: Logger;
  /** Set once the caller is authenticated (identity issue); logged with every line. */
  tenantId?: string;
}

export interface AppEnv {
  Bindings: Env;
  Variables: AppVariables;
}
