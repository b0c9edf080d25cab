import type { Child } from "hono/jsx";
import { withQuery } from "../api";

/** The fields every console form posts: the CSRF token the API checks, and where to come back to. */
function FormContext({ csrfToken, back }: { csrfToken: string; back: string }) {
  return (
    <>
      <input type="hidden" name="_csrf" value={csrfToken} />
      <input type="hidden" name="_back" value={back} />
    </>
  );
}

interface ActionProps {
  action: string;
  csrfToken: string;
  back: string;
  label: string;
  /** Asked in a dialog before the form is sent (console.js); for what cannot be undone. */
  confirm?: string;
  danger?: boolean;
  children?: Child;
}

/** One action as a POST form with a single button (and any fields passed as children). */
export function ActionForm({ action, csrfToken, back, label, confirm, danger, children }: ActionProps) {
  return (
    <form method="post" action={action} class="action" data-confirm={confirm}>
      <FormContext csrfToken={csrfToken} back={back} />
      {children}
      <button type="submit" class={danger ? "danger" : undefined}>
        {label}
      </button>
    </form>
  );
}

/** A status, severity or kind as a coloured label; the class is derived, the text is the value. */
export function Badge({ value }: { value: string | null | undefined }) {
  if (!value) return <span class="muted">—</span>;
  return <span class={`badge badge-${value.toLowerCase().replace(/[^a-z0-9]+/g, "-")}`}>{value.toLowerCase()}</span>;
}

/** An instant as `2026-12-03 16:45:12 UTC`, machine-readable in `datetime`. */
export function Time({ iso }: { iso: string | null | undefined }) {
  if (!iso) return <span class="muted">—</span>;
  return <time datetime={iso}>{`${iso.slice(0, 10)} ${iso.slice(11, 19)}`}</time>;
}

/** Any JSON value, pretty-printed as text (escaped like every other string). */
export function Json({ value }: { value: unknown }) {
  return (
    <pre class="json" tabindex={0}>
      {value === undefined ? "—" : JSON.stringify(value, null, 2)}
    </pre>
  );
}

/** Label/value pairs of one record. */
export function Facts({ items }: { items: Array<[string, Child]> }) {
  return (
    <dl class="facts">
      {items.map(([label, value]) => (
        <>
          <dt>{label}</dt>
          <dd>{value ?? <span class="muted">—</span>}</dd>
        </>
      ))}
    </dl>
  );
}

/** A region console.js reloads from the same URL every `every` seconds while the tab is visible. */
export function Live({ id, every, children }: { id: string; every: number; children?: Child }) {
  return (
    <div id={id} data-refresh={String(every)} aria-live="polite">
      {children}
    </div>
  );
}

/** "Next page" for a cursor-paginated list, keeping the filters; lists never count (they stay fast). */
export function Pager({ path, query, nextCursor }: { path: string; query: Record<string, string | undefined>; nextCursor: string | null }) {
  const first = query.cursor !== undefined;
  if (!nextCursor && !first) return null;
  return (
    <nav class="pager" aria-label="Pages">
      {first && <a href={withQuery(path, { ...query, cursor: undefined })}>First page</a>}
      {nextCursor && <a href={withQuery(path, { ...query, cursor: nextCursor })}>Next page</a>}
    </nav>
  );
}

/** A list's filter bar: a GET form, so every filtered view has its own URL. */
export function Filters({ action, children }: { action: string; children?: Child }) {
  return (
    <search>
      <form method="get" action={action} class="filters">
        {children}
        <button type="submit">Filter</button>
        <a href={action}>Clear</a>
      </form>
    </search>
  );
}

/** A labelled select; `value` is the current choice. */
export function Select({ name, label, options, value }: { name: string; label: string; options: readonly string[]; value?: string }) {
  return (
    <label>
      {label}
      <select name={name}>
        <option value="">any</option>
        {options.map((option) => (
          <option value={option} selected={option === value}>
            {option.toLowerCase()}
          </option>
        ))}
      </select>
    </label>
  );
}

/** A labelled text (or other) input. */
export function Input({
  name,
  label,
  value,
  type = "text",
  placeholder,
}: {
  name: string;
  label: string;
  value?: string;
  type?: string;
  placeholder?: string;
}) {
  return (
    <label>
      {label}
      <input type={type} name={name} value={value ?? ""} placeholder={placeholder} />
    </label>
  );
}

export function Empty({ text }: { text: string }) {
  return <p class="empty">{text}</p>;
}
