/**
 * The durable data model: tenants, projects, entities and their history.
 * Every tenant-owned table carries `tenant_id` and is protected by row-level
 * security (see migrations/0001_row_level_security.sql); the application
 * reaches those rows only through `withTenant` in ./tenant-transaction.ts.
 */
import { sql } from "drizzle-orm";
import {
  bigint,
  bigserial,
  boolean,
  doublePrecision,
  index,
  integer,
  jsonb,
  pgEnum,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from "drizzle-orm/pg-core";

const timestamps = {
  createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
};

export const roleEnum = pgEnum("member_role", ["owner", "admin", "member", "viewer"]);

export const tenants = pgTable("tenants", {
  id: uuid("id").primaryKey().defaultRandom(),
  name: text("name").notNull(),
  status: text("status").notNull().default("active"),
  ...timestamps,
  deletedAt: timestamp("deleted_at", { withTimezone: true }),
});

export const projects = pgTable(
  "projects",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    tenantId: uuid("tenant_id")
      .notNull()
      .references(() => tenants.id),
    name: text("name").notNull(),
    settings: jsonb("settings").notNull().default(sql`'{}'::jsonb`),
    /** Monthly spend cap in micro-dollars; null means no cap. */
    monthlyCapMicros: bigint("monthly_cap_micros", { mode: "number" }),
    /** `paused` once this month's spend reaches the cap: agents that spend refuse until it is raised. */
    spendStatus: text("spend_status").notNull().default("active"),
    version: integer("version").notNull().default(1),
    ...timestamps,
    /** Archived: kept with its leads and history, but no longer offered in the switcher and its numbers released. */
    archivedAt: timestamp("archived_at", { withTimezone: true }),
    deletedAt: timestamp("deleted_at", { withTimezone: true }),
  },
  (t) => [index("projects_tenant_idx").on(t.tenantId)],
);

/** Global identities; a user reaches a tenant only through a membership. */
export const users = pgTable(
  "users",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    email: text("email").notNull(),
    name: text("name").notNull().default(""),
    passwordHash: text("password_hash").notNull(),
    ...timestamps,
    deletedAt: timestamp("deleted_at", { withTimezone: true }),
  },
  (t) => [uniqueIndex("users_email_key").on(sql`lower(${t.email})`)],
);

export const memberships = pgTable(
  "memberships",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    tenantId: uuid("tenant_id")
      .notNull()
      .references(() => tenants.id),
    userId: uuid("user_id")
      .notNull()
      .references(() => users.id),
    role: roleEnum("role").notNull(),
    ...timestamps,
  },
  (t) => [uniqueIndex("memberships_tenant_user_key").on(t.tenantId, t.userId)],
);

export const apiKeys = pgTable(
  "api_keys",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    tenantId: uuid("tenant_id")
      .notNull()
      .references(() => tenants.id),
    name: text("name").notNull(),
    /** First characters of the key, shown in listings so owners can tell keys apart. */
    prefix: text("prefix").notNull(),
    /** SHA-256 of the whole key; the key itself is shown once and never stored. */
    keyHash: text("key_hash").notNull(),
    role: roleEnum("role").notNull(),
    createdBy: uuid("created_by").references(() => users.id),
    lastUsedAt: timestamp("last_used_at", { withTimezone: true }),
    expiresAt: timestamp("expires_at", { withTimezone: true }),
    revokedAt: timestamp("revoked_at", { withTimezone: true }),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [uniqueIndex("api_keys_hash_key").on(t.keyHash), index("api_keys_tenant_idx").on(t.tenantId)],
);

