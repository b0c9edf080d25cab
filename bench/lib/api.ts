// biome-ignore lint/suspicious/noExplicitAny: the bench reads a few fields of the API's answers.
export type Json = any;

/** A JSON client of the local server: a 4xx or 5xx throws with its body, so a bench never times failures. */
export function apiClient(baseUrl: string) {
  return async (path: string, init: RequestInit = {}): Promise<Json> => {
    const res = await fetch(`${baseUrl}${path}`, { ...init, headers: { "Content-Type": "application/json", ...(init.headers ?? {}) } });
    if (res.status >= 400) throw new Error(`${path}: ${res.status} ${await res.text()}`);
    return res.json();
  };
}

/** Registers an account (an admin when its address is in ADMIN_EMAILS) and signs it in: its Authorization header. */
export async function registerAndSignIn(request: ReturnType<typeof apiClient>, email: string, password: string) {
  await request("/v1/auth/register", { method: "POST", body: JSON.stringify({ email, password, name: "Admin" }) });
  const { token } = await request("/v1/auth/login", { method: "POST", body: JSON.stringify({ email, password }) });
  return { Authorization: `Bearer ${token}` };
}
