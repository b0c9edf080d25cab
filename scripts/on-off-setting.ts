/** An on/off environment setting: on unless "off" (or false/0/no); anything else is a mistake worth stopping for. */
export function onOffSetting(name: string, value: string | undefined): boolean {
  const setting = (value ?? "").trim().toLowerCase();
  if (["", "on", "true", "1", "yes"].includes(setting)) return true;
  if (["off", "false", "0", "no"].includes(setting)) return false;
  throw new Error(`${name} must be "on" or "off", not "${value}".`);
}
