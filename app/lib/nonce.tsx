import { createContext, useContext } from "react";

/**
 * The response's Content-Security-Policy nonce, for the inline scripts Remix
 * renders (<Scripts>, <ScrollRestoration>). Provided on the server only
 * (entry.server.tsx); in the browser it is "" — browsers hide a nonce from
 * the DOM anyway, and scripts added after hydration are not inline.
 */
const NonceContext = createContext("");

export const NonceProvider = NonceContext.Provider;
export const useNonce = () => useContext(NonceContext);
