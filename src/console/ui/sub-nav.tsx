/** Links between the views of one section (a queue's jobs, its dead letters…), the current one marked. */
export function SubNav({ label, current, links }: { label: string; current: string; links: ReadonlyArray<readonly [string, string]> }) {
  return (
    <nav class="sub-nav" aria-label={label}>
      <ul>
        {links.map(([href, text]) => (
          <li>
            <a href={href} aria-current={href === current ? "page" : undefined}>
              {text}
            </a>
          </li>
        ))}
      </ul>
    </nav>
  );
}