/** The universal record: every operational object (lead, call, page, …) is an entity. */
export const entities = pgTable(
  "entities",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    tenantId: uuid("tenant_id")
      .notNull()
      .references(() => tenants.id),
    projectId: uuid("project_id")
      .notNull()
      .references(() => projects.id),
    type: text("type").notNull(),
    name: text("name").notNull(),
    status: text("status"),
    data: jsonb("data").notNull().default(sql`'{}'::jsonb`),
    /**
     * State only Apex writes (a call's Twilio timeline, recording, analysis; a
     * lead's bridge and score). The entities API never writes it, so nothing a
     * tenant types can become a storage key, a URL we fetch or a status we trust.
     */
    system: jsonb("system").notNull().default(sql`'{}'::jsonb`),
    version: integer("version").notNull().default(1),
    ...timestamps,
    deletedAt: timestamp("deleted_at", { withTimezone: true }),
    archivedAt: timestamp("archived_at", { withTimezone: true }),
  },
  (t) => [
    index("entities_tenant_type_created_idx").on(t.tenantId, t.type, t.createdAt, t.id),
    index("entities_tenant_project_idx").on(t.tenantId, t.projectId),
  ],
);

export const relationships = pgTable(
  "relationships",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    tenantId: uuid("tenant_id")
      .notNull()
      .references(() => tenants.id),
    fromId: uuid("from_id")
      .notNull()
      .references(() => entities.id),
    toId: uuid("to_id")
      .notNull()
      .references(() => entities.id),
    type: text("type").notNull(),
    data: jsonb("data").notNull().default(sql`'{}'::jsonb`),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    deletedAt: timestamp("deleted_at", { withTimezone: true }),
  },
  (t) => [
    uniqueIndex("relationships_edge_key").on(t.tenantId, t.fromId, t.toId, t.type),
    index("relationships_to_idx").on(t.tenantId, t.toId),
  ],
);

/** Append-only: the application role may insert and read, never update or delete. */
export const auditLog = pgTable(
  "audit_log",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    tenantId: uuid("tenant_id")
      .notNull()
      .references(() => tenants.id),
    actorType: text("actor_type").notNull(),
    actorId: text("actor_id"),
    /** Minted by the server; the client never chooses it. */
    requestId: text("request_id").notNull(),
    /** The client's own X-Request-Id, if it sent one: for joining traces, never trusted as ours. */
    clientRequestId: text("client_request_id"),
    action: text("action").notNull(),
    entityType: text("entity_type"),
    entityId: uuid("entity_id"),
    before: jsonb("before"),
    after: jsonb("after"),
    ip: text("ip"),
    /** How the caller was verified: jwt | api-key | webhook-signature | system. */
    authMethod: text("auth_method").notNull(),
    authKid: text("auth_kid"),
    authIssuer: text("auth_issuer"),
    verifiedAt: timestamp("verified_at", { withTimezone: true }),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index("audit_log_tenant_created_idx").on(t.tenantId, t.createdAt)],
);

/**
 * Opaque, rotating refresh tokens. Each login starts a family; each refresh
 * rotates within it. Presenting an already-rotated token means it leaked:
 * the whole family is revoked.
 */
export const refreshTokens = pgTable(
  "refresh_tokens",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    tenantId: uuid("tenant_id")
      .notNull()
      .references(() => tenants.id),
    userId: uuid("user_id")
      .notNull()
      .references(() => users.id),
    familyId: uuid("family_id").notNull(),
    tokenHash: text("token_hash").notNull(),
    expiresAt: timestamp("expires_at", { withTimezone: true }).notNull(),
    rotatedAt: timestamp("rotated_at", { withTimezone: true }),
    revokedAt: timestamp("revoked_at", { withTimezone: true }),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [uniqueIndex("refresh_tokens_hash_key").on(t.tokenHash), index("refresh_tokens_family_idx").on(t.familyId)],
);

/** The state an entity had before each change, so it can be read or restored as of any version. */
export const entitySnapshots = pgTable(
  "entity_snapshots",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    tenantId: uuid("tenant_id")
      .notNull()
      .references(() => tenants.id),
    entityId: uuid("entity_id")
      .notNull()
      .references(() => entities.id),
    /** The entity's version at the time of the snapshot. */
    version: integer("version").notNull(),
    state: jsonb("state").notNull(),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [uniqueIndex("entity_snapshots_entity_version_key").on(t.tenantId, t.entityId, t.version)],
);

