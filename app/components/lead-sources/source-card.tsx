import type { IntakeSecretView } from "../../../workers/services/intake-secrets";
import { PostForm } from "../post-form";
import { CopyButton } from "./copy-button";
import { SOURCE_SETUP } from "./setup-steps";

export type LeadSourceRow = IntakeSecretView & {
  /** Where the source puts its secret (the source's own words). */
  use: string;
  ownerMayChoose: boolean;
  /** The address the source posts to: PUBLIC_BASE_URL, the source and the project. */
  endpoint: string;
};

/**
 * One lead source: its address, its secret's hint with rotate and remove,
 * how to set it up, and a test lead. The secret itself appears only when
 * `revealed` carries it, in the answer that rotated it.
 */
export function SourceCard({
  source,
  revealed,
  businessName,
  attempt,
}: {
  source: LeadSourceRow;
  revealed: string | null;
  businessName: string;
  /** This page view's id for a test: sending the same form twice is one test lead. */
  attempt: string;
}) {
  const { title, Setup } = SOURCE_SETUP[source.source];
  const headingId = `source-${source.source}`;
  return (
    <section className="card" aria-labelledby={headingId} data-testid={`lead-source-${source.source}`}>
      <h2 id={headingId}>{title}</h2>
      <p>Leads post to:</p>
      <p className="row">
        <code data-testid={`endpoint-${source.source}`} style={{ wordBreak: "break-all" }}>
          {source.endpoint}
        </code>
        <CopyButton text={source.endpoint} what={`the ${title} address`} />
      </p>
      <SecretRow source={source} />
      <details open={revealed !== null}>
        <summary>Set it up</summary>
        <Setup endpoint={source.endpoint} secret={revealed} businessName={businessName} />
      </details>
      <PostForm className="row">
        <input type="hidden" name="source" value={source.source} />
        <input type="hidden" name="attempt" value={attempt} />
        <button type="submit" name="intent" value="test-lead" disabled={!source.hint}>
          Send test lead
        </button>
        <small>
          {source.hint
            ? "Posts a lead named “Test Lead” as this source would; you land on its page and your phone rings."
            : `Create the ${source.label} first: a source without one takes no leads.`}
        </small>
      </PostForm>
    </section>
  );
}

function SecretRow({ source }: { source: LeadSourceRow }) {
  return (
    <div data-testid={`intake-secret-${source.source}`}>
      <p>
        {source.label[0]?.toUpperCase()}
        {source.label.slice(1)}: <strong>{source.hint ?? "not set: this source's leads are refused"}</strong>
        {source.rotatedAt ? ` (set ${source.rotatedAt.slice(0, 10)})` : ""}. {source.use}
      </p>
      <div className="row">
        <PostForm>
          <input type="hidden" name="source" value={source.source} />
          <button type="submit" name="intent" value="rotate-secret" className="secondary">
            {source.hint ? "Rotate" : "Create"}
          </button>
        </PostForm>
        {source.hint ? (
          <PostForm>
            <input type="hidden" name="source" value={source.source} />
            <button type="submit" name="intent" value="revoke-secret" className="secondary">
              Remove
            </button>
          </PostForm>
        ) : null}
      </div>
      {source.ownerMayChoose ? (
        <PostForm className="row">
          <input type="hidden" name="source" value={source.source} />
          <label>
            Or use the {source.label} you already have
            <input name="value" type="password" autoComplete="off" required />
          </label>
          <button type="submit" name="intent" value="set-secret">
            Set value
          </button>
        </PostForm>
      ) : null}
    </div>
  );
}
