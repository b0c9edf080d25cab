/** A labelled select that must be answered (no "any"), each option as `[value, text]`. */
export function Choice({
  name,
  label,
  options,
  value,
  hideLabel,
}: {
  name: string;
  label: string;
  options: ReadonlyArray<readonly [string, string]>;
  value?: string;
  /** The label is read by screen readers but not shown (in a table row whose header already says it). */
  hideLabel?: boolean;
}) {
  return (
    <label>
      <span class={hideLabel ? "visually-hidden" : undefined}>{label}</span>
      <select name={name} required>
        {options.map(([option, text]) => (
          <option value={option} selected={option === value}>
            {text}
          </option>
        ))}
      </select>
    </label>
  );
}