/** Per entity type: when soft-deleted rows are purged and when old rows move to the cold archive in R2. */
export const retentionPolicies = pgTable(
  "retention_policies",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    tenantId: uuid("tenant_id")
      .notNull()
      .references(() => tenants.id),
    entityType: text("entity_type").notNull(),
    purgeDeletedAfterDays: integer("purge_deleted_after_days"),
    archiveAfterDays: integer("archive_after_days"),
    ...timestamps,
  },
  (t) => [uniqueIndex("retention_policies_tenant_type_key").on(t.tenantId, t.entityType)],
);

/** Entity types a tenant defines itself; `data` of such entities must pass `jsonSchema`. */
export const entityTypes = pgTable(
  "entity_types",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    tenantId: uuid("tenant_id")
      .notNull()
      .references(() => tenants.id),
    name: text("name").notNull(),
    description: text("description").notNull().default(""),
    jsonSchema: jsonb("json_schema").notNull(),
    version: integer("version").notNull().default(1),
    ...timestamps,
  },
  (t) => [uniqueIndex("entity_types_tenant_name_key").on(t.tenantId, t.name)],
);

/** An invitation to join a tenant with a role; the token is shown once and stored hashed. */
export const invitations = pgTable(
  "invitations",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    tenantId: uuid("tenant_id")
      .notNull()
      .references(() => tenants.id),
    email: text("email").notNull(),
    role: roleEnum("role").notNull(),
    tokenHash: text("token_hash").notNull(),
    invitedBy: uuid("invited_by").references(() => users.id),
    expiresAt: timestamp("expires_at", { withTimezone: true }).notNull(),
    acceptedAt: timestamp("accepted_at", { withTimezone: true }),
    acceptedBy: uuid("accepted_by").references(() => users.id),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [uniqueIndex("invitations_token_key").on(t.tokenHash)],
);

/** Finished tickets, copied from the tenant object so history outlives the ticket's TTL. */
export const ticketHistory = pgTable(
  "ticket_history",
  {
    id: uuid("id").primaryKey(),
    tenantId: uuid("tenant_id")
      .notNull()
      .references(() => tenants.id),
    task: text("task").notNull(),
    status: text("status").notNull(),
    result: jsonb("result"),
    error: text("error"),
    attempts: integer("attempts").notNull(),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull(),
    finishedAt: timestamp("finished_at", { withTimezone: true }).notNull(),
  },
  (t) => [index("ticket_history_tenant_created_idx").on(t.tenantId, t.createdAt)],
);

/**
 * Every billable use, with its cost: voice minutes, SMS, LLM tokens,
 * browser seconds. Append-only; the month's spend is a SUM over it.
 */
export const usageEvents = pgTable(
  "usage_events",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    tenantId: uuid("tenant_id")
      .notNull()
      .references(() => tenants.id),
    projectId: uuid("project_id")
      .notNull()
      .references(() => projects.id),
    resource: text("resource").notNull(),
    quantity: doublePrecision("quantity").notNull(),
    /** The price at the time of use, so a later price change does not rewrite history. */
    unitCostMicros: doublePrecision("unit_cost_micros").notNull(),
    costMicros: bigint("cost_micros", { mode: "number" }).notNull(),
    /** What spent it: a task name, or `api`. */
    source: text("source").notNull(),
    reference: text("reference"),
    /** One row per key: a retried agent or request never bills twice. */
    idempotencyKey: text("idempotency_key"),
    occurredAt: timestamp("occurred_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    index("usage_events_project_time_idx").on(t.tenantId, t.projectId, t.occurredAt),
    uniqueIndex("usage_events_idempotency_key").on(t.tenantId, t.idempotencyKey),
  ],
);

