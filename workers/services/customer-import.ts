import { z } from "zod";
import { withTenant } from "../../schema/tenant-transaction";
import { guessMapping, type ImportError, type ImportRow, readHeaders, validateImport } from "../campaigns/csv-import";
import { problems } from "../problems";
import { recordAuditMany } from "../repositories/audit";
import { insertLeads, leadsWithContacts, optedOutAmong } from "../repositories/customer-import";
import { findProject } from "../repositories/projects";
import type { ServiceContext } from "../service-context";
import { speedToLeadSettings } from "./dna";
import { earlierEffect, recordEffect } from "./idempotent-effects";
import { projectArchived } from "./projects";

/**
 * Past customers in (issue #16, item 1): a CSV read against a column
 * mapping, every row checked — its own fields, repeats within the file,
 * leads the project already has, numbers that said STOP — and a report by
 * line and field. Nothing is written until the request says `confirm`; then
 * the good rows become won leads in one transaction, each carrying the
 * consent basis the admin attested to, who attested and when (system state:
 * no API write can forge it), each audited.
 */

const column = z.string().min(1).max(200);

export const customerImportInput = z
  .object({
    csv: z
      .string()
      .min(1)
      .max(5 * 1024 * 1024),
    /** The file's header for each field; guessed from the headers when absent. */
    mapping: z
      .object({
        name: z.union([column, z.array(column).min(1).max(3)]).optional(),
        phone: column.optional(),
        email: column.optional(),
        lastJobDate: column.optional(),
        jobType: column.optional(),
        notes: column.optional(),
      })
      .strict()
      .optional(),
    dateOrder: z.enum(["MDY", "DMY"]).optional(),
    /** Why these people may be texted: they are the business's customers, or they opted in themselves. */
    consentBasis: z.enum(["existing-customer", "explicit-opt-in"]),
    /** false (the default): report only. true: write the good rows. */
    confirm: z.boolean().default(false),
  })
  .strict();
export type CustomerImportInput = z.input<typeof customerImportInput>;

export interface CustomerImportReport {
  confirmed: boolean;
  mapping: Record<string, string | string[]>;
  dataRows: number;
  /** Rows that will be (or were) imported. */
  importable: number;
  /** Leads written: 0 until confirmed. */
  created: number;
  errors: ImportError[];
  /** A few of the good rows as they will be stored. */
  sample: ImportRow[];
}

type ImportContext = Pick<ServiceContext, "db" | "actor" | "idempotency">;

export async function importCustomers(
  projectId: string,
  raw: CustomerImportInput,
  context: ImportContext,
): Promise<CustomerImportReport> {
  const input = customerImportInput.parse(raw);
  const { db, actor } = context;
  const tenantId = actor.auth.tenantId;
  const settings = await withTenant(db, tenantId, async (tx) => {
    const project = await findProject(tx, projectId);
    if (!project) throw problems.notFound(`No project ${projectId}.`);
    if (project.archivedAt) throw projectArchived(projectId);
    return speedToLeadSettings(tx, projectId);
  });
  const mapping = input.mapping ?? guessMapping(readHeaders(input.csv));
  const checked = validateImport(input.csv, {
    mapping,
    defaultCountry: settings?.defaultCountry ?? "US",
    ...(input.dateOrder ? { dateOrder: input.dateOrder } : {}),
  });
  if (checked.fileError) {
    const where = checked.fileError.line ? ` (line ${checked.fileError.line})` : "";
    throw problems.validation([
      {
        field: checked.fileError.field === "(file)" ? "csv" : `mapping.${checked.fileError.field}`,
        message: `${checked.fileError.message}${where}`,
      },
    ]);
  }

  return withTenant(db, tenantId, async (tx) => {
    const earlier = input.confirm ? await earlierEffect<CustomerImportReport>(tx, context.idempotency) : undefined;
    if (earlier) return earlier;
    // Checked inside the writing transaction: a lead made meanwhile is seen, not doubled.
    const { rows, errors } = await againstTheProject(tx, projectId, checked.rows);
    const allErrors = [...checked.errors, ...errors].sort((a, b) => a.line - b.line);
    const report: CustomerImportReport = {
      confirmed: input.confirm,
      mapping: Object.fromEntries(
        Object.entries(mapping).map(([field, header]) => [field, typeof header === "string" ? header : [...header]]),
      ),
      dataRows: checked.dataRows,
      importable: rows.length,
      created: 0,
      errors: allErrors,
      sample: rows.slice(0, 5),
    };
    if (!input.confirm) return report;

    const attested = {
      basis: input.consentBasis,
      attestedBy: actor.auth.userId ?? actor.auth.apiKeyId ?? null,
      at: new Date().toISOString(),
    };
    const importId = crypto.randomUUID();
    const made = await insertLeads(
      tx,
      rows.map((row) => ({
        tenantId,
        projectId,
        name: row.name ?? row.phone ?? row.email ?? "Customer",
        status: "won",
        data: {
          ...(row.phone ? { phone: row.phone } : {}),
          ...(row.email ? { email: row.email } : {}),
          ...(row.lastJobDate ? { lastJobDate: row.lastJobDate } : {}),
          ...(row.jobType ? { jobType: row.jobType } : {}),
          ...(row.notes ? { notes: row.notes } : {}),
          source: "import",
        },
        system: {
          imported: { importId, line: row.line, ...(row.phone ? { phone: row.phone } : {}), consent: attested },
        },
      })),
    );
    await recordAuditMany(tx, actor, [
      {
        action: "customers.import",
        after: { importId, projectId, created: made.length, skipped: allErrors.length, consent: attested },
      },
      ...made.map((lead) => ({ action: "entity.create", entityType: "lead", entityId: lead.id, after: { importId } })),
    ]);
    const done = { ...report, created: made.length };
    await recordEffect(tx, tenantId, context.idempotency, done);
    return done;
  });
}

/** The rows the project does not already have, and why the others are left out. */
async function againstTheProject(
  tx: Parameters<typeof leadsWithContacts>[0],
  projectId: string,
  rows: ImportRow[],
): Promise<{ rows: ImportRow[]; errors: ImportError[] }> {
  const phones = rows.flatMap((r) => (r.phone ? [r.phone] : []));
  const emails = rows.flatMap((r) => (r.email ? [r.email] : []));
  // One after the other: a transaction's queries share one connection.
  const existing = await leadsWithContacts(tx, projectId, phones, emails);
  const stopped = await optedOutAmong(tx, phones);
  const byPhone = new Map(existing.flatMap((l) => (l.phone ? [[l.phone, l.id] as const] : [])));
  const byEmail = new Map(existing.flatMap((l) => (l.email ? [[l.email, l.id] as const] : [])));
  const kept: ImportRow[] = [];
  const errors: ImportError[] = [];
  for (const row of rows) {
    if (row.phone && stopped.has(row.phone)) {
      errors.push({ line: row.line, field: "phone", message: "this number opted out (STOP); it is not imported" });
    } else if (row.phone && byPhone.has(row.phone)) {
      errors.push({
        line: row.line,
        field: "phone",
        message: `already a lead of this project (${byPhone.get(row.phone)})`,
      });
    } else if (row.email && byEmail.has(row.email)) {
      errors.push({
        line: row.line,
        field: "email",
        message: `already a lead of this project (${byEmail.get(row.email)})`,
      });
    } else {
      kept.push(row);
    }
  }
  return { rows: kept, errors };
}
