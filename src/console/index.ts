import { Hono } from "hono";
import { reportError } from "../lib/monitoring/report";
import { ConsoleApiError, type Dispatch } from "./api";
import type { ConsoleEnv } from "./env";
import { consoleApi, requireConsoleAdmin } from "./gate";
import { consoleHeaders } from "./headers";
import { auditPage } from "./pages/audit";
import { cachePage } from "./pages/cache";
import { errorsPage } from "./pages/errors";
import { eventsPage } from "./pages/events";
import { mailboxPage } from "./pages/mailbox";
import { overviewPage } from "./pages/overview";
import { queuesPage } from "./pages/queues";
import { securityPage } from "./pages/security";
import { signInRoutes } from "./pages/sign-in";
import { usersPage } from "./pages/users";
import { webhooksPage } from "./pages/webhooks";
import { problemPage } from "./ui/problem-page";

/** Where the console lives; the API's OpenAPI document leaves this prefix out (it is HTML, not API). */
export const CONSOLE_PATH = "/admin";

/**
 * The admin console: server-rendered pages over the JSON API (every read and action is a request to
 * the API's own route, with the admin's cookies), a little self-hosted script for the live parts,
 * and a strict CSP. `dispatch` is the app itself, so the console adds no second set of rules.
 */
export function createConsole(dispatch: Dispatch) {
  const app = new Hono<ConsoleEnv>();
  app.use(consoleHeaders());
  app.use(consoleApi(dispatch));
  app.route("/", signInRoutes);
  app.use(requireConsoleAdmin());
  app.route("/", overviewPage);
  app.route("/", errorsPage);
  app.route("/", auditPage);
  app.route("/", usersPage);
  app.route("/", webhooksPage);
  app.route("/", eventsPage);
  app.route("/", mailboxPage);
  app.route("/", cachePage);
  app.route("/", queuesPage);
  app.route("/", securityPage);

  app.all("*", (c) => c.html(problemPage("Not found", "There is no such console page.", c.var.requestId), 404));
  app.onError((error, c) => {
    if (error instanceof ConsoleApiError) {
      if (error.status === 401) return c.redirect("/admin/sign-in", 303);
      const status = error.status === 404 || error.status === 403 || error.status === 429 ? error.status : 502;
      return c.html(problemPage(status === 404 ? "Not found" : "The API refused", error.message, error.requestId), status);
    }
    reportError(c, error, "critical");
    return c.html(problemPage("Something went wrong", "The page could not be built; the error has been recorded.", c.var.requestId), 500);
  });
  return app;
}
