import type { Child } from "hono/jsx";
import type { Flash } from "../flash";

/** The console's sections, in the order of the navigation. */
const SECTIONS = [
  ["overview", "Overview", "/admin"],
  ["errors", "Errors", "/admin/errors"],
  ["queues", "Queues", "/admin/queues"],
  ["security", "Security", "/admin/security"],
  ["audit", "Audit", "/admin/audit"],
  ["users", "Users", "/admin/users"],
  ["webhooks", "Webhooks", "/admin/webhooks"],
  ["events", "Events", "/admin/events"],
  ["mailbox", "Mailbox", "/admin/mailbox"],
  ["cache", "Cache", "/admin/cache"],
] as const;

type Section = (typeof SECTIONS)[number][0];

interface PageProps {
  title: string;
  section?: Section;
  /** The signed-in admin's name; absent on the sign-in and refusal pages. */
  admin?: string;
  csrfToken?: string;
  flash?: Flash | null;
  children?: Child;
}

/** Every console page: skip link, navigation, the flash message of the last action, and the content. */
export function Page({ title, section, admin, csrfToken, flash, children }: PageProps) {
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>{`${title} · Proctor console`}</title>
        <link rel="icon" href="/admin/assets/favicon.svg" type="image/svg+xml" />
        <link rel="stylesheet" href="/admin/assets/console.css" />
        <script src="/admin/assets/console.js" defer></script>
      </head>
      <body>
        <a class="skip" href="#main">
          Skip to content
        </a>
        <header class="top">
          <a class="brand" href="/admin">
            Proctor console
          </a>
          {admin !== undefined && (
            <nav aria-label="Sections">
              <ul>
                {SECTIONS.map(([key, label, href]) => (
                  <li>
                    <a href={href} aria-current={key === section ? "page" : undefined}>
                      {label}
                    </a>
                  </li>
                ))}
              </ul>
            </nav>
          )}
          {admin !== undefined && csrfToken !== undefined && (
            <form method="post" action="/admin/sign-out" class="sign-out">
              <input type="hidden" name="_csrf" value={csrfToken} />
              <span class="who">{admin}</span> <button type="submit">Sign out</button>
            </form>
          )}
        </header>
        <main id="main">
          <h1>{title}</h1>
          {flash && (
            <p class={`flash flash-${flash.kind}`} role={flash.kind === "error" ? "alert" : "status"}>
              {flash.text}
            </p>
          )}
          {children}
        </main>
      </body>
    </html>
  );
}
