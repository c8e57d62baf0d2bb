import type { ActionFunctionArgs, LoaderFunctionArgs } from "@remix-run/cloudflare";
import { Link, useActionData, useLoaderData } from "@remix-run/react";
import { z } from "zod";
import {
  attachPhoneNumber,
  buyPhoneNumber,
  listPhoneNumbers,
  releasePhoneNumber,
  searchAvailableNumbers,
} from "../../workers/services/phone-numbers";
import { fieldErrors } from "../components/field-errors";
import { FormError, FormNotice } from "../components/form-messages";
import { PostForm } from "../components/post-form";
import { RoleNotice } from "../components/role-notice";
import { failure, formFields, invalid, parseForm } from "../lib/forms.server";
import { canAct, currentProject, formAction, requireSession } from "../lib/session.server";

/**
 * Settings → Phone numbers: find a local number by area code and buy it, or
 * attach one already in the business's Twilio account. Apex wires it (calls,
 * texts, status, and the fallback that rings the owner if Apex is down) and
 * makes it the tracking number. Admins only: numbers cost money.
 */
export async function loader({ request, context }: LoaderFunctionArgs) {
  const session = await requireSession(request, context);
  if (!canAct(session.auth, "admin")) return { hidden: true as const };
  const project = await currentProject(session);
  return {
    hidden: false as const,
    projectName: project.name,
    numbers: await listPhoneNumbers(project.id, session),
    fallbackConfigured: Boolean(session.env.FALLBACK_TWIML_PUBLIC_URL),
  };
}

const phoneNumbersForm = z.discriminatedUnion("intent", [
  z.object({
    intent: z.literal("search"),
    areaCode: z
      .string()
      .trim()
      .regex(/^[2-9][0-8]\d$/, "a three-digit North American area code, such as 415"),
  }),
  z.object({ intent: z.literal("buy"), phoneNumber: z.string().trim().min(2) }),
  z.object({ intent: z.literal("attach"), phoneNumber: z.string().trim().min(2) }),
  z.object({ intent: z.literal("release"), phoneNumber: z.string().trim().min(2) }),
]);

interface Offered {
  phoneNumber: string;
  friendlyName: string;
  locality: string | null;
  region: string | null;
}
const answered = { offered: null as Offered[] | null, notice: null as string | null, error: null, fields: {} };

export async function action({ request, context }: ActionFunctionArgs) {
  const { session, form } = await formAction(request, context, "admin", "Your role cannot manage phone numbers.");
  const input = parseForm(phoneNumbersForm, formFields(form));
  if (!input.ok) return invalid(input.failure, { offered: null, notice: null });
  const asked = input.data;
  try {
    const project = await currentProject(session);
    if (asked.intent === "search") {
      const offered = await searchAvailableNumbers(project.id, { areaCode: asked.areaCode, country: "US" }, session);
      return { ...answered, offered };
    }
    if (asked.intent === "release") {
      await releasePhoneNumber(project.id, asked.phoneNumber, session);
      return { ...answered, notice: `Released ${asked.phoneNumber}.` };
    }
    const adopt = asked.intent === "buy" ? buyPhoneNumber : attachPhoneNumber;
    const number = await adopt(project.id, { phoneNumber: asked.phoneNumber }, session);
    return { ...answered, notice: `${number.number} is your tracking number now. Calls and texts to it reach Apex.` };
  } catch (error) {
    return failure(error, { offered: null, notice: null });
  }
}

export default function PhoneNumbers() {
  const data = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  if (data.hidden) return <RoleNotice least="admin" what="the phone numbers" />;
  const errors = fieldErrors(result?.fields as Record<string, string> | undefined);
  return (
    <>
      <p>
        A tracking number is the number your customers call and the caller id of every call Apex makes for{" "}
        {data.projectName}. Apex points it at itself and, in case Apex cannot answer, at a fallback that rings your
        phone and your backups directly (set them in <Link to="/settings/speed-to-lead">Speed-to-lead</Link>).
      </p>
      {data.fallbackConfigured ? null : (
        <p className="error" role="status">
          This deployment has no public fallback bucket (FALLBACK_TWIML_PUBLIC_URL): numbers are set up without a
          fallback.
        </p>
      )}
      <FormNotice message={result?.notice} testId="phone-numbers-notice" />
      <FormError message={result?.error} testId="phone-numbers-error" />

      <h2>Your numbers</h2>
      {data.numbers.length === 0 ? (
        <p>No numbers yet.</p>
      ) : (
        <table data-testid="phone-numbers">
          <thead>
            <tr>
              <th scope="col">Number</th>
              <th scope="col">How it came</th>
              <th scope="col">Tracking number</th>
              <th scope="col">Release</th>
            </tr>
          </thead>
          <tbody>
            {data.numbers.map((n) => (
              <tr key={n.number}>
                <td>{n.number}</td>
                <td>
                  {n.origin === "purchased" ? "bought through Apex" : n.origin === "attached" ? "attached" : "typed in"}
                </td>
                <td>{n.tracking ? "yes" : "no"}</td>
                <td>
                  <PostForm>
                    <input type="hidden" name="intent" value="release" />
                    <input type="hidden" name="phoneNumber" value={n.number} />
                    <button type="submit" className="secondary">
                      Release {n.number}
                    </button>
                  </PostForm>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}

      <h2>Get a number</h2>
      <PostForm>
        <input type="hidden" name="intent" value="search" />
        <label>
          Area code
          <input name="areaCode" inputMode="numeric" maxLength={3} required {...errors.aria("areaCode")} />
        </label>
        {errors.message("areaCode")}
        <button type="submit">Search</button>
      </PostForm>
      {result?.offered ? (
        result.offered.length === 0 ? (
          <p>No numbers for sale in that area code. Try a neighbouring one.</p>
        ) : (
          <ul data-testid="available-numbers">
            {result.offered.map((n) => (
              <li key={n.phoneNumber}>
                <PostForm>
                  <input type="hidden" name="intent" value="buy" />
                  <input type="hidden" name="phoneNumber" value={n.phoneNumber} />
                  {n.friendlyName}
                  {n.locality ? `, ${n.locality}` : ""}
                  {n.region ? ` ${n.region}` : ""} <button type="submit">Buy {n.phoneNumber}</button>
                </PostForm>
              </li>
            ))}
          </ul>
        )
      ) : null}

      <h2>Attach a number you already have</h2>
      <p>
        A number already in your business's Twilio account (for example one ported in): Apex sets it up the same way.
      </p>
      <PostForm>
        <input type="hidden" name="intent" value="attach" />
        <label>
          Number
          <input name="phoneNumber" type="tel" placeholder="+14155550123" required {...errors.aria("phoneNumber")} />
        </label>
        {errors.message("phoneNumber")}
        <button type="submit">Attach</button>
      </PostForm>
    </>
  );
}
