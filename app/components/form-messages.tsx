/**
 * What a form says after a submit. Errors are an alert (read out at once);
 * notices are a status (read out when the reader is idle). Each renders
 * nothing when there is nothing to say, so a page writes
 * `<FormError message={result?.error} />` without a condition.
 */
export function FormError({
  message,
  fields,
  testId,
}: {
  message: string | null | undefined;
  /** Also list each field's message (the DNA editor, whose fields are JSON paths, not inputs). */
  fields?: Record<string, string>;
  testId?: string;
}) {
  if (!message) return null;
  const listed = Object.entries(fields ?? {});
  if (listed.length === 0) {
    return (
      <p className="error" role="alert" data-testid={testId}>
        {message}
      </p>
    );
  }
  return (
    <div className="error" role="alert" data-testid={testId}>
      <p>{message}</p>
      <ul>
        {listed.map(([field, why]) => (
          <li key={field}>
            {field}: {why}
          </li>
        ))}
      </ul>
    </div>
  );
}

export function FormNotice({ message, testId }: { message: string | null | undefined; testId?: string }) {
  if (!message) return null;
  return (
    <p role="status" data-testid={testId}>
      {message}
    </p>
  );
}

/** A secret the server keeps only hashed or encrypted, so this page is the one chance to copy it. */
export function SecretShownOnce({
  intro,
  secret,
  testId,
}: {
  intro: string;
  secret: string | null | undefined;
  testId?: string;
}) {
  if (!secret) return null;
  return (
    <div className="card" role="status">
      <p>{intro}</p>
      <pre data-testid={testId}>{secret}</pre>
    </div>
  );
}
