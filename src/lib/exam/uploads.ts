import { eq } from "drizzle-orm";
import type { AuthContext } from "../auth/context";
import { isAdmin } from "./access";
import type { Database } from "../../db";
import { uploads, type Upload } from "../../db/schema";

/** An upload the caller may reference: their own (admins: anyone's), or null as if it did not exist. */
export async function findOwnUpload(db: Database, auth: AuthContext, uploadId: string): Promise<Upload | null> {
  const upload = await db.query.uploads.findFirst({ where: eq(uploads.id, uploadId) });
  if (!upload || (!isAdmin(auth) && upload.ownerId !== auth.userId)) return null;
  return upload;
}
