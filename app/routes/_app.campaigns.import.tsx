import { type ActionFunctionArgs, data, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/cloudflare";
import { Link, useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import { z } from "zod";
import { DEFAULT_MAX_BYTES, IMPORT_FIELDS, type ImportField } from "../../workers/campaigns/csv-import";
import {
  type CustomerImportReport,
  customerImportInput,
  importCustomers,
} from "../../workers/services/customer-import";
import { fieldErrors } from "../components/field-errors";
import { FormError } from "../components/form-messages";
import { PostForm } from "../components/post-form";
import { Table } from "../components/table";
import { failure, formFields, invalid, parseForm } from "../lib/forms.server";
import { canAct, currentProject, formAction, requireConfirmedRole, requireSession } from "../lib/session.server";

export const meta: MetaFunction = () => [{ title: "Import past customers · Apex" }];

/**
 * Past customers in from a CSV (#16 item 1), for the project chosen in the
 * header, in two posts: "check" reads the uploaded file and shows the
 * service's report (nothing written); "import" posts the same text again,
 * carried in the page rather than kept on the server, with confirm. The
 * service re-checks every row on the second post, so an edited hidden field
 * gains nothing the API would not allow.
 */
export async function loader({ request, context }: LoaderFunctionArgs) {
  const session = await requireSession(request, context);
  if (!canAct(session.auth, "admin")) return { canImport: false as const };
  const project = await currentProject(session);
  return { canImport: true as const, project: { id: project.id, name: project.name } };
}

const MAX_MB = DEFAULT_MAX_BYTES / (1024 * 1024);
/** The file plus the form's few other fields; a larger body is refused before it is read. */
const MAX_BODY_BYTES = DEFAULT_MAX_BYTES + 64 * 1024;
const tooLarge = () => `The file is larger than ${MAX_MB} MB, the limit. Split it into smaller files.`;

const CONSENT_LABELS = {
  "existing-customer": "They are our existing customers",
  "explicit-opt-in": "They opted in to texts themselves",
} as const;

const blank = (value: unknown) => (typeof value === "string" && value.trim() === "" ? undefined : value);
const importForm = z.object({
  intent: z.enum(["check", "confirm"]),
  consentBasis: z.enum(customerImportInput.shape.consentBasis.options, {
    error: "Choose why these customers may be texted.",
  }),
  dateOrder: z.preprocess(blank, customerImportInput.shape.dateOrder),
  /** The confirm post's carried text (the check post's comes from the file). */
  csv: customerImportInput.shape.csv.optional(),
  /** The project the check ran against: an import never lands in a project switched to meanwhile. */
  projectId: z.string().optional(),
});

/** The uploaded CSV as text, or why it cannot be read. */
async function uploadedCsv(form: FormData): Promise<{ csv: string } | { error: string; status: number }> {
  const file = form.get("file");
  if (!(file instanceof File) || file.size === 0) return { error: "Choose the CSV file to check.", status: 422 };
  if (file.size > DEFAULT_MAX_BYTES) return { error: tooLarge(), status: 413 };
  return { csv: await file.text() };
}

export async function action({ request, context }: ActionFunctionArgs) {
  // Refused from the header, before the form (and a file of any size) is buffered.
  if (Number(request.headers.get("content-length") ?? 0) > MAX_BODY_BYTES) {
    return data({ error: tooLarge(), fields: { file: tooLarge() } }, { status: 413 });
  }
  // formAction reads multipart forms too (readForm), so the CSRF check covers the upload.
  const { session, form } = await formAction(request, context, "admin", "Only admins can import customers.");
  const input = parseForm(importForm, formFields(form));
  if (!input.ok) return invalid(input.failure);
  const { intent, consentBasis, dateOrder } = input.data;
  try {
    await requireConfirmedRole(session, "admin", "Importing customers");
    const project = await currentProject(session);
    let csv: string;
    if (intent === "check") {
      const read = await uploadedCsv(form);
      if ("error" in read) return data({ error: read.error, fields: { file: read.error } }, { status: read.status });
      csv = read.csv;
    } else {
      if (!input.data.csv) return invalid({ error: "Check the file again.", fields: {} });
      if (input.data.projectId !== project.id) {
        return invalid({ error: "The project changed since the file was checked. Check the file again.", fields: {} });
      }
      csv = input.data.csv;
    }
    const report = await importCustomers(
      project.id,
      { csv, consentBasis, ...(dateOrder ? { dateOrder } : {}), confirm: intent === "confirm" },
      session,
    );
    return { error: null, report, carried: { csv, consentBasis, dateOrder: dateOrder ?? "", projectId: project.id } };
  } catch (error) {
    return failure(error);
  }
}

const FIELD_LABELS: Record<ImportField, string> = {
  name: "Name",
  phone: "Phone",
  email: "Email",
  lastJobDate: "Last job date",
  jobType: "Job type",
  notes: "Notes",
};

function Mapping({ mapping }: { mapping: CustomerImportReport["mapping"] }) {
  return (
    <Table columns={["Field", "Column in the file"]}>
      {IMPORT_FIELDS.map((field) => {
        const column = mapping[field];
        return (
          <tr key={field} data-testid="mapping-row">
            <td>{FIELD_LABELS[field]}</td>
            <td>
              {column === undefined ? "— (none found)" : typeof column === "string" ? column : column.join(" + ")}
            </td>
          </tr>
        );
      })}
    </Table>
  );
}

function BadRows({ errors }: { errors: CustomerImportReport["errors"] }) {
  if (errors.length === 0) return <p>Every row checks out.</p>;
  return (
    <Table columns={["Line", "Field", "What is wrong"]}>
      {errors.map((e) => (
        <tr key={`${e.line}-${e.field}-${e.message}`} data-testid="bad-row">
          <td>{e.line}</td>
          <td>{e.field}</td>
          <td>
            {e.message}
            {e.duplicateOf === undefined ? null : ` (repeats line ${e.duplicateOf})`}
          </td>
        </tr>
      ))}
    </Table>
  );
}

function Sample({ rows }: { rows: CustomerImportReport["sample"] }) {
  if (rows.length === 0) return null;
  return (
    <>
      <h3>Some of the rows as they will be stored</h3>
      <Table columns={["Line", ...IMPORT_FIELDS.map((field) => FIELD_LABELS[field])]}>
        {rows.map((row) => (
          <tr key={row.line} data-testid="sample-row">
            <td>{row.line}</td>
            {IMPORT_FIELDS.map((field) => (
              <td key={field}>{row[field] ?? "—"}</td>
            ))}
          </tr>
        ))}
      </Table>
    </>
  );
}

function CheckForm({ busy, fields }: { busy: boolean; fields: Record<string, string> | undefined }) {
  const errors = fieldErrors(fields);
  return (
    <PostForm encType="multipart/form-data" className="stack" aria-label="Check a customer file">
      <label>
        The CSV file (up to {MAX_MB} MB; the first line names the columns)
        <input name="file" type="file" accept=".csv,text/csv" required {...errors.aria("file")} />
        {errors.message("file")}
      </label>
      <fieldset>
        <legend>Why these people may be texted</legend>
        {Object.entries(CONSENT_LABELS).map(([value, label]) => (
          <label key={value}>
            <input type="radio" name="consentBasis" value={value} required /> {label}
          </label>
        ))}
        {errors.message("consentBasis")}
        <p>
          By importing you attest to this for every customer in the file. It is recorded with your name and the time.
        </p>
      </fieldset>
      <label>
        Dates written like 05/04/2023 are
        <select name="dateOrder" defaultValue="" {...errors.aria("dateOrder")}>
          <option value="">not in the file (dates are like 2023-04-05 or 5 April 2023)</option>
          <option value="MDY">month first (MDY, as in the US)</option>
          <option value="DMY">day first (DMY)</option>
        </select>
        {errors.message("dateOrder")}
      </label>
      <button type="submit" name="intent" value="check" disabled={busy}>
        Check the file
      </button>
    </PostForm>
  );
}

type Carried = { csv: string; consentBasis: keyof typeof CONSENT_LABELS; dateOrder: string; projectId: string };

function Report({ report, carried, busy }: { report: CustomerImportReport; carried: Carried; busy: boolean }) {
  return (
    <section aria-label="What the file holds">
      <h2>What the file holds</h2>
      <section className="cards">
        <div className="card">
          <div className="value" data-testid="data-rows">
            {report.dataRows}
          </div>
          <div className="label">rows in the file</div>
        </div>
        <div className="card">
          <div className="value" data-testid="importable">
            {report.importable}
          </div>
          <div className="label">rows that will be imported</div>
        </div>
      </section>
      <h3>Columns used</h3>
      <Mapping mapping={report.mapping} />
      <h3>Rows left out</h3>
      <BadRows errors={report.errors} />
      <Sample rows={report.sample} />
      {report.importable === 0 ? (
        <p className="empty">No row can be imported. Fix the file and check it again.</p>
      ) : (
        // Multipart, so the carried text is sent as it is rather than percent-encoded to three times its size.
        <PostForm encType="multipart/form-data" aria-label="Import the checked rows">
          <input type="hidden" name="csv" value={carried.csv} />
          <input type="hidden" name="consentBasis" value={carried.consentBasis} />
          <input type="hidden" name="dateOrder" value={carried.dateOrder} />
          <input type="hidden" name="projectId" value={carried.projectId} />
          <p>
            Basis: {CONSENT_LABELS[carried.consentBasis]}. Importing records that you attest to it, with your name and
            the time. Rows left out above are not imported.
          </p>
          <button type="submit" name="intent" value="confirm" disabled={busy}>
            Import {report.importable} customer{report.importable === 1 ? "" : "s"}
          </button>
        </PostForm>
      )}
    </section>
  );
}

export default function CustomerImport() {
  const loaded = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const busy = useNavigation().state !== "idle";
  const done = result && "report" in result ? result : undefined;
  return (
    <>
      <p>
        <Link to="/campaigns">← Campaigns</Link>
      </p>
      <h1>Import past customers</h1>
      {!loaded.canImport ? (
        <p className="empty" data-testid="role-notice">
          Only admins can import customers: importing attests to their consent to be texted.
        </p>
      ) : done?.report.confirmed ? (
        <section role="status" aria-label="Imported">
          <p data-testid="imported">
            {done.report.created} customer{done.report.created === 1 ? "" : "s"} imported into {loaded.project.name}.
            {done.report.dataRows > done.report.created
              ? ` ${done.report.dataRows - done.report.created} of the file's rows were left out.`
              : ""}
          </p>
          <p>
            <Link to="/campaigns">Go to campaigns</Link>
          </p>
        </section>
      ) : (
        <>
          <p>
            Customers go into {loaded.project.name} as won leads, ready for a campaign. Checking the file writes
            nothing: the next step shows every row that would be left out, and why, before you import.
          </p>
          <FormError message={result?.error} testId="import-error" />
          <CheckForm busy={busy} fields={result && "fields" in result ? result.fields : undefined} />
          {done ? <Report report={done.report} carried={done.carried} busy={busy} /> : null}
        </>
      )}
    </>
  );
}
