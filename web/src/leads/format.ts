/** How the leads pages write names and instants. */

export const fullName = (lead: { firstName: string | null; lastName: string | null }): string => [lead.firstName, lead.lastName].filter(Boolean).join(" ");

const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });

/** An instant in the reader's time zone, to the minute ("Mar 2, 2026, 10:04 AM"). */
export function formatDateTime(iso: string): string {
  return dateTime.format(new Date(iso));
}
