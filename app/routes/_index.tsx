import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/cloudflare";
import { useLoaderData } from "@remix-run/react";

export const meta: MetaFunction = () => [{ title: "Apex" }];

/** Placeholder until the dashboard issue: proves the loader runs in the Worker with its env. */
export async function loader({ context }: LoaderFunctionArgs) {
  return { environment: context.cloudflare.env.APP_ENV };
}

export default function Index() {
  const { environment } = useLoaderData<typeof loader>();
  return (
    <main>
      <h1>Apex</h1>
      <p>Speed-to-lead for local service businesses. The operator dashboard arrives with its issue.</p>
      <p>
        API health: <a href="/api/health">/api/health</a> · API reference:{" "}
        <a href="/api/openapi.json">/api/openapi.json</a>
      </p>
      <p>
        <small>Environment: {environment}</small>
      </p>
    </main>
  );
}
