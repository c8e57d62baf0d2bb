/**
 * robots.txt, as RFC 9309 reads it: the group for our product token (else
 * `*`), Allow/Disallow rules with `*` and `$`, the longest matching rule
 * wins and Allow wins a tie. `Crawl-delay` (not in the RFC, widely used) sets
 * the least gap between two pages of a board.
 */
export const HUNTER_USER_AGENT = "ApexHunter";

interface Rule {
  allow: boolean;
  pattern: string;
}

export interface RobotsRules {
  allowed(path: string): boolean;
  crawlDelaySeconds: number | undefined;
}

interface Group {
  agents: string[];
  rules: Rule[];
  crawlDelay?: number;
}

export function parseRobots(text: string, agent = HUNTER_USER_AGENT): RobotsRules {
  const groups: Group[] = [];
  let current: Group | undefined;
  let lastWasAgent = false;
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.replace(/#.*$/, "").trim();
    const colon = line.indexOf(":");
    if (colon < 0) continue;
    const key = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    if (key === "user-agent") {
      // Consecutive user-agent lines share one group.
      if (!current || !lastWasAgent) {
        current = { agents: [], rules: [] };
        groups.push(current);
      }
      current.agents.push(value.toLowerCase());
      lastWasAgent = true;
      continue;
    }
    lastWasAgent = false;
    if (!current) continue;
    if (key === "allow" || key === "disallow") {
      // An empty Disallow allows everything: no rule.
      if (value) current.rules.push({ allow: key === "allow", pattern: value });
    } else if (key === "crawl-delay") {
      const seconds = Number(value);
      if (Number.isFinite(seconds) && seconds >= 0) current.crawlDelay = seconds;
    }
  }
  const mine = agent.toLowerCase();
  const specific = groups.filter((g) => g.agents.some((a) => a !== "*" && mine.startsWith(a)));
  const chosen = specific.length > 0 ? specific : groups.filter((g) => g.agents.includes("*"));
  const rules = chosen.flatMap((g) => g.rules);
  const crawlDelay = chosen.map((g) => g.crawlDelay).find((d) => d !== undefined);
  return {
    crawlDelaySeconds: crawlDelay,
    allowed(path: string) {
      let best: Rule | undefined;
      for (const rule of rules) {
        if (!matches(rule.pattern, path)) continue;
        const longer = !best || rule.pattern.length > best.pattern.length;
        const tieAllow = best && rule.pattern.length === best.pattern.length && rule.allow;
        if (longer || tieAllow) best = rule;
      }
      return best ? best.allow : true;
    },
  };
}

/** A rule's pattern against a path (with its query): `*` is any run of characters, a final `$` anchors the end. */
function matches(pattern: string, path: string): boolean {
  const anchored = pattern.endsWith("$");
  const body = anchored ? pattern.slice(0, -1) : pattern;
  const source = body
    .split("*")
    .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, "\\$&"))
    .join(".*");
  return new RegExp(`^${source}${anchored ? "$" : ""}`).test(path);
}

/** Everything allowed: a board without a robots.txt (404). */
export const ALLOW_ALL: RobotsRules = { allowed: () => true, crawlDelaySeconds: undefined };
/** Nothing allowed: a robots.txt that answered 401/403 (RFC 9309 §2.3.1.3 reads it as "disallow all"… for 5xx). */
export const DISALLOW_ALL: RobotsRules = { allowed: () => false, crawlDelaySeconds: undefined };
