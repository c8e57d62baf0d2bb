import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/cloudflare";
import { Link, useLoaderData } from "@remix-run/react";
import { z } from "zod";
import { Problem } from "../../workers/problems";
import { escapeHtml } from "../../workers/seo/critic";
import type { CriticReport } from "../../workers/seo/types";
import { entitySnapshots, getEntity } from "../../workers/services/entities";
import { PostForm } from "../components/post-form";
import { canAct, requireSession } from "../lib/session.server";

/**
 * One pSEO page (/seo/pages/{id}): the critic's report, the page as it reads
 * in a sandboxed frame, and what changed in its HTML since an earlier
 * version. The file name's `seo_` keeps it out of the Local SEO page's
 * layout: it is a page of its own, not a panel inside /seo.
 */
export const meta: MetaFunction<typeof loader> = ({ data }) => [{ title: `${data?.page.title ?? "Page"} · Apex` }];
export const handle = { channels: ["entity:page"] };

const notFound = () => new Response("No such page", { status: 404 });

/** Unchanged lines kept around a change; longer unchanged stretches fold into one line. */
const DIFF_CONTEXT = 2;
/** Past this many cells the line-by-line comparison is skipped: the middle shows as all removed, then all added. */
const DIFF_MAX_CELLS = 1_000_000;

type DiffLine = { kind: "same" | "removed" | "added"; text: string } | { kind: "folded"; count: number };

/**
 * The page's HTML as lines to compare. The writer puts a block per line, but
 * a list is one line: each closing block tag ends a line, so a changed list
 * item is one changed line, not the whole list.
 */
function htmlLines(html: string): string[] {
  if (html === "") return [];
  return html.replace(/(<\/(?:li|p|h[1-6]|ul|ol|tr|table|figure|section|div)>)(?=.)/g, "$1\n").split(/\r?\n/);
}

/** A line diff: the longest common subsequence of the lines between their common start and end. */
function lineDiff(before: string[], after: string[]): DiffLine[] {
  let start = 0;
  while (start < before.length && start < after.length && before[start] === after[start]) start++;
  let end = 0;
  while (
    end < before.length - start &&
    end < after.length - start &&
    before[before.length - 1 - end] === after[after.length - 1 - end]
  ) {
    end++;
  }
  const removedSpan = before.slice(start, before.length - end);
  const addedSpan = after.slice(start, after.length - end);
  const middle: DiffLine[] = [];
  const n = removedSpan.length;
  const m = addedSpan.length;
  if (n * m > DIFF_MAX_CELLS) {
    for (const text of removedSpan) middle.push({ kind: "removed", text });
    for (const text of addedSpan) middle.push({ kind: "added", text });
  } else {
    // common[i][j]: the longest common subsequence of removedSpan[i..] and addedSpan[j..].
    const width = m + 1;
    const common = new Uint32Array((n + 1) * width);
    for (let i = n - 1; i >= 0; i--) {
      for (let j = m - 1; j >= 0; j--) {
        common[i * width + j] =
          removedSpan[i] === addedSpan[j]
            ? (common[(i + 1) * width + j + 1] ?? 0) + 1
            : Math.max(common[(i + 1) * width + j] ?? 0, common[i * width + j + 1] ?? 0);
      }
    }
    let i = 0;
    let j = 0;
    while (i < n || j < m) {
      if (i < n && j < m && removedSpan[i] === addedSpan[j]) {
        middle.push({ kind: "same", text: removedSpan[i] ?? "" });
        i++;
        j++;
      } else if (j >= m || (i < n && (common[(i + 1) * width + j] ?? 0) >= (common[i * width + j + 1] ?? 0))) {
        middle.push({ kind: "removed", text: removedSpan[i] ?? "" });
        i++;
      } else {
        middle.push({ kind: "added", text: addedSpan[j] ?? "" });
        j++;
      }
    }
  }
  const same = (text: string): DiffLine => ({ kind: "same", text });
  return fold([...before.slice(0, start).map(same), ...middle, ...after.slice(after.length - end).map(same)]);
}

/** Long unchanged stretches become one "… N unchanged lines" entry, keeping DIFF_CONTEXT lines beside each change. */
function fold(lines: DiffLine[]): DiffLine[] {
  const changed = lines.map((line) => line.kind === "removed" || line.kind === "added");
  const near = (index: number) => {
    for (let k = Math.max(0, index - DIFF_CONTEXT); k <= Math.min(lines.length - 1, index + DIFF_CONTEXT); k++) {
      if (changed[k]) return true;
    }
    return false;
  };
  const folded: DiffLine[] = [];
  for (const [index, line] of lines.entries()) {
    if (line.kind !== "same" || near(index)) {
      folded.push(line);
      continue;
    }
    const last = folded.at(-1);
    if (last?.kind === "folded") last.count++;
    else folded.push({ kind: "folded", count: 1 });
  }
  return folded;
}

