import { z } from "zod";
import { Problem } from "../problems";
import { defineAgent } from "./agent";

/**
 * Heavy: transcribe a stored call recording. No transcription provider is
 * wired yet (the LLM gateway is issue #6), so the ticket fails with that
 * reason instead of pretending; the lead keeps "transcription: pending".
 */
export const transcribeCall = defineAgent({
  task: "transcribe_call",
  mode: "heavy",
  role: "member",
  params: z.object({ callId: z.uuid() }).strict(),
  async run() {
    throw new Problem({
      // 424 Failed Dependency: a refusal, so the consumer fails the ticket at once instead of retrying.
      status: 424,
      code: "no-transcription-provider",
      title: "No transcription provider",
      detail: "No transcription provider is configured yet; the recording is stored and can be transcribed later.",
    });
  },
});
