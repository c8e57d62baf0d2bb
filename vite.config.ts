import { vitePlugin as remix } from "@remix-run/dev";
import { defineConfig } from "vite";

// Builds the UI only (build/server + build/client). The Worker in workers/
// imports build/server; wrangler serves build/client as static assets.
// Every v3 flag is on so the move to React Router's framework mode is a rename.
export default defineConfig({
  plugins: [
    remix({
      future: {
        v3_fetcherPersist: true,
        v3_relativeSplatPath: true,
        v3_throwAbortReason: true,
        v3_singleFetch: true,
        v3_lazyRouteDiscovery: true,
      },
    }),
  ],
  ssr: { target: "webworker", resolve: { conditions: ["workerd", "worker", "browser"] } },
});
