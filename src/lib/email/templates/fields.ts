import { z } from "zod";

/**
 * The data fields templates share. Text is checked for size only: names and titles were validated
 * when they were written, rendering makes any value safe, and a mail must not fail over an old row.
 */
export const text = (max: number) => z.string().max(max);
export const displayName = text(200);
export const title = text(300);
/** A link placed in the mail: absolute http(s) only. */
export const httpUrl = z.url({ protocol: /^https?$/ }).max(2048);
export const isoDateTime = z.iso.datetime({ offset: true });
/** A day: an ISO date, or a date-time of which the mail shows the day. */
export const isoDay = z.union([z.iso.date(), isoDateTime]);
export const emailAddress = z.string().min(3).max(320).includes("@");
export const wholeCount = z.number().int().nonnegative();
export const ipAddress = text(100).nullable();
