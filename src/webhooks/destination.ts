/**
 * Where a webhook may send: an `http(s)` URL without credentials, whose host resolves, and
 * (unless `QUALIFY_WEBHOOK_ALLOW_PRIVATE=true`) to no private, loopback, link-local or otherwise
 * non-public address. Checked when a webhook is saved (`checkDestination`: BAD_USER_INPUT), and
 * again at every connection (`guardedLookup`), so that a name that resolves elsewhere later (DNS
 * rebinding) is refused where it matters: at connect time, on the address actually used.
 */
import { BlockList, isIP, type LookupFunction } from "node:net";
import { lookup } from "node:dns";

export const MAX_URL_LENGTH = 2048;

/** The ranges no webhook may reach unless allowed: private, loopback, link-local, shared, multicast, reserved. */
const BLOCKED = new BlockList();
for (const [net, prefix] of [
  ["0.0.0.0", 8],
  ["10.0.0.0", 8],
  ["100.64.0.0", 10],
  ["127.0.0.0", 8],
  ["169.254.0.0", 16],
  ["172.16.0.0", 12],
  ["192.0.0.0", 24],
  ["192.0.2.0", 24],
  ["192.168.0.0", 16],
  ["198.18.0.0", 15],
  ["198.51.100.0", 24],
  ["203.0.113.0", 24],
  ["224.0.0.0", 4],
  ["240.0.0.0", 4],
] as const) {
  BLOCKED.addSubnet(net, prefix, "ipv4");
}
for (const [net, prefix] of [
  ["::", 128],
  ["::1", 128],
  ["fc00::", 7],
  ["fe80::", 10],
  ["fec0::", 10],
  ["ff00::", 8],
  ["2001:db8::", 32],
  ["100::", 64],
] as const) {
  BLOCKED.addSubnet(net, prefix, "ipv6");
}

/** The IPv4 address an IPv6 address carries (mapped `::ffff:a.b.c.d`, NAT64 `64:ff9b::/96`), if any. */
function embeddedIpv4(address: string): string | null {
  const lower = address.toLowerCase();
  const dotted = /^(?:::ffff:|64:ff9b::)(\d+\.\d+\.\d+\.\d+)$/.exec(lower);
  if (dotted) return dotted[1];
  const hex = /^(?:::ffff:|64:ff9b::)([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(lower);
  if (!hex) return null;
  const [hi, lo] = [parseInt(hex[1], 16), parseInt(hex[2], 16)];
  return [hi >> 8, hi & 255, lo >> 8, lo & 255].join(".");
}

/** Whether `address` (an IP literal) is private, loopback, link-local or otherwise no public destination. */
export function isPrivateAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 4) return BLOCKED.check(address, "ipv4");
  if (family === 6) {
    const v4 = embeddedIpv4(address);
    return v4 !== null ? BLOCKED.check(v4, "ipv4") : BLOCKED.check(address, "ipv6");
  }
  return true;
}

export class RefusedDestination extends Error {
  constructor(message: string) {
    super(message);
    this.name = "RefusedDestination";
  }
}

/**
 * A `lookup` for sockets (an http Agent's): resolves as usual, then refuses a private address
 * unless `allowPrivate`. Node calls no lookup for an IP literal: `checkHost` covers those.
 */
export function guardedLookup(allowPrivate: boolean): LookupFunction {
  return (hostname, options, callback) => {
    lookup(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) return callback(err, "", 0);
      const list = addresses as Array<{ address: string; family: number }>;
      const usable = allowPrivate ? list : list.filter((a) => !isPrivateAddress(a.address));
      if (usable.length === 0) {
        return callback(new RefusedDestination(`${hostname} resolves to a private, loopback or link-local address (${list[0]?.address ?? "none"})`), "", 0);
      }
      if (options.all) return (callback as unknown as (e: null, a: typeof usable) => void)(null, usable);
      callback(null, usable[0].address, usable[0].family);
    });
  };
}

/** The hostname of a URL without IPv6 brackets. */
export const bareHost = (url: URL): string => url.hostname.replace(/^\[(.*)\]$/, "$1");

/** Refuses an IP-literal host that is private (names are checked at connect time by `guardedLookup`). */
export function checkHost(url: URL, allowPrivate: boolean): void {
  const host = bareHost(url);
  if (!allowPrivate && isIP(host) && isPrivateAddress(host)) {
    throw new RefusedDestination(`${host} is a private, loopback or link-local address`);
  }
}

/**
 * What is wrong with `raw` as a webhook's URL (null: nothing): the form first, then the host's
 * resolution (every address it resolves to must be public, unless `allowPrivate`).
 */
export async function destinationProblem(raw: string, allowPrivate: boolean): Promise<string | null> {
  if (raw.length > MAX_URL_LENGTH) return `must be at most ${MAX_URL_LENGTH} characters`;
  let url: URL;
  try {
    url = new URL(raw.trim());
  } catch {
    return "is not a URL";
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") return `must be an http or https URL (got ${url.protocol.replace(/:$/, "")})`;
  if (url.username || url.password) return "must not contain credentials (user:password@): the signature authenticates Qualify";
  const host = bareHost(url);
  if (!host) return "has no host";
  let addresses: string[];
  if (isIP(host)) addresses = [host];
  else {
    try {
      addresses = (await new Promise<Array<{ address: string }>>((resolve, reject) =>
        lookup(host, { all: true }, (err, found) => (err ? reject(err) : resolve(found))),
      )).map((a) => a.address);
    } catch {
      return `names a host that does not resolve (${host})`;
    }
  }
  if (!allowPrivate) {
    const blocked = addresses.find(isPrivateAddress);
    if (blocked !== undefined) return `resolves to a private, loopback or link-local address (${blocked}), which webhooks may not reach (QUALIFY_WEBHOOK_ALLOW_PRIVATE)`;
  }
  return null;
}
