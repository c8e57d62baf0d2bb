import { Link } from "@remix-run/react";

export interface DraftTicket {
  id: string;
  status: string;
  progress: number;
  message: string | null;
  error: string | null;
  /** How the draft was made, when it was made by rules (no model, no key, the spend cap, an outage). */
  why: string | null;
  notFound: string[];
}

/**
 * The onboarding ticket as it runs: status, progress and its latest message.
 * The page's loader reads the ticket; the shell's live connection reloads it
 * on every `ticket:*` event, so the bar moves without a refresh.
 */
export function DraftProgress({ ticket }: { ticket: DraftTicket }) {
  const running = ticket.status === "queued" || ticket.status === "processing";
  return (
    <section aria-label="Drafting" data-testid="draft-progress" data-status={ticket.status} className="card">
      <p>
        <span className={`pill ${ticket.status === "completed" ? "ok" : ticket.status === "failed" ? "bad" : ""}`}>
          {ticket.status}
        </span>{" "}
        <span role="status" aria-live="polite">
          {ticket.error ?? ticket.message ?? (running ? "waiting to start" : "")}
        </span>
      </p>
      <div
        className="bar"
        role="progressbar"
        aria-label="Drafting progress"
        aria-valuenow={ticket.progress}
        aria-valuemin={0}
        aria-valuemax={100}
      >
        <span style={{ width: `${ticket.progress}%` }} />
      </div>
      {running ? (
        <p>
          Reading your website and drafting. This page updates by itself;{" "}
          <Link to={`/welcome?step=review&ticket=${ticket.id}`}>reload</Link> if it does not.
        </p>
      ) : null}
      {ticket.status === "failed" ? (
        <p>
          The draft failed. <Link to="/welcome">Try again</Link>, or fill in the form below yourself.
        </p>
      ) : null}
      {ticket.why ? <p data-testid="draft-why">{ticket.why}</p> : null}
      {ticket.notFound.length > 0 ? (
        <div data-testid="not-found">
          <p>Not found, so left for you to fill in:</p>
          <ul>
            {ticket.notFound.map((line) => (
              <li key={line}>{line}</li>
            ))}
          </ul>
        </div>
      ) : null}
    </section>
  );
}
