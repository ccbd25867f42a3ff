/** Dates as the admin tables show them: the browser's locale and time zone, to the minute. */
const FORMAT = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });

export function formatDate(iso: string): string {
  return FORMAT.format(new Date(iso));
}
