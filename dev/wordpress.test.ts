import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import net from "node:net";
import { after, before, describe, it } from "node:test";
import { type LocalWordPress, startWordPress } from "./wordpress.ts";

const freePort = () =>
  new Promise<number>((resolve) => {
    const server = net.createServer();
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });

const databaseExists = (name: string) =>
  spawnSync(
    "mysql",
    ["-h127.0.0.1", "-uroot", "--batch", "--skip-column-names", "-e", `SHOW DATABASES LIKE '${name}'`],
    {
      encoding: "utf8",
    },
  ).stdout.trim() === name;

// The smallest valid PNG: one transparent pixel.
const PNG = Buffer.from(
  "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==",
  "base64",
);

const JSON_LD = {
  "@context": "https://schema.org",
  "@type": "Plumber",
  name: "Apex Plumbing <Austin>",
  areaServed: "Austin",
};

describe("a local WordPress", { timeout: 180_000 }, () => {
  let wordpress: LocalWordPress;
  let port: number;
  let auth: string;
  const api = (route: string, init: RequestInit = {}) =>
    fetch(`${wordpress.baseUrl}/?rest_route=${route}`, {
      ...init,
      headers: { authorization: auth, ...(init.headers as Record<string, string>) },
    });

  before(async () => {
    port = await freePort();
    const started = Date.now();
    wordpress = await startWordPress({
      port,
      log: (line) => {
        if (!line.startsWith("php:")) console.log(`  [wordpress +${Date.now() - started}ms] ${line}`);
      },
    });
    auth = `Basic ${Buffer.from(`${wordpress.username}:${wordpress.applicationPassword}`).toString("base64")}`;
  });
  after(async () => {
    await wordpress?.stop();
  });

  it("publishes a page through the REST API with its JSON-LD intact", async () => {
    const content = `<p>Fast, licensed plumbers in Austin.</p>\n<script type="application/ld+json">${JSON.stringify(JSON_LD)}</script>`;
    const slug = `plumbers-austin-${port}`;
    const firstByte = Date.now();
    const created = await api("/wp/v2/pages", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ title: "Plumbers in Austin", content, status: "draft", slug }),
    });
    console.log(`  [first page created in ${Date.now() - firstByte}ms]`);
    assert.equal(created.status, 201, await created.clone().text());
    const page = (await created.json()) as { id: number; status: string };
    assert.equal(page.status, "draft");

    const draft = await api(`/wp/v2/pages/${page.id}&context=edit`);
    assert.equal(draft.status, 200);
    const edited = (await draft.json()) as { slug: string; content: { raw: string } };
    assert.equal(edited.slug, slug);
    // Stored as sent: kses leaves an administrator's <script> alone (unfiltered_html).
    assert.equal(edited.content.raw, content);

    const anonymousDraft = await fetch(`${wordpress.baseUrl}/?page_id=${page.id}`);
    assert.ok(!(await anonymousDraft.text()).includes("licensed plumbers"), "a draft is not public");

    const published = await api(`/wp/v2/pages/${page.id}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ status: "publish" }),
    });
    assert.equal(published.status, 200);
    assert.equal(((await published.json()) as { status: string }).status, "publish");

    const html = await (await fetch(`${wordpress.baseUrl}/?page_id=${page.id}`)).text();
    assert.match(html, /Fast, licensed plumbers in Austin\./);
    const block = html.match(/<script type="application\/ld\+json">([\s\S]*?)<\/script>/);
    assert.ok(block, "the JSON-LD block is in the public HTML");
    assert.deepEqual(JSON.parse(block[1] as string), JSON_LD);
  });

  it("takes a PNG upload and serves its bytes", async () => {
    const uploaded = await api("/wp/v2/media", {
      method: "POST",
      headers: { "content-type": "image/png", "content-disposition": "attachment; filename=map.png" },
      body: PNG,
    });
    assert.equal(uploaded.status, 201, await uploaded.clone().text());
    const media = (await uploaded.json()) as { source_url: string };
    const served = await fetch(media.source_url);
    assert.equal(served.status, 200);
    assert.equal(served.headers.get("content-type"), "image/png");
    assert.deepEqual(Buffer.from(await served.arrayBuffer()), PNG);
  });

  it("refuses a wrong Application Password", async () => {
    const refused = await fetch(`${wordpress.baseUrl}/?rest_route=/wp/v2/pages`, {
      method: "POST",
      headers: {
        authorization: `Basic ${Buffer.from(`${wordpress.username}:wrong password here`).toString("base64")}`,
        "content-type": "application/json",
      },
      body: JSON.stringify({ title: "nope" }),
    });
    assert.equal(refused.status, 401);
  });

  it("stops the server and drops its database", async () => {
    assert.ok(databaseExists(wordpress.database));
    await wordpress.stop();
    await assert.rejects(fetch(`${wordpress.baseUrl}/`));
    assert.equal(databaseExists(wordpress.database), false);
  });
});
