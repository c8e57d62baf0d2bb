import type { Role } from "../context";

/** Roles in order of power; a role can do everything the ones below it can. */
export const ROLE_RANK: Record<Role, number> = { viewer: 1, member: 2, admin: 3, owner: 4 };