/** The frame's document: the page's own HTML under its title, as a visitor reads it (no scripts run: sandboxed). */
const previewDocument = (title: string, html: string) =>
  `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>` +
  "<style>body{font-family:system-ui,sans-serif;line-height:1.5;max-width:44rem;margin:1rem auto;padding:0 1rem}</style>" +
  `</head><body><h1>${escapeHtml(title)}</h1>${html}</body></html>`;

const htmlOf = (data: unknown) => {
  const html = (data as { html?: unknown } | null)?.html;
  return typeof html === "string" ? html : "";
};

export async function loader({ request, context, params }: LoaderFunctionArgs) {
  const session = await requireSession(request, context);
  const id = z.uuid().safeParse(params.id);
  if (!id.success) throw notFound();
  const page = await getEntity(id.data, session).catch((error) => {
    throw error instanceof Problem && error.status === 404 ? notFound() : error;
  });
  if (page.type !== "page" || typeof page.data.slug !== "string") throw notFound();
  // Newest first; each holds the page as it was at that version.
  const snapshots = (await entitySnapshots(page.id, session)).map((s) => ({
    version: s.version,
    createdAt: s.createdAt,
    html: htmlOf(s.state.data),
  }));
  const html = htmlOf(page.data);
  // Most versions change only Apex's records (links, map, WordPress): by default the diff is against the
  // newest version whose HTML differs, else the one before this.
  const asked = Number(new URL(request.url).searchParams.get("against"));
  const against =
    snapshots.find((s) => s.version === asked) ?? snapshots.find((s) => s.html !== html) ?? snapshots[0] ?? null;
  const seo = (page.system.seo ?? {}) as {
    critic?: CriticReport;
    revisions?: number;
    wordpress?: { link?: string; status?: string };
  };
  const data = page.data as {
    slug: string;
    metaDescription?: string;
    service?: string;
    place?: string;
    primaryKeyword?: string;
    jsonLd?: unknown[];
    links?: { slug: string; title: string }[];
  };
  return {
    page: {
      id: page.id,
      title: page.name,
      slug: data.slug,
      status: page.status ?? "unknown",
      version: page.version,
      updatedAt: page.updatedAt,
      metaDescription: data.metaDescription ?? "",
      service: data.service ?? "—",
      place: data.place ?? "—",
      primaryKeyword: data.primaryKeyword ?? "—",
      jsonLd: JSON.stringify(data.jsonLd ?? [], null, 2),
      links: data.links ?? [],
      wordpress: seo.wordpress ? { link: seo.wordpress.link ?? null, status: seo.wordpress.status ?? null } : null,
      revisions: Number(seo.revisions ?? 0),
    },
    critic: seo.critic ?? null,
    preview: previewDocument(page.name, html),
    diff: against
      ? {
          from: against.version,
          to: page.version,
          unchanged: against.html === html,
          lines: against.html === html ? [] : lineDiff(htmlLines(against.html), htmlLines(html)),
        }
      : null,
    versions: snapshots.map((s) => ({ version: s.version, createdAt: s.createdAt, differs: s.html !== html })),
    canApprove: canAct(session.auth, "admin") && (page.status === "ready" || page.status === "draft"),
  };
}

const when = (iso: string) => new Date(iso).toISOString().replace("T", " ").slice(0, 16);

/** Each kind of diff line: its sign, element and colour. */
const LINE_STYLE = {
  removed: { sign: "-", background: "#fde8e8" },
  added: { sign: "+", background: "#e6f6ea" },
  same: { sign: " ", background: "transparent" },
} as const;

