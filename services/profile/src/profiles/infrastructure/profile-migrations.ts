import { CreateProfileStore1764200000000 } from './migrations/1764200000000-create-profile-store';

/** Postgres migrations of schema `profile` (after the inbox), in order. */
export const PROFILE_MIGRATIONS = [CreateProfileStore1764200000000];
