import type { DomainEvent, Role } from "../../db/schema";

/**
 * Object-level access for webhook endpoints: an admin's endpoint receives platform-wide events; an
 * instructor's only events about their own tests and questions (the event's owner); anyone else's
 * nothing. Checked when the event fans out and again when each delivery is made (a role may change).
 */
export function receives(owner: { id: string; role: Role }, event: Pick<DomainEvent, "ownerId">): boolean {
  if (owner.role === "admin") return true;
  return owner.role === "instructor" && event.ownerId !== null && event.ownerId === owner.id;
}
