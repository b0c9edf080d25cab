import { fail, pass, warn, type Check } from "../finding";

/** Every cron the scheduled handler dispatches is a Cron Trigger of the environment, and none is left over. */
export const checkCrons: Check = ({ env, code }) => {
  const missing = code.crons.filter((cron) => !env.crons.includes(cron));
  const extra = env.crons.filter((cron) => !code.crons.includes(cron));
  if (missing.length) return [fail("Cron triggers", `missing ${missing.map((c) => `"${c}"`).join(", ")}: their tasks would never run`)];
  if (extra.length) return [warn("Cron triggers", `${extra.map((c) => `"${c}"`).join(", ")} run but no task is registered for them`)];
  return [pass("Cron triggers", code.crons.map((c) => `"${c}"`).join(", "))];
};
