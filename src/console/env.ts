import type { AppEnv } from "../env";
import type { ConsoleApi } from "./api";

/** The app's env plus what the console's middleware sets for its pages. */
export type ConsoleEnv = {
  Bindings: AppEnv["Bindings"];
  Variables: AppEnv["Variables"] & {
    /** The JSON API, called as the signed-in admin (./api.ts). */
    api: ConsoleApi;
    /** The double-submit token every form of the page posts back (the API checks it). */
    csrfToken: string;
  };
};
