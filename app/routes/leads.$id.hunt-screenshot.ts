import type { LoaderFunctionArgs } from "@remix-run/cloudflare";
import { z } from "zod";
import { huntScreenshot } from "../../workers/hunter/hunts";
import { problemMessage } from "../lib/forms.server";
import { requireSession } from "../lib/session.server";

/** The Hunt page's thumbnails and links: the same service as GET /api/v1/leads/{id}/hunt-screenshot. */
export async function loader({ request, context, params }: LoaderFunctionArgs) {
  const session = await requireSession(request, context);
  const id = z.uuid().safeParse(params.id);
  if (!id.success) throw new Response("No such lead", { status: 404 });
  try {
    const object = await huntScreenshot(id.data, session);
    return new Response(object.body, {
      headers: {
        // Always a PNG (the hunter stores nothing else), whatever the object's metadata says.
        "content-type": "image/png",
        "cache-control": "private, max-age=300",
      },
    });
  } catch (error) {
    throw new Response(problemMessage(error).message, { status: 404 });
  }
}
