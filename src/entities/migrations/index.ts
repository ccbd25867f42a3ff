import { InitialSchema1763800000000 } from "./1763800000000-initial-schema";
import { Scoring1764000000000 } from "./1764000000000-scoring";
import { ApiKeyAudit1764200000000 } from "./1764200000000-api-key-audit";
import { RateLimits1764400000000 } from "./1764400000000-rate-limits";

/** Every migration, oldest first. They run automatically when the service starts. */
export const MIGRATIONS = [InitialSchema1763800000000, Scoring1764000000000, ApiKeyAudit1764200000000, RateLimits1764400000000];
