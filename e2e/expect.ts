/** The e2e checks' two assertions: a condition, and a typed answer with the status expected. */
export function expect(condition: boolean, message: string): void {
  if (!condition) throw new Error(message);
}

/** The body of a typed answer with the status expected, or an error naming what came instead. */
export function answered<T>(
  what: string,
  answer: { data?: T; error?: unknown; response: Response },
  status: number,
): T {
  if (answer.response.status !== status || answer.data === undefined) {
    throw new Error(`${what} answered ${answer.response.status}: ${JSON.stringify(answer.error ?? answer.data)}`);
  }
  return answer.data;
}
