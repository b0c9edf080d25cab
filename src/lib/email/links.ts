import type { Config } from "../../config";

/**
 * Where a mail's links lead. Account links go to the client app (APP_URL), which posts the token to
 * this API; the unsubscribe link goes to this API itself (PUBLIC_API_URL), so it works without the app.
 */
export function emailLinks(config: Config) {
  const { appUrl, apiUrl } = config.email;
  const withToken = (path: string, token: string) => `${appUrl}${path}?token=${encodeURIComponent(token)}`;
  return {
    app: appUrl,
    verifyEmail: (token: string) => withToken("/verify-email", token),
    resetPassword: (token: string) => withToken("/reset-password", token),
    confirmEmailChange: (token: string) => withToken("/confirm-email-change", token),
    attemptResult: (attemptId: string) => `${appUrl}/attempts/${encodeURIComponent(attemptId)}`,
    webhook: (webhookId: string) => `${appUrl}/settings/webhooks/${encodeURIComponent(webhookId)}`,
    billing: () => `${appUrl}/settings/billing`,
    unsubscribe: (token: string) => `${apiUrl}/v1/email/unsubscribe?token=${encodeURIComponent(token)}`,
  };
}
