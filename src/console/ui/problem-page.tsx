import { Page } from "./layout";

/** A console page that says why it could not show what was asked, with the request id to look it up by. */
export function problemPage(title: string, detail: string, requestId: string | null) {
  return (
    <Page title={title}>
      <p class="wrap">{detail}</p>
      {requestId && (
        <p class="muted">
          Request id <code>{requestId}</code>
        </p>
      )}
      <p>
        <a href="/admin">Back to the overview</a>
      </p>
    </Page>
  );
}
