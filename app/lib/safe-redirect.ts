/**
 * Where to send the browser after log-in: `next` if it is a path on this
 * origin, else "/". `next` comes from a link anyone can craft, and browsers
 * read a Location loosely — `\` as `/`, tabs and newlines dropped — so
 * `/\evil.example` or `/\t/evil.example` would leave the site. Anything with
 * a backslash or a control character is refused outright; the rest is
 * resolved against this origin the way a browser would, and must stay on it.
 */
export function sameOriginPath(next: unknown, requestUrl: string): string {
  if (typeof next !== "string" || !next.startsWith("/") || next.startsWith("//")) return "/";
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are exactly what is refused.
  if (/[\\\u0000-\u001f\u007f]/.test(next)) return "/";
  const origin = new URL(requestUrl).origin;
  let url: URL;
  try {
    url = new URL(next, origin);
  } catch {
    return "/";
  }
  if (url.origin !== origin) return "/";
  // Dot segments can collapse to a path that starts with `//` (`/.//evil.example` → `//evil.example`),
  // which a browser reads as another host: only a single leading slash is a path.
  if (url.pathname.startsWith("//")) return "/";
  return `${url.pathname}${url.search}${url.hash}`;
}