/** Where a tenant wants its events delivered (outbound webhooks). */
export const webhookEndpoints = pgTable(
  "webhook_endpoints",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    tenantId: uuid("tenant_id")
      .notNull()
      .references(() => tenants.id),
    url: text("url").notNull(),
    description: text("description").notNull().default(""),
    /** Event types delivered here; `*` means all. */
    events: text("events").array().notNull(),
    /** The signing secret. Shown once at creation; needed in clear to sign. */
    secret: text("secret").notNull(),
    /**
     * How deliveries are signed (decision 020). "standard": Standard Webhooks,
     * keyed with the base64-decoded `whsec_` secret. "legacy+standard": an
     * endpoint from before it keeps its secret and also gets the deprecated
     * Apex-Signature, for one release; both are keyed with the secret's raw bytes.
     */
    signatureScheme: text("signature_scheme").$type<"standard" | "legacy+standard">().notNull().default("standard"),
    enabled: boolean("enabled").notNull().default(true),
    consecutiveFailures: integer("consecutive_failures").notNull().default(0),
    disabledReason: text("disabled_reason"),
    version: integer("version").notNull().default(1),
    ...timestamps,
    deletedAt: timestamp("deleted_at", { withTimezone: true }),
  },
  (t) => [index("webhook_endpoints_tenant_idx").on(t.tenantId)],
);

/** One event bound for one endpoint; its attempts are rows of webhook_attempts. */
export const webhookDeliveries = pgTable(
  "webhook_deliveries",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    tenantId: uuid("tenant_id")
      .notNull()
      .references(() => tenants.id),
    endpointId: uuid("endpoint_id")
      .notNull()
      .references(() => webhookEndpoints.id),
    eventId: text("event_id").notNull(),
    eventType: text("event_type").notNull(),
    payload: jsonb("payload").notNull(),
    /** pending → succeeded | failed */
    status: text("status").notNull().default("pending"),
    attempts: integer("attempts").notNull().default(0),
    lastStatusCode: integer("last_status_code"),
    lastError: text("last_error"),
    ...timestamps,
  },
  (t) => [
    uniqueIndex("webhook_deliveries_endpoint_event_key").on(t.tenantId, t.endpointId, t.eventId),
    index("webhook_deliveries_endpoint_created_idx").on(t.tenantId, t.endpointId, t.createdAt),
  ],
);

export const webhookAttempts = pgTable(
  "webhook_attempts",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    tenantId: uuid("tenant_id")
      .notNull()
      .references(() => tenants.id),
    deliveryId: uuid("delivery_id")
      .notNull()
      .references(() => webhookDeliveries.id),
    attempt: integer("attempt").notNull(),
    statusCode: integer("status_code"),
    error: text("error"),
    durationMs: integer("duration_ms").notNull(),
    at: timestamp("at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index("webhook_attempts_delivery_idx").on(t.tenantId, t.deliveryId)],
);

/**
 * Phones that said STOP (or START again). Checked before every outbound call
 * and SMS; a row with `optedOut = false` records a later START.
 */
export const optOuts = pgTable(
  "opt_outs",
  {
    tenantId: uuid("tenant_id")
      .notNull()
      .references(() => tenants.id),
    phone: text("phone").notNull(),
    optedOut: boolean("opted_out").notNull(),
    /** The keyword or action that set it: STOP, START, api … */
    source: text("source").notNull(),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.phone] })],
);

/**
 * Which project a tracking number belongs to, across all tenants: a number is
 * the caller id of the bridge and the sender of texts, so one tenant must
 * never be able to name another tenant's number as its own. The primary key
 * makes the claim global; row-level security still hides other tenants' rows.
 */
