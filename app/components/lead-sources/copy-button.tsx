import { useState } from "react";

/** The browser's clipboard (the project's types are the Worker's, not the DOM's); absent on plain http. */
const clipboard = () =>
  (globalThis as unknown as { navigator?: { clipboard?: { writeText(text: string): Promise<void> } } }).navigator
    ?.clipboard;

/**
 * Copies `text` to the clipboard once the page is live; before hydration (or
 * where the clipboard is refused) the text beside it is there to select.
 */
export function CopyButton({ text, what }: { text: string; what: string }) {
  const [copied, setCopied] = useState<"yes" | "no" | null>(null);
  return (
    <span className="row">
      <button
        type="button"
        className="secondary"
        aria-label={`Copy ${what}`}
        onClick={() => {
          const writing = clipboard()?.writeText(text) ?? Promise.reject(new Error("no clipboard"));
          writing.then(
            () => setCopied("yes"),
            () => setCopied("no"),
          );
        }}
      >
        Copy
      </button>
      <span role="status">{copied === "yes" ? "Copied." : copied === "no" ? "Select it and copy." : ""}</span>
    </span>
  );
}