function Diff({ diff }: { diff: NonNullable<ReturnType<typeof useLoaderData<typeof loader>>["diff"]> }) {
  if (diff.unchanged) {
    return (
      <p data-testid="version-diff-unchanged">
        The HTML is the same in version {diff.from} and version {diff.to} (only Apex's records of it changed).
      </p>
    );
  }
  return (
    <pre data-testid="version-diff">
      {diff.lines.map((line, index) => {
        // Lines have no identity of their own: their place in the diff is it.
        const key = `${index}`;
        if (line.kind === "folded") {
          return (
            <span key={key} style={{ display: "block", color: "#666" }}>
              … {line.count} unchanged {line.count === 1 ? "line" : "lines"}
            </span>
          );
        }
        const style = { display: "block", background: LINE_STYLE[line.kind].background, textDecoration: "none" };
        const text = `${LINE_STYLE[line.kind].sign} ${line.text}`;
        if (line.kind === "removed") {
          return (
            <del key={key} style={style} data-testid="diff-removed">
              {text}
            </del>
          );
        }
        if (line.kind === "added") {
          return (
            <ins key={key} style={style} data-testid="diff-added">
              {text}
            </ins>
          );
        }
        return (
          <span key={key} style={style}>
            {text}
          </span>
        );
      })}
    </pre>
  );
}

function CriticReportView({ critic }: { critic: CriticReport | null }) {
  if (!critic) return <p className="empty">Not reviewed yet.</p>;
  return (
    <div data-testid="critic-report">
      <p>
        <span className={critic.pass ? "pill ok" : "pill bad"} data-testid="critic-verdict">
          {critic.score} {critic.pass ? "pass" : "fail"}
        </span>{" "}
        · {critic.placeSpecificWords} place-specific words
        {critic.nearest
          ? ` · most like /${critic.nearest.slug} (${Math.round(critic.nearest.similarity * 100)}% similar)`
          : ""}
      </p>
      {critic.reasons.length > 0 ? (
        <ul data-testid="critic-reasons">
          {critic.reasons.map((reason) => (
            <li key={reason}>{reason}</li>
          ))}
        </ul>
      ) : null}
      {critic.forbidden.length > 0 ? <p className="error">Forbidden topics: {critic.forbidden.join(", ")}</p> : null}
      {critic.invented.length > 0 ? (
        <p className="error">Claims your DNA does not hold: {critic.invented.join("; ")}</p>
      ) : null}
    </div>
  );
}

export default function SeoPage() {
  const { page, critic, preview, diff, versions, canApprove } = useLoaderData<typeof loader>();
  return (
    <>
      <p>
        <Link to="/seo">← Local SEO</Link>
      </p>
      <h1>{page.title}</h1>
      <p>
        /{page.slug} · {page.service} in {page.place} · keyword “{page.primaryKeyword}” ·{" "}
        <span className="pill" data-testid="page-status">
          {page.status}
        </span>{" "}
        · version {page.version}, {when(page.updatedAt)} UTC
        {page.revisions > 0 ? ` · rewritten ${page.revisions}× after the critic` : ""}
        {page.wordpress?.link ? (
          <>
            {" "}
            ·{" "}
            <a href={page.wordpress.link} rel="noreferrer noopener" target="_blank">
              WordPress ({page.wordpress.status ?? "saved"})
            </a>
          </>
        ) : null}
      </p>
      {canApprove ? (
        // The Local SEO page's action approves; it shows the outcome there.
        <PostForm action="/seo" aria-label="Approve this page">
          <input type="hidden" name="pageId" value={page.id} />
          <button type="submit" name="intent" value="approve" data-testid="page-approve">
            Approve and publish
          </button>
        </PostForm>
      ) : null}

      <h2>Critic</h2>
      <CriticReportView critic={critic} />

      <h2>Preview</h2>
      <p>
        Meta description: <span data-testid="page-meta-description">{page.metaDescription}</span>
      </p>
      {/* sandbox="" : no scripts, no forms, no same-origin access; the page's HTML is model output. */}
      <iframe
        sandbox=""
        srcDoc={preview}
        title={`Preview of ${page.title}`}
        style={{ width: "100%", height: "32rem", border: "1px solid #ccc", background: "#fff" }}
        data-testid="page-preview-frame"
      />
      {page.links.length > 0 ? (
        <>
          <h3>Links to</h3>
          <ul data-testid="page-links">
            {page.links.map((link) => (
              <li key={link.slug}>
                {link.title} (/{link.slug})
              </li>
            ))}
          </ul>
        </>
      ) : null}
      <details>
        <summary>Structured data (JSON-LD)</summary>
        <pre data-testid="page-json-ld">{page.jsonLd}</pre>
      </details>

      <h2>Changes</h2>
      {diff ? (
        <>
          <p data-testid="version-diff-versions">
            Version {diff.from} → version {diff.to}
          </p>
          <Diff diff={diff} />
          {versions.length > 1 ? (
            <p>
              Compare with:{" "}
              {versions.map((v, index) => (
                <span key={v.version}>
                  {index > 0 ? ", " : ""}
                  <Link to={`?against=${v.version}`}>version {v.version}</Link>
                  {v.differs ? "" : " (same HTML)"}
                </span>
              ))}
            </p>
          ) : null}
        </>
      ) : (
        <p className="empty" data-testid="version-diff-none">
          This is the page's first version: there is nothing to compare it with.
        </p>
      )}
    </>
  );
}