export const trackingNumbers = pgTable("tracking_numbers", {
  number: text("number").primaryKey(),
  tenantId: uuid("tenant_id")
    .notNull()
    .references(() => tenants.id),
  projectId: uuid("project_id")
    .notNull()
    .references(() => projects.id),
  claimedAt: timestamp("claimed_at", { withTimezone: true }).notNull().defaultNow(),
  /** How the number came to the project: typed into the settings, bought through Apex, or attached from the tenant's subaccount. */
  origin: text("origin").notNull().default("typed"),
  /** Twilio's IncomingPhoneNumber sid (PN…) when the number lives in the tenant's subaccount. */
  phoneNumberSid: text("phone_number_sid"),
});

/**
 * The tenant's own Twilio subaccount, created by the platform account: the
 * tenant's calls, texts and costs are its own, and webhooks for its numbers
 * are signed with its auth token, sealed here (AES-GCM, bound to the tenant).
 */
export const twilioSubaccounts = pgTable("twilio_subaccounts", {
  tenantId: uuid("tenant_id")
    .primaryKey()
    .references(() => tenants.id),
  accountSid: text("account_sid").notNull().unique(),
  sealedAuthToken: text("sealed_auth_token").notNull(),
  createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
});

/**
 * Which LLM a tenant's agents use (Gemini by default). The provider key is stored
 * encrypted (AES-GCM, key from the SECRETS_ENCRYPTION_KEY secret, the
 * tenant id as associated data) and only its last four characters in clear.
 */
export const llmSettings = pgTable("llm_settings", {
  tenantId: uuid("tenant_id")
    .primaryKey()
    .references(() => tenants.id),
  provider: text("provider").notNull(),
  model: text("model"),
  baseUrl: text("base_url"),
  apiKeyCiphertext: text("api_key_ciphertext"),
  apiKeyHint: text("api_key_hint"),
  version: integer("version").notNull().default(1),
  updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
});

/**
 * A project's DNA layers (`generated` by onboarding, `custom` by people); the
 * `defaults` layer lives in code. Each write bumps `version`, and its diff is
 * in the audit log.
 */
export const dnaLayers = pgTable(
  "dna_layers",
  {
    tenantId: uuid("tenant_id")
      .notNull()
      .references(() => tenants.id),
    projectId: uuid("project_id")
      .notNull()
      .references(() => projects.id),
    layer: text("layer").notNull(),
    content: jsonb("content").notNull(),
    version: integer("version").notNull().default(1),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.projectId, t.layer] })],
);

/**
 * The Idempotency-Key of an entity change, written in the change's own
 * transaction (decision 013). The tenant object's ledger hears of a response
 * only after the commit; if the Worker dies in between, a retry with the same
 * key finds the committed effect here and answers with its result instead of
 * making the change twice. Kept as long as the ledger keeps keys (24 h).
 */
export const idempotencyEffects = pgTable(
  "idempotency_effects",
  {
    tenantId: uuid("tenant_id")
      .notNull()
      .references(() => tenants.id),
    key: text("key").notNull(),
    /** Method, path and body, hashed: the same key with another request is refused, not replayed. */
    fingerprint: text("fingerprint").notNull(),
    /** What the service returned when the effect committed; the route renders it again on replay. */
    result: jsonb("result").notNull(),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ columns: [t.tenantId, t.key] }),
    index("idempotency_effects_created_idx").on(t.tenantId, t.createdAt),
  ],
);

/**
 * The shared secret each lead source proves itself with (a form's token, a
 * WordPress site's secret, a Google Ads key): one per project and source.
 * Sealed like provider keys (AES-GCM under SECRETS_ENCRYPTION_KEY, with the
 * tenant, project and source as associated data, so a value copied to another
 * row does not open); only its last four characters are kept in clear, for
 * the hint people see (decision 017).
 */
