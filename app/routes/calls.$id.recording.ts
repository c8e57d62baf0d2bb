import type { LoaderFunctionArgs } from "@remix-run/cloudflare";
import { z } from "zod";
import { callRecording } from "../../workers/speed-to-lead/recordings";
import { problemMessage } from "../lib/forms.server";
import { requireSession } from "../lib/session.server";

/** The recording player's source: the same service as GET /api/v1/calls/{id}/recording. */
export async function loader({ request, context, params }: LoaderFunctionArgs) {
  const session = await requireSession(request, context);
  const id = z.uuid().safeParse(params.id);
  if (!id.success) throw new Response("No such call", { status: 404 });
  try {
    const object = await callRecording(id.data, session);
    return new Response(object.body, {
      headers: {
        "content-type": object.httpMetadata?.contentType ?? "audio/wav",
        "cache-control": "private, max-age=300",
      },
    });
  } catch (error) {
    throw new Response(problemMessage(error).message, { status: 404 });
  }
}
