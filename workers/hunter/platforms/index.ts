import type { HunterPlatform } from "../settings";
import { gigs } from "./gigs";
import type { PlatformAdapter } from "./platform";
import { trades } from "./trades";

/** Every board the hunter knows: adding one is a file beside these and a line here. */
export const PLATFORMS: Record<HunterPlatform, PlatformAdapter> = { gigs, trades };