export const intakeSecrets = pgTable(
  "intake_secrets",
  {
    tenantId: uuid("tenant_id")
      .notNull()
      .references(() => tenants.id),
    projectId: uuid("project_id")
      .notNull()
      .references(() => projects.id),
    /** The lead source's id (workers/intake/sources): `form`, `wordpress`, `google-ads`. */
    source: text("source").notNull(),
    sealedValue: text("sealed_value").notNull(),
    hint: text("hint").notNull(),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    rotatedAt: timestamp("rotated_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.projectId, t.source] })],
);

/**
 * One row per person a campaign (an entity of type `campaign`) reaches or
 * leaves out, fixed at launch (issue #16). The status is Apex's own:
 * excluded at launch (with the reason) · queued → sending → sent →
 * delivered | undelivered | failed (Twilio's status callbacks), or refused
 * when the contact gate or the spend gate said no at send time. `not_before`
 * holds a recipient back until their quiet hours end; `claimed_at` is the
 * sender's short claim, so two senders never take the same row. Replies and
 * opt-outs are marked beside the status, since a delivered text can be both.
 */
export const campaignRecipients = pgTable(
  "campaign_recipients",
  {
    tenantId: uuid("tenant_id")
      .notNull()
      .references(() => tenants.id),
    campaignId: uuid("campaign_id")
      .notNull()
      .references(() => entities.id),
    leadId: uuid("lead_id")
      .notNull()
      .references(() => entities.id),
    phone: text("phone").notNull(),
    status: text("status").notNull(),
    /** Why excluded or refused: a code (opted-out, open-lead, recent-contact, no-consent, frequency-cap, …). */
    reason: text("reason"),
    detail: text("detail"),
    notBefore: timestamp("not_before", { withTimezone: true }),
    claimedAt: timestamp("claimed_at", { withTimezone: true }),
    messageSid: text("message_sid"),
    errorCode: text("error_code"),
    body: text("body"),
    segments: integer("segments"),
    sentAt: timestamp("sent_at", { withTimezone: true }),
    repliedAt: timestamp("replied_at", { withTimezone: true }),
    optedOutAt: timestamp("opted_out_at", { withTimezone: true }),
    ...timestamps,
  },
  (t) => [
    primaryKey({ columns: [t.campaignId, t.leadId] }),
    index("campaign_recipients_queue_idx").on(t.tenantId, t.campaignId, t.status, t.notBefore),
    index("campaign_recipients_phone_idx").on(t.tenantId, t.phone, t.sentAt),
    uniqueIndex("campaign_recipients_message_sid_key").on(t.messageSid),
  ],
);

/**
 * When Apex last texted each number, by any flow — the frequency cap's
 * memory (workers/contact/policy.ts). Written by the one SMS sender after a
 * text goes, never by a tenant (message entities are tenant-editable, so
 * they cannot be what the cap trusts).
 */
export const contactHistory = pgTable(
  "contact_history",
  {
    tenantId: uuid("tenant_id")
      .notNull()
      .references(() => tenants.id),
    phone: text("phone").notNull(),
    lastTextAt: timestamp("last_text_at", { withTimezone: true }).notNull(),
    lastMarketingAt: timestamp("last_marketing_at", { withTimezone: true }),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.phone] })],
);

/**
 * A project's WordPress site for programmatic SEO (issue #17): its address
 * (checked by the outbound-URL policy when saved and on every call), the
 * user, and that user's Application Password sealed with
 * SECRETS_ENCRYPTION_KEY (bound to tenant and project), shown back only as
 * its hint.
 */
export const wordpressSites = pgTable(
  "wordpress_sites",
  {
    tenantId: uuid("tenant_id")
      .notNull()
      .references(() => tenants.id),
    projectId: uuid("project_id")
      .notNull()
      .references(() => projects.id),
    url: text("url").notNull(),
    username: text("username").notNull(),
    sealedPassword: text("sealed_password").notNull(),
    hint: text("hint").notNull(),
    /** The site's Search Console property ("https://site/" or "sc-domain:site") and an access token for it, sealed. */
    searchConsoleProperty: text("search_console_property"),
    searchConsoleSealedToken: text("search_console_sealed_token"),
    searchConsoleHint: text("search_console_hint"),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.projectId] })],
);
