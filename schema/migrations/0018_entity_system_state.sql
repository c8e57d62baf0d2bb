ALTER TABLE "entities" ADD COLUMN "system" jsonb DEFAULT '{}'::jsonb NOT NULL;--> statement-breakpoint
-- System-written keys move out of tenant-writable `data` (security: nothing a tenant
-- writes is read back as a storage key, a fetch URL or a system status).
UPDATE entities SET
  system = system || jsonb_strip_nulls(jsonb_build_object(
    'bridge', data->'bridge', 'score', data->'score', 'analysis', data->'analysis',
    'transcription', data->'transcription', 'lastCallStatus', data->'lastCallStatus',
    'lastMissedCallAt', data->'lastMissedCallAt', 'intakes', data->'intakes',
    'lastIntake', data->'lastIntake', 'receivedAt', data->'receivedAt')),
  data = data - ARRAY['bridge', 'score', 'analysis', 'transcription', 'lastCallStatus',
    'lastMissedCallAt', 'intakes', 'lastIntake', 'receivedAt']
WHERE type = 'lead';
--> statement-breakpoint
UPDATE entities SET
  system = system || jsonb_strip_nulls(jsonb_build_object(
    'kind', data->'kind', 'direction', data->'direction', 'from', data->'from', 'to', data->'to',
    'customer', data->'customer', 'leadId', data->'leadId', 'callSid', data->'callSid',
    'timeline', data->'timeline', 'recording', (data->'recording') - 'key' - 'url',
    'transcript', data->'transcript', 'analysis', data->'analysis', 'connected', data->'connected',
    'customerStatus', data->'customerStatus', 'durationSeconds', data->'durationSeconds')),
  data = data - ARRAY['kind', 'direction', 'from', 'to', 'customer', 'leadId', 'callSid', 'timeline',
    'recording', 'transcript', 'analysis', 'connected', 'customerStatus', 'durationSeconds']
WHERE type = 'call' AND data ? 'kind';
