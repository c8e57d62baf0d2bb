import { Link } from "@remix-run/react";

export const WELCOME_STEPS = [
  { step: "business", label: "Your business", to: "/welcome" },
  { step: "review", label: "Services, places and hours", to: "/welcome?step=review" },
  { step: "phones", label: "Phones", to: "/welcome?step=phones" },
] as const;

export type WelcomeStep = (typeof WELCOME_STEPS)[number]["step"];

/** The wizard's three steps; each is a plain link, so any step can be reopened on its own. */
export function WelcomeSteps({ current }: { current: WelcomeStep }) {
  return (
    <nav aria-label="Setup steps">
      <ol className="row" style={{ listStyle: "none", padding: 0, gap: "1rem" }}>
        {WELCOME_STEPS.map(({ step, label, to }, index) => (
          <li key={step}>
            <Link to={to} aria-current={step === current ? "step" : undefined}>
              {index + 1}. {step === current ? <strong>{label}</strong> : label}
            </Link>
          </li>
        ))}
      </ol>
    </nav>
  );
}
