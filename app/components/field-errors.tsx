/**
 * Messages for single inputs after a submit (a form's `fields`, named as the
 * inputs are): `aria(name)` marks the input invalid and points it at its
 * message, `message(name)` is that message, placed beside the input.
 */
export function fieldErrors(fields: Record<string, string> | undefined) {
  const said = (name: string) => fields?.[name];
  return {
    aria: (name: string) => (said(name) ? { "aria-invalid": true, "aria-describedby": `${name}-error` } : {}),
    message: (name: string) =>
      said(name) ? (
        <span id={`${name}-error`} className="error">
          {said(name)}
        </span>
      ) : null,
  };
}
