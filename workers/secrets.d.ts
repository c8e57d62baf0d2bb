// Secrets are not in wrangler.toml, so `wrangler types` cannot see them.
// They are declared here; .dev.vars.example documents each one.
interface ApexSecrets {
  DATABASE_URL: string;
  JWT_SIGNING_KEYS?: string;
  TWILIO_ACCOUNT_SID?: string;
  TWILIO_AUTH_TOKEN?: string;
  GEMINI_API_KEY?: string;
  SECRETS_ENCRYPTION_KEY?: string;
}

interface Env extends ApexSecrets {}
declare namespace Cloudflare {
  interface Env extends ApexSecrets {}
}
